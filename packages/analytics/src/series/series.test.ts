import { describe, expect, it } from 'vitest';
import { at, event, recorded } from '../records.fixture.ts';
import { seriesUnits, type Unit } from '../time.ts';
import { byCodePoint } from '../text-order.ts';
import { counterTotals, recordedNames } from './counters.ts';
import { localDayByBucketOf, localDayOf } from './days.ts';
import type { CounterKind, CounterQuery } from './types.ts';

const SESSION = 'users.behaviors.app.SessionStart';
const CUSTOM = 'users.behaviors.CustomEvent';
const PURCHASE = 'users.behaviors.Purchase';

const DATA = recorded([
  event(SESSION, 'u1', at('2024-03-01T10:00:00Z'), { appId: 'a1' }),
  event(SESSION, 'u2', at('2024-03-01T23:59:59Z')),
  event(SESSION, 'u1', at('2024-03-02T00:00:00Z'), { appId: 'a2' }),
  event(SESSION, 'u1', at('2024-02-29T23:00:00Z'), { appId: 'a1' }), // before the series
  event(SESSION, 'u1', at('2024-03-04T00:00:00Z'), { appId: 'a1' }), // after it
  event(CUSTOM, 'u1', at('2024-03-01T12:00:00Z'), { name: 'Played', appId: 'a1' }),
  event(CUSTOM, 'u2', at('2024-03-03T12:00:00Z'), { name: 'Played' }),
  event(CUSTOM, 'u2', at('2024-03-03T13:00:00Z'), { name: 'Won' }),
  event(PURCHASE, 'u1', at('2024-03-02T08:00:00Z'), { name: 'gold', quantity: 2, revenue: 20 }),
  event(PURCHASE, 'u2', at('2024-03-02T09:00:00Z'), { name: 'silver', revenue: 5 }), // no quantity: 1
  event(PURCHASE, 'u2', at('2024-03-03T09:00:00Z'), { name: 'gold', quantity: 1, revenue: 10.5 }),
  event('users.behaviors.Uninstall', 'u2', at('2024-03-03T20:00:00Z')),
]);

/** Three days, 03-01 to 03-03, of a zone (or hours ending with the one holding `end`). */
const units = (zone = 'UTC', unit: Unit = 'day', length = 3, end = '2024-03-03T12:00:00Z') => ({
  unit, zone, list: seriesUnits(unit, length, at(end), zone),
});
const totals = (kind: CounterKind, q: Partial<CounterQuery> = {}) => counterTotals(DATA, { kind, units: units(), ...q });
const counts = (kind: CounterKind, q: Partial<CounterQuery> = {}) => totals(kind, q).map((t) => t.count);

describe('counter series', () => {
  it('counts session starts per day, of every app or one (an event without an app is the app "")', () => {
    // 03-01: u1 at 10:00 and u2 at 23:59:59; 03-02: u1 at midnight exactly (the start of the day).
    expect(counts('session')).toEqual([2, 1, 0]);
    expect(counts('session', { appId: 'a1' })).toEqual([1, 0, 0]);
    expect(counts('session', { appId: 'a2' })).toEqual([0, 1, 0]);
    expect(counts('session', { appId: '' })).toEqual([1, 0, 0]);
    // A session counts 1 toward quantity.
    expect(totals('session').map((t) => t.quantity)).toEqual([2, 1, 0]);
  });

  it('counts custom events by name and purchases by product, with quantity and revenue', () => {
    expect(counts('custom_event')).toEqual([1, 0, 2]);
    expect(counts('custom_event', { name: 'Played' })).toEqual([1, 0, 1]);
    // 03-02: gold ×2 (20 USD) and silver ×1 (5 USD); 03-03: gold ×1 (10.5 USD).
    expect(totals('purchase')).toEqual([
      { count: 0, quantity: 0, revenue: 0 }, { count: 2, quantity: 3, revenue: 25 }, { count: 1, quantity: 1, revenue: 10.5 },
    ]);
    expect(totals('purchase', { name: 'gold' })).toEqual([
      { count: 0, quantity: 0, revenue: 0 }, { count: 1, quantity: 2, revenue: 20 }, { count: 1, quantity: 1, revenue: 10.5 },
    ]);
    expect(counts('uninstall')).toEqual([0, 0, 1]);
  });

  it('bins by the units of the zone asked, days or hours', () => {
    // New York is UTC-5: 03-01 runs from 05:00Z to 03-02 05:00Z, so the sessions at 10:00Z, 23:59:59Z and
    // 03-02 00:00Z are all on 03-01; the one at 02-29 23:00Z is 02-29 18:00 local, and the one at
    // 03-04 00:00Z is 03-03 19:00 local.
    expect(counts('session', { units: units('America/New_York') })).toEqual([3, 0, 1]);
    // The hours 03-01 23:00Z and 03-02 00:00Z.
    expect(counts('session', { units: units('UTC', 'hour', 2, '2024-03-02T00:30:00Z') })).toEqual([1, 1]);
    // Kathmandu is UTC+5:45: its hour 05:00-06:00 local is 23:15Z-00:15Z, holding both sessions.
    expect(counts('session', { units: units('Asia/Kathmandu', 'hour', 1, '2024-03-02T00:00:00Z') })).toEqual([2]);
  });

  it('counts only the users asked for (a segment)', () => {
    expect(counterTotals(DATA, { kind: 'session', units: units() }, new Set(['u2'])).map((t) => t.count)).toEqual([1, 0, 0]);
  });

  it('lists names recorded, each once, in code-point order', () => {
    const names = recorded(['b', 'a', '\u{1F600}', '\uFF01', 'B', 'a'].map((name, i) => event(CUSTOM, 'u', i, { name })));
    // JavaScript's sort would put U+1F600 (a surrogate pair, 0xD83D...) before U+FF01.
    expect(recordedNames(names, 'custom_event')).toEqual(['B', 'a', 'b', '\uFF01', '\u{1F600}']);
    expect(recordedNames(DATA, 'custom_event')).toEqual(['Played', 'Won']);
    expect(recordedNames(DATA, 'purchase')).toEqual(['gold', 'silver']);
    expect(byCodePoint('\uFF01', '\u{1F600}')).toBeLessThan(0);
    expect(byCodePoint('ab', 'a')).toBeGreaterThan(0);
    expect(byCodePoint('\uE000', '\uD7FF')).toBeGreaterThan(0);
  });
});

describe('local day of an instant, looked up once per 15-minute bucket', () => {
  const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

  it('tells apart two instants of one bucket on both sides of a local midnight at a historic offset', () => {
    // Monrovia was at -0:44:30 until 1972: its midnight of 1 June 1971 is 00:44:30 UTC, inside the
    // bucket [00:30, 00:45).
    const dayOf = localDayByBucketOf('Africa/Monrovia');
    expect(dayOf(Date.UTC(1971, 5, 1, 0, 40) / 1000)).toBe(day('1971-05-31'));
    expect(dayOf(Date.UTC(1971, 5, 1, 0, 44, 40) / 1000)).toBe(day('1971-06-01'));
    expect(dayOf(Date.UTC(1971, 5, 1, 0, 30) / 1000)).toBe(day('1971-05-31'));
  });

  it('equals the day looked up per instant across DST changes and half-hour zones', () => {
    for (const zone of ['Asia/Kathmandu', 'Asia/Kolkata', 'America/New_York', 'Australia/Lord_Howe', 'UTC']) {
      const byBucket = localDayByBucketOf(zone);
      const each = localDayOf(zone);
      // Every 7 minutes 13 seconds over 2024-03-09 to 2024-04-08 (DST starts in New York and
      // ends at Lord Howe, by half an hour, in that span).
      for (let t = Date.UTC(2024, 2, 9) / 1000; t < Date.UTC(2024, 3, 8) / 1000; t += 433) expect(byBucket(t)).toBe(each(t));
    }
  });
});

import { expect } from 'vitest';
import type { AnalyticsData, CounterQuery, StoreError } from '@brazen/store';
import { naiveDaily, prng, type Session } from '../naive.ts';
import type { ConcernSuite } from './index.ts';
import {
  at, customEvent, D, dayLabels, dayUnits, H, hourUnits, ingest, purchase, record, session, T0, unitsAt, workspaceDoc,
} from './support.ts';

/** Series (SPEC §3): counters per unit, DAU/MAU/new users per local day, and the name lists. */
export const seriesContract: ConcernSuite = (it) => {
  /** The units of a counter series that are not zero, with their start. */
  const counter = async (data: AnalyticsData, q: CounterQuery) => {
    const totals = await data.counterSeries(q);
    expect(totals).toHaveLength(q.units.list.length);
    return q.units.list.map((u, i) => ({ start: u.start, ...totals[i] })).filter((t) => t.count !== 0);
  };
  const daily = async (data: AnalyticsData, metric: 'dau' | 'mau' | 'new_users', from: string, count: number, appId?: string) => {
    const days = dayLabels(from, count);
    const values = await data.activitySeries({ metric, appId, days });
    return new Map(days.map((d, i) => [d, values[i]]));
  };

  it('counts sessions, events, purchases and uninstalls in 15-minute buckets, by name and app', async ({ data, catalog }) => {
    await catalog.putWorkspace(workspaceDoc({ currency_rates: { EUR: 1.5 } }));
    await ingest(data, [
      session('a', 'u1', T0 + 60, 'app-a'),
      session('b', 'u2', T0 + 899, 'app-b'),
      session('c', 'u1', T0 + 900, 'app-a'),
      purchase('p1', 'u1', T0 + 100, 'gem', 2, { currency: 'EUR', app_id: 'app-a' }),
      purchase('p2', 'u2', T0 + 200, 'coin', 0.5, { app_id: 'app-b', quantity: 2 }),
      record('x1', 'users.behaviors.Uninstall', 'u2', T0 + 1000, { app_id: 'app-b' }),
    ]);
    // Units of 15 minutes (the finest a store is asked for): each gets the events of its own quarter.
    expect(await counter(data, { kind: 'session', units: unitsAt([T0, T0 + 900], 900) })).toEqual([
      { start: T0, count: 2, quantity: 2, revenue: 0 },
      { start: T0 + 900, count: 1, quantity: 1, revenue: 0 },
    ]);
    // One 45-minute unit takes all three.
    expect(await counter(data, { kind: 'session', units: unitsAt([T0], 2700) })).toEqual([{ start: T0, count: 3, quantity: 3, revenue: 0 }]);
    expect(await counter(data, { kind: 'session', appId: 'app-b', units: unitsAt([T0, T0 + 900], 900) })).toEqual([
      { start: T0, count: 1, quantity: 1, revenue: 0 },
    ]);
    // 2 EUR at 1.5 USD per EUR, quantity 1 (none given); 0.5 USD × 2.
    expect(await counter(data, { kind: 'purchase', name: 'gem', units: unitsAt([T0], 900) })).toEqual([{ start: T0, count: 1, quantity: 1, revenue: 3 }]);
    expect(await counter(data, { kind: 'purchase', units: unitsAt([T0], 900) })).toEqual([{ start: T0, count: 2, quantity: 3, revenue: 4 }]);
    expect(await counter(data, { kind: 'purchase', appId: 'app-b', units: unitsAt([T0], 900) })).toEqual([{ start: T0, count: 1, quantity: 2, revenue: 1 }]);
    expect(await counter(data, { kind: 'uninstall', units: unitsAt([T0, T0 + 900], 900) })).toEqual([{ start: T0 + 900, count: 1, quantity: 1, revenue: 0 }]);
    expect(await data.counterSeries({ kind: 'session', units: unitsAt([], 900) })).toEqual([]);
    // A purchase keeps the USD value of its rate when it was stored.
    await catalog.putWorkspace(workspaceDoc({ currency_rates: { EUR: 2 } }));
    expect(await counter(data, { kind: 'purchase', name: 'gem', units: unitsAt([T0], 900) })).toEqual([{ start: T0, count: 1, quantity: 1, revenue: 3 }]);
  });

  it('keeps counter sums right across many buckets and later updates to old ones', async ({ data }) => {
    const tick = (i: number, id = `t${i}`) => customEvent(id, `u${i % 50}`, T0 + i * 900, 'tick');
    await ingest(data, Array.from({ length: 52_000 }, (_, i) => tick(i)));
    await ingest(data, Array.from({ length: 100 }, (_, i) => tick(i, `again-${i}`)));
    const first = await counter(data, { kind: 'custom_event', name: 'tick', units: unitsAt(Array.from({ length: 200 }, (_, i) => T0 + i * 900), 900) });
    // Buckets 0-99 hold two events each, 100-199 one each.
    expect(first.length).toBe(200);
    expect(first.reduce((sum, b) => sum + b.count, 0)).toBe(300);
    expect(first.find((b) => b.start === T0 + 99 * 900)?.count).toBe(2);
    expect(first.find((b) => b.start === T0 + 100 * 900)?.count).toBe(1);
    const [all] = await data.counterSeries({ kind: 'custom_event', units: unitsAt([T0], 52_000 * 900) });
    expect(all.count).toBe(52_100);
  });

  it('answers day units from daily totals in the workspace time zone, before and after it changes', async ({ data, catalog }) => {
    // Purchases at 02:00 and 06:00 UTC on Jan 2: in New York (UTC-5) the first is on Jan 1.
    const buy = (id: string, time: number, price: number, quantity: number) => purchase(id, 'u1', time, 'p', price, { quantity, app_id: 'a' });
    await ingest(data, [buy('p1', T0 + D + 2 * H, 2, 3), buy('p2', T0 + D + 6 * H, 5, 1)]);
    // Many small batches of other events.
    for (let b = 0; b < 30; b++) {
      await ingest(data, Array.from({ length: 1_000 }, (_, i) => customEvent(`e${b}-${i}`, `u${i}`, T0 + ((b * 1_000 + i) % 96) * 900, `n${i % 40}`)));
    }
    const utc = await counter(data, { kind: 'purchase', units: dayUnits(2, T0 + D) });
    // 2 × 3 + 5 × 1 = 11 on Jan 2.
    expect(utc.map((b) => [b.start, b.count, b.quantity, b.revenue])).toEqual([[T0 + D, 2, 4, 11]]);
    // 30,000 events over the 96 buckets of Jan 1, 40 names: 750 of each name.
    const named = await counter(data, { kind: 'custom_event', name: 'n7', units: dayUnits(2, T0 + D) });
    expect(named.map((b) => [b.start, b.count])).toEqual([[T0, 750]]);
    expect((await data.counterSeries({ kind: 'custom_event', units: dayUnits(1, T0) }))[0].count).toBe(30_000);

    await catalog.putWorkspace(workspaceDoc({ time_zone: 'America/New_York' }));
    const nyStarts = [T0 + 5 * H, T0 + D + 5 * H];
    const ny = await counter(data, { kind: 'purchase', appId: 'a', units: dayUnits(2, T0 + D + 5 * H, 'America/New_York') });
    expect(ny.map((b) => [b.start, b.count, b.revenue])).toEqual([[nyStarts[0], 1, 6], [nyStarts[1], 1, 5]]);
    // Days asked in a zone other than the workspace's (Paris, UTC+1) are answered too.
    const paris = await counter(data, { kind: 'purchase', units: dayUnits(2, T0 + D, 'Europe/Paris') });
    expect(paris.map((b) => [b.start, b.count])).toEqual([[T0 + D - H, 2]]);
  });

  it('bins a 25-hour day and the repeated hour of a DST change, and days of a +05:30 zone', async ({ data, catalog }) => {
    const NY = 'America/New_York';
    await catalog.putWorkspace(workspaceDoc({ time_zone: NY }));
    // New York falls back on 2024-11-03 at 06:00 UTC (02:00 EDT becomes 01:00 EST): that local day
    // runs from 04:00 UTC on Nov 3 to 05:00 UTC on Nov 4, 25 hours.
    await ingest(data, [
      customEvent('n1', 'u1', at('2024-11-03T03:59:00Z'), 'tick'), // Nov 2, 23:59 EDT
      customEvent('n2', 'u1', at('2024-11-03T04:00:00Z'), 'tick'), // Nov 3, 00:00 EDT
      customEvent('n3', 'u1', at('2024-11-03T05:10:00Z'), 'tick'), // Nov 3, 01:10 EDT
      customEvent('n4', 'u1', at('2024-11-03T06:10:00Z'), 'tick'), // Nov 3, 01:10 EST, the hour again
      customEvent('n5', 'u1', at('2024-11-04T04:30:00Z'), 'tick'), // Nov 3, 23:30 EST
      customEvent('n6', 'u1', at('2024-11-04T05:00:00Z'), 'tick'), // Nov 4, 00:00 EST
    ]);
    const days = dayUnits(3, at('2024-11-04T12:00:00Z'), NY);
    expect(days.list.map((u) => u.time)).toEqual(['2024-11-02', '2024-11-03', '2024-11-04']);
    expect((await data.counterSeries({ kind: 'custom_event', name: 'tick', units: days })).map((t) => t.count)).toEqual([1, 4, 1]);
    // Hours from 04:00 UTC: 00:00 EDT, 01:00 EDT, 01:00 EST, 02:00 EST.
    const hours = hourUnits(4, at('2024-11-03T07:30:00Z'), NY);
    expect(hours.list.map((u) => u.time)).toEqual(['2024-11-03T00:00:00-04:00', '2024-11-03T01:00:00-04:00', '2024-11-03T01:00:00-05:00', '2024-11-03T02:00:00-05:00']);
    expect((await data.counterSeries({ kind: 'custom_event', units: hours })).map((t) => t.count)).toEqual([1, 1, 1, 0]);

    // Kolkata is UTC+05:30: its Jan 2 runs from 18:30 UTC on Jan 1.
    const IN = 'Asia/Kolkata';
    await catalog.putWorkspace(workspaceDoc({ time_zone: IN }));
    await ingest(data, [customEvent('k1', 'u1', at('2024-01-01T18:29:59Z'), 'k'), customEvent('k2', 'u1', at('2024-01-01T18:30:00Z'), 'k')]);
    expect((await data.counterSeries({ kind: 'custom_event', name: 'k', units: dayUnits(2, at('2024-01-02T12:00:00Z'), IN) })).map((t) => t.count)).toEqual([1, 1]);
    // The New York days again, now in a zone that is not the workspace's.
    expect((await data.counterSeries({ kind: 'custom_event', name: 'tick', units: days })).map((t) => t.count)).toEqual([1, 4, 1]);
  });

  it('maintains DAU, MAU and new users equal to a brute-force count, whatever the arrival order', async ({ data }) => {
    const rand = prng(7);
    const sessions: Session[] = [];
    const records: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 400; i++) {
      const user = `u${Math.floor(rand() * 25)}`;
      const app = rand() < 0.5 ? 'app-a' : 'app-b';
      const time = T0 + Math.floor(rand() * 120) * D + Math.floor(rand() * D);
      sessions.push({ user, app, day: new Date(time * 1000).toISOString().slice(0, 10) });
      records.push(session(`r${i}`, user, time, app));
    }
    // Arrival out of time order, in several batches.
    for (let i = 0; i < records.length; i += 57) await ingest(data, records.slice(i, i + 57));
    for (const metric of ['dau', 'mau', 'new_users'] as const) {
      for (const app of [undefined, 'app-a']) {
        const got = await daily(data, metric, '2024-01-01', 136, app);
        for (let d = 0; d < 136; d++) {
          const label = new Date((T0 + d * D) * 1000).toISOString().slice(0, 10);
          expect([metric, app, label, got.get(label) ?? 0]).toEqual([metric, app, label, naiveDaily(sessions, metric, label, app)]);
        }
      }
    }
  });

  it('counts a session without an app among all apps only, and activity on the local days of a DST zone', async ({ data, catalog }) => {
    await ingest(data, [
      session('s1', 'u1', T0 + H, 'app-a', { app_id: undefined }),
      session('s2', 'u2', T0 + 2 * H, 'app-a'),
    ]);
    expect(await daily(data, 'dau', '2024-01-01', 1)).toEqual(new Map([['2024-01-01', 2]]));
    expect(await daily(data, 'dau', '2024-01-01', 1, 'app-a')).toEqual(new Map([['2024-01-01', 1]]));
    expect(await daily(data, 'new_users', '2024-01-01', 1, 'app-b')).toEqual(new Map([['2024-01-01', 0]]));
    await catalog.putWorkspace(workspaceDoc({ time_zone: 'America/New_York' }));
    // 04:30 UTC on Nov 4 is 23:30 EST on Nov 3 (of 25 hours).
    await ingest(data, [session('d1', 'u3', at('2024-11-04T04:30:00Z'))]);
    const dau = await daily(data, 'dau', '2024-11-03', 2);
    expect([...dau.values()]).toEqual([1, 0]);
    // MAU of Dec 2 counts Nov 3 to Dec 2 (30 days: Nov 3 + 29); Dec 3's window starts on Nov 4.
    const mau = await daily(data, 'mau', '2024-12-02', 2);
    expect([...mau.values()]).toEqual([1, 0]);
    expect([...(await daily(data, 'new_users', '2024-11-03', 1)).values()]).toEqual([1]);
  });

  it("counts a user once in MAU when a batch brings the user's last known day again with a later one", async ({ data }) => {
    // u1: Jan 1 (first batch), then Jan 1 again and Jan 7 (second batch). Active days Jan 1 and Jan 7
    // cover Jan 1 to Feb 5 (Jan 7 + 29): MAU 1 on each of those days, 0 on Feb 6.
    await ingest(data, [session('s1', 'u1', T0 + 10 * H)]);
    await ingest(data, [session('s2', 'u1', T0 + 20 * H), session('s3', 'u1', T0 + 6 * D)]);
    expect([...(await daily(data, 'mau', '2024-01-01', 37)).values()]).toEqual([...new Array<number>(36).fill(1), 0]);
    expect([...(await daily(data, 'dau', '2024-01-01', 7)).values()]).toEqual([1, 0, 0, 0, 0, 0, 1]);
    expect([...(await daily(data, 'new_users', '2024-01-01', 7)).values()]).toEqual([1, 0, 0, 0, 0, 0, 0]);
  });

  it('recomputes day figures in a new workspace time zone', async ({ data, catalog }) => {
    // 03:00 UTC on Jan 2 is Jan 1 in New York.
    await ingest(data, [session('s1', 'u1', T0 + D + 3 * H)]);
    expect((await daily(data, 'dau', '2024-01-01', 2)).get('2024-01-02')).toBe(1);
    await catalog.putWorkspace(workspaceDoc({ time_zone: 'America/New_York' }));
    const ny = await daily(data, 'dau', '2024-01-01', 2);
    expect([ny.get('2024-01-01'), ny.get('2024-01-02')]).toEqual([1, 0]);
    await ingest(data, [session('s2', 'u1', T0 + D + 6 * H)]);
    const after = await daily(data, 'dau', '2024-01-01', 2);
    expect([after.get('2024-01-01'), after.get('2024-01-02')]).toEqual([1, 1]);
  });

  it('lists custom event names and products in code-point order, page by page', async ({ data }) => {
    // Code-point order: B (U+42) a ab b é (U+E9) ～ (U+FF5E) 😀 (U+1F600). In UTF-16 order the
    // emoji (a surrogate pair, U+D83D...) would come before ～.
    const names = ['b', 'a', 'B', '\uFF5E', '😀', 'é', 'ab'];
    await ingest(data, names.map((n, i) => customEvent(`e${i}`, 'u1', T0 + i, n)));
    await data.track({
      attributes: [],
      events: [{ id: 't1', eventType: 'users.behaviors.CustomEvent', time: T0, user: { external_id: 'x' }, name: 'tracked', payload: {} }],
      purchases: [{ id: 't2', eventType: 'users.behaviors.Purchase', time: T0, user: { external_id: 'x' }, name: 'gem', price: 1, currency: 'USD', quantity: 1, payload: {} }],
    });
    expect(await data.names('custom_event', 0, 3)).toEqual(['B', 'a', 'ab']);
    expect(await data.names('custom_event', 3, 10)).toEqual(['b', 'tracked', 'é', '\uFF5E', '😀']);
    expect(await data.names('custom_event', 8, 5)).toEqual([]);
    expect(await data.names('purchase', 0, 10)).toEqual(['gem']);
    expect(await data.hasName('custom_event', '😀')).toBe(true);
    expect(await data.hasName('custom_event', 'gem')).toBe(false);
    expect(await data.hasName('purchase', 'gem')).toBe(true);
    expect(await data.hasName('purchase', 'B')).toBe(false);
    await expect(data.names('custom_event', -1, 10)).rejects.toMatchObject({ code: 'invalid_input' } satisfies Partial<StoreError>);
  });

  it('samples each custom attribute with its first value, the earliest set and not null, in code-point order', async ({ data }) => {
    const set = (external_id: string, time: number, values: Record<string, unknown>, increments?: Record<string, number>) =>
      data.track({ attributes: [{ user: { external_id }, time, values, increments }], events: [], purchases: [] });
    await set('x', T0 + 100, { plan: 'gold', first_name: 'X', email: 'x@example.com', level: null });
    await set('y', T0 + 50, { plan: 'silver', level: 3, Zeta: true, émoji: 1 });
    // Set at the same time, later: the first value stays 3.
    await set('y', T0 + 50, { level: 4 });
    await set('z', T0, { level: null });
    await set('x', T0 + 200, {}, { visits: 2 });
    // Standard attributes (first_name, email) are not custom; level's null at T0 is no value.
    expect(await data.customAttributeSamples()).toEqual([
      { name: 'Zeta', firstValue: true },
      { name: 'level', firstValue: 3 },
      { name: 'plan', firstValue: 'silver' },
      { name: 'visits', firstValue: 2 },
      { name: 'émoji', firstValue: 1 },
    ]);
  });
};

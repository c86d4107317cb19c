import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbStore, type CounterQuery, type SegmentInstant, type UnitTotals, type Workspace } from '@brazen/store';
import { seriesUnits, type SegmentFilter } from '@brazen/analytics';
import { at, customEvent, dayLabels, ingest, pieceText, purchase, record, session, workspaceDoc, type CurrentsRecord } from './contract/support.ts';
import { prng } from './naive.ts';

// Kept segment histories (duckdb/kept-segments.ts): sizes read from them must be the sizes the
// filter gives when evaluated from the records (a store with no tracked segment evaluates them so),
// after every kind of write, late records, new definitions, a time-zone change and a reopening.

const tracked = (filters: SegmentFilter[], zone = 'UTC'): Workspace => workspaceDoc({
  time_zone: zone,
  segments: filters.map((filter, i) => ({ id: `s${i}`, name: `S${i}`, filter, analytics_tracking_enabled: true })),
});

/** The end of each local day of `days` ending with the day of `last` (exclusive instants), and `now`. */
function dayEnds(days: number, last: number, zone: string): SegmentInstant[] {
  return seriesUnits('day', days, last, zone).map((u) => ({ at: u.end, inclusive: false }));
}

let dirs: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-kept-segments-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** The stored net change of a segment's size per day, read from its file (after the store closed). */
async function keptDays(dir: string): Promise<Array<[string, number]>> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`ATTACH '${join(dir, 'brazen.duckdb')}' AS b (READ_ONLY)`);
  const found = (await c.runAndReadAll(`SELECT strftime(DATE '1970-01-01' + day, '%Y-%m-%d'), sum(diff)::INTEGER FROM b.segment_days GROUP BY day HAVING sum(diff) <> 0 ORDER BY day`)).getRows() as Array<[string, number]>;
  c.closeSync();
  db.closeSync();
  return found;
}

describe('kept segment sizes', () => {
  it('moves the sizes of the day of a late record and of the days after it, and nothing else', async () => {
    const dir = folder();
    let store = await DuckDbStore.open({ dataDir: dir });
    const twice: SegmentFilter = { custom_event: 'Played', op: 'gte', count: 2, within_days: 7 };
    await store.putWorkspace(tracked([twice]));
    await ingest(store, [
      customEvent('a1', 'u1', at('2024-03-10T10:00:00Z'), 'Played'),
      customEvent('a2', 'u1', at('2024-03-12T10:00:00Z'), 'Played'),
      customEvent('a3', 'u1', at('2024-03-20T10:00:00Z'), 'Played'),
      customEvent('b1', 'u2', at('2024-03-15T09:00:00Z'), 'Played'),
      customEvent('c1', 'u3', at('2024-03-16T08:00:00Z'), 'Played'),
      customEvent('c2', 'u3', at('2024-03-25T08:00:00Z'), 'Played'),
    ]);
    // The end of each day of March 1..30, and now (Mar 31 12:00).
    const instants = [...dayEnds(30, at('2024-03-30T00:00:00Z'), 'UTC'), { at: at('2024-03-31T12:00:00Z'), inclusive: true }];
    await store.workspace().keptSegments!.refresh();
    // A day D counts the Played events of [end of D − 7 days, end of D). u1: Mar 10 10:00 and Mar 12
    // 10:00 are both in from the end of Mar 12 until Mar 10 10:00 leaves, at the end of Mar 17 (Mar 18
    // 00:00 − 7 days = Mar 11 00:00 > Mar 10 10:00): a member Mar 12..16. Mar 20 comes after Mar 12 has
    // left (at the end of Mar 19). u2 has one event, u3 two 9 days apart: never members.
    const before = new Array<number>(31).fill(0);
    for (let d = 12; d <= 16; d++) before[d - 1] = 1;
    expect(await store.segmentSizes(twice, instants)).toEqual(before);
    await store.close();
    // Kept: u1 joins on Mar 12 (10:00) and leaves on Mar 17 (10:00, when Mar 10 10:00 is 7 days old).
    expect(await keptDays(dir)).toEqual([['2024-03-12', 1], ['2024-03-17', -1]]);

    // Two records of Mar 17, two weeks before Mar 31, arrive late. u2 Mar 17 12:00 (with Mar 15 09:00,
    // which leaves at the end of Mar 22: Mar 23 00:00 − 7 days > Mar 15 09:00) is in Mar 17..21; u3 Mar
    // 17 12:00 (with Mar 16 08:00, which leaves at the end of Mar 23) is in Mar 17..22, and Mar 25 08:00
    // finds Mar 17 12:00 gone (it leaves at the end of Mar 24).
    store = await DuckDbStore.open({ dataDir: dir });
    await ingest(store, [customEvent('b2', 'u2', at('2024-03-17T12:00:00Z'), 'Played'), customEvent('c3', 'u3', at('2024-03-17T12:00:00Z'), 'Played')]);
    const after = [...before];
    for (let d = 17; d <= 21; d++) after[d - 1] = 2;
    after[22 - 1] = 1;
    expect(await store.segmentSizes(twice, instants)).toEqual(after);
    await store.close();
    // Only Mar 17 and later moved: u2 and u3 join on Mar 17 (+2 beside u1's −1), u2 leaves on Mar 22
    // (09:00) and u3 on Mar 23 (08:00).
    expect(await keptDays(dir)).toEqual([['2024-03-12', 1], ['2024-03-17', 1], ['2024-03-22', -1], ['2024-03-23', -1]]);
  });
});

describe('kept segment-restricted series', () => {
  it('moves the series of the members now by the late records of their users, and nothing else', async () => {
    const dir = folder();
    const now = Date.parse('2024-03-31T12:00:00Z');
    const open = () => DuckDbStore.open({ dataDir: dir, now: () => now });
    let store = await open();
    const twice: SegmentFilter = { custom_event: 'Played', op: 'gte', count: 2 };
    await store.putWorkspace(tracked([twice]));
    await ingest(store, [
      customEvent('a1', 'u1', at('2024-03-10T10:00:00Z'), 'Played'),
      customEvent('a2', 'u1', at('2024-03-12T10:00:00Z'), 'Played'),
      customEvent('b1', 'u2', at('2024-03-15T09:00:00Z'), 'Played'),
      session('s1', 'u1', at('2024-03-11T08:00:00Z')),
      session('s2', 'u1', at('2024-03-20T08:00:00Z')),
      session('s3', 'u2', at('2024-03-16T08:00:00Z')),
      session('s4', 'u2', at('2024-03-25T08:00:00Z')),
      session('s5', 'u3', at('2024-03-18T08:00:00Z')),
    ]);
    await store.workspace().keptSegments!.refresh();
    const units = { unit: 'day' as const, zone: 'UTC', list: seriesUnits('day', 30, now / 1000, 'UTC') };
    const sessions = { kind: 'session' as const, units };
    const played = { kind: 'custom_event' as const, name: 'Played', units };
    // Days Mar 2..31; a series as counts on the days given.
    const series = (counts: Record<number, number>) =>
      units.list.map((_, i) => ({ count: counts[i + 2] ?? 0, quantity: counts[i + 2] ?? 0, revenue: 0 }));
    // Members now: u1 alone (Played twice); u2 played once, u3 never.
    expect(await store.segmentCounterSeries(sessions, twice, now / 1000)).toEqual(series({ 11: 1, 20: 1 }));
    expect(await store.segmentCounterSeries(played, twice, now / 1000)).toEqual(series({ 10: 1, 12: 1 }));
    expect(await store.segmentSizes(twice, dayEnds(30, now / 1000, 'UTC'))).toEqual(units.list.map((_, i) => (i + 2 >= 12 ? 1 : 0)));
    await store.close();
    // The counters are kept for today (Mar 31, day 19,813 since 1970).
    expect(await keptRefDays(dir)).toEqual([19_813]);

    // Late records of Mar 17, two weeks back: u2 plays a second time (and is a member from then on),
    // u1 has one more session, u3 plays once (still no member).
    store = await open();
    await ingest(store, [
      customEvent('b2', 'u2', at('2024-03-17T12:00:00Z'), 'Played'),
      session('s6', 'u1', at('2024-03-17T12:00:00Z')),
      customEvent('c1', 'u3', at('2024-03-17T13:00:00Z'), 'Played'),
    ]);
    // Members now: u1 and u2, with every record of theirs (u2's from before the day they joined too).
    expect(await store.segmentCounterSeries(sessions, twice, now / 1000)).toEqual(series({ 11: 1, 16: 1, 17: 1, 20: 1, 25: 1 }));
    expect(await store.segmentCounterSeries(played, twice, now / 1000)).toEqual(series({ 10: 1, 12: 1, 15: 1, 17: 1 }));
    // Sizes: 1 from the end of Mar 12, 2 from the end of Mar 17; the days before Mar 17 unchanged.
    expect(await store.segmentSizes(twice, dayEnds(30, now / 1000, 'UTC'))).toEqual(units.list.map((_, i) => (i + 2 >= 17 ? 2 : i + 2 >= 12 ? 1 : 0)));
    await store.close();
    expect(await keptRefDays(dir)).toEqual([19_813]);
  });
});

describe('kept segment export members', () => {
  it('are the members as of the instant, an event still in its window at the very end of it', async () => {
    const store = await DuckDbStore.open({ dataDir: folder() });
    const today: SegmentFilter = { custom_event: 'Played', op: 'gte', count: 1, within_days: 1 };
    await store.putWorkspace(tracked([today]));
    const t = at('2024-03-10T10:00:00Z');
    await ingest(store, [customEvent('a1', 'u1', t, 'Played'), customEvent('b1', 'u2', t + 600, 'Played'), session('s1', 'u3', t - 600)]);
    await store.workspace().keptSegments!.refresh();
    // A window of a day as of T keeps the events of [T − 1 day, T]: u1's leaves after T = t + 1 day.
    expect(await members(store, today, t + 86_400)).toEqual(['u1', 'u2']);
    expect(await members(store, today, t + 86_400 + 1)).toEqual(['u2']);
    expect(await members(store, today, t + 86_400 + 600.5)).toEqual([]);
    // A record stamped at the instant counts.
    expect(await members(store, today, t + 600)).toEqual(['u1', 'u2']);
    // Before u2 was first seen: the filter is evaluated from the records.
    expect(await members(store, today, t + 300)).toEqual(['u1']);
    await store.close();
  });
});

/** The day the members' counters of each kept segment are kept for, read from its file. */
async function keptRefDays(dir: string): Promise<number[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`ATTACH '${join(dir, 'brazen.duckdb')}' AS b (READ_ONLY)`);
  const found = (await c.runAndReadAll(`SELECT ref_day FROM b.kept_segments ORDER BY seg`)).getRows().map(([d]) => Number(d));
  c.closeSync();
  db.closeSync();
  return found;
}

/** Filters of every leaf kind, at the edges of their windows, and nested. */
const FILTERS: Array<SegmentFilter | undefined> = [
  undefined,
  { session_count: { op: 'gte', value: 1 } },
  { session_count: { op: 'eq', value: 2 } },
  { last_session_within_days: 3 },
  { custom_event: 'Played', op: 'gte', count: 2, within_days: 5 },
  { custom_event: 'Viewed', op: 'eq', count: 0 },
  { purchased: null, op: 'gte', count: 1, within_days: 10 },
  { purchased: 'P1', op: 'lt', count: 2 },
  { received_campaign: 'c1' },
  { received_campaign: 'c2', within_days: 4 },
  { attribute: 'country', op: 'eq', value: 'US' },
  { attribute: 'country', op: 'ne', value: 'US' },
  { attribute: 'age', op: 'gte', value: 30 },
  { attribute: 'age', op: 'exists' },
  { attribute: 'tags', op: 'contains', value: 'vip' },
  { random_bucket: { gte: 0, lte: 4999 } },
  { and: [{ not: { last_session_within_days: 2 } }, { attribute: 'country', op: 'in', value: ['US', 'CA'] }] },
  { or: [{ custom_event: 'Played', op: 'gte', count: 1, within_days: 1 }, { random_bucket: { lte: 2000 } }] },
  { not: { or: [{ attribute: 'plan', op: 'eq', value: 'pro' }, { purchased: null, op: 'gte', count: 1 }] } },
];

/** Records of `users` users over `days` days from `start`, in a random order: times anywhere in a day,
 * on local midnights of `zone` and an hour either side (where windows begin and end), some with a
 * fraction of a second. */
function randomRecords(seed: number, users: number, start: number, days: number, zone: string) {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const midnights = seriesUnits('day', days, start + (days - 1) * 86_400, zone).map((u) => u.start);
  const time = () => {
    const r = random();
    if (r < 0.15) return pick(midnights);
    if (r < 0.25) return pick(midnights) + pick([-3600, 3600, -1, 1]);
    const t = start + Math.floor(random() * days * 86_400);
    return r < 0.3 ? t + 0.5 : t;
  };
  const app = (): CurrentsRecord => (random() < 0.7 ? { app_id: pick(['app-a', 'app-b']) } : {});
  const records: CurrentsRecord[] = [];
  const tracks: Array<{ user: string; time: number; values: Record<string, unknown> }> = [];
  for (let u = 0; u < users; u++) {
    const user = `b${u}`;
    const n = Math.floor(random() * 12);
    for (let k = 0; k < n; k++) {
      const id = `${user}-${k}`;
      const kind = random();
      if (kind < 0.3) records.push(session(id, user, time(), pick(['app-a', 'app-b'])));
      else if (kind < 0.6) records.push(customEvent(id, user, time(), pick(['Played', 'Viewed']), app()));
      else if (kind < 0.7) records.push(purchase(id, user, time(), pick(['P1', 'P2']), pick([5, 2.5, 0.1]), { ...app(), quantity: pick([1, 2]) }));
      else if (kind < 0.8) records.push(record(id, 'users.messages.email.Send', user, time(), { campaign_id: 'c1', email_address: 'x@example.com' }));
      else if (kind < 0.9) records.push(record(id, 'users.messages.inappmessage.Impression', user, time(), { campaign_id: 'c2' }));
      else records.push(record(id, 'users.campaigns.EnrollInControl', user, time(), { campaign_id: 'c2' }));
    }
    // Some users exist only through their attributes; some have none.
    const updates = Math.floor(random() * 4);
    const t = time();
    for (let k = 0; k < updates; k++) {
      const values: Record<string, unknown> = {};
      if (random() < 0.6) values.country = pick(['US', 'CA', 'DE', null]);
      if (random() < 0.4) values.age = pick([25, 30, 41, '30', null]);
      if (random() < 0.3) values.tags = pick([['vip', 'beta'], ['beta'], []]);
      if (random() < 0.3) values.plan = pick(['pro', 'free']);
      // Updates of one user at the same moment: the later one wins.
      tracks.push({ user, time: random() < 0.3 ? t : time(), values });
    }
  }
  for (let i = records.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [records[i], records[j]] = [records[j], records[i]];
  }
  return { records, tracks };
}

/** Instants ("now") at which events of the first few of each kind are exactly as old as the windows
 * of FILTERS that read them. */
function windowEdges(records: CurrentsRecord[]): SegmentInstant[] {
  const windows: Array<[(r: CurrentsRecord) => boolean, number[]]> = [
    [(r) => r.event_type === 'users.behaviors.app.SessionStart', [2, 3]],
    [(r) => r.name === 'Played', [1, 5]],
    [(r) => r.event_type === 'users.behaviors.Purchase', [10]],
    [(r) => r.event_type === 'users.messages.inappmessage.Impression', [4]],
  ];
  return windows.flatMap(([kind, days]) => records.filter(kind).slice(0, 3).flatMap((r) => days.map((d) => ({ at: (r.time as number) + d * 86_400, inclusive: true }))));
}

/** Day series of every counter kind, with a name and an app or without, over the days up to `moment`. */
function counterQueries(moment: number, zone: string): CounterQuery[] {
  const units = { unit: 'day' as const, zone, list: seriesUnits('day', 25, moment, zone) };
  return [
    { kind: 'session', units },
    { kind: 'session', appId: 'app-b', units },
    { kind: 'custom_event', name: 'Played', units },
    { kind: 'custom_event', units },
    { kind: 'purchase', name: 'P1', appId: 'app-a', units },
    { kind: 'purchase', units },
  ];
}

/** The braze_ids of an export's members of the segment with this filter as of `at`, in their order. */
async function members(store: DuckDbStore, filter: SegmentFilter | undefined, at: number): Promise<string[]> {
  const n = await store.snapshotExportMembers('job', filter, at);
  const reader = await store.openExportProfiles('job', { fields: ['braze_id'] });
  try {
    const text = (await Promise.all((await reader.read(0, n, 100)).map(pieceText))).join('');
    return text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { braze_id: string }).braze_id);
  } finally {
    reader.close();
    await store.dropExportMembers('job');
  }
}

/** Totals with revenue to the cent (sums of the same amounts in another order). */
const cents = (totals: UnitTotals[]) => totals.map((t) => ({ ...t, revenue: Math.round(t.revenue * 100) / 100 }));

describe('kept segment sizes against sizes computed from the records', () => {
  const start = at('2024-02-25T00:00:00Z');
  const DAYS = 21;
  // Histories computed in full at once (seed 1), or 7 users (uids) at a time, as a store much
  // larger than its memory limit computes them.
  for (const [seed, zone, batchUsers] of [[1, 'UTC', undefined], [2, 'America/New_York', 7], [3, 'Asia/Kolkata', 7]] as const) {
    it(`agree at the end of every day and at moments between, batch after batch, in ${zone} (seed ${seed}${batchUsers ? `, histories ${batchUsers} users at a time` : ''})`, async () => {
      const dir = folder();
      const open = () => DuckDbStore.open({ dataDir: dir, segmentHistoryBatchUsers: batchUsers });
      let kept = await open();
      const plain = await DuckDbStore.open({ dataDir: ':memory:' });
      const filters = FILTERS.filter((f) => f !== undefined) as SegmentFilter[];
      const doc = tracked(filters, zone);
      doc.segments.push({ id: 'everyone', name: 'Everyone', analytics_tracking_enabled: true });
      await kept.putWorkspace(doc);
      await plain.putWorkspace(workspaceDoc({ time_zone: zone }));
      const { records, tracks } = randomRecords(seed, 30, start, DAYS, zone);
      const instants: SegmentInstant[] = [
        ...dayEnds(DAYS + 8, start + (DAYS + 6) * 86_400, zone),
        ...records.slice(0, 6).map((r) => ({ at: r.time as number, inclusive: true })),
        // Where an event leaves the windows that read it ("now" keeps it at the very end).
        ...windowEdges(records),
        ...records.slice(6, 10).map((r) => ({ at: r.time as number, inclusive: false })),
        { at: start + 15.5 * 86_400, inclusive: true },
      ];
      // Four batches in a random order (each holding late records for the ones before), attributes
      // in between; the store closed and opened again half way.
      const batches = [0, 1, 2, 3].map((b) => records.filter((_, i) => i % 4 === b));
      for (const [b, batch] of batches.entries()) {
        for (const store of [kept, plain]) {
          await ingest(store, batch);
          const mine = tracks.filter((_, i) => i % 4 === b);
          await store.track({ attributes: mine.map((t) => ({ user: { braze_id: t.user }, time: t.time, values: t.values })), events: [], purchases: [] });
        }
        if (b === 1) {
          await kept.close();
          kept = await open();
        }
        if (b === 0) await kept.workspace().keptSegments!.refresh();
        for (const filter of FILTERS) {
          expect([filter, await kept.segmentSizes(filter, instants)]).toEqual([filter, await plain.segmentSizes(filter, instants)]);
        }
        // Export members as of moments after the records (every user seen by then), one exactly where
        // the last Played event leaves a window of a day (it still counts then).
        const lastPlayed = Math.max(...records.filter((r) => r.name === 'Played').map((r) => r.time as number));
        for (const moment of [start + (DAYS + 0.6) * 86_400, lastPlayed + 86_400]) {
          for (const filter of FILTERS) {
            expect([filter, moment, await members(kept, filter, moment)]).toEqual([filter, moment, await members(plain, filter, moment)]);
          }
        }
        // Series restricted to the members as of moments of several days after the records (the
        // kept counters move from day to day, back and forth), where members leave windows.
        const moments = [0.6, 2.4, 4.5, 1.2].map((d) => start + (DAYS + d) * 86_400);
        for (const moment of moments) {
          for (const filter of FILTERS.slice(b * 5, b * 5 + 5)) {
            for (const q of counterQueries(moment, zone)) {
              const [mine, theirs] = [await kept.segmentCounterSeries(q, filter, moment), await plain.segmentCounterSeries(q, filter, moment)];
              expect([filter, q.kind, q.name, q.appId, moment, cents(mine)]).toEqual([filter, q.kind, q.name, q.appId, moment, cents(theirs)]);
            }
          }
        }
      }
      await kept.close();
      await plain.close();
    }, 120_000);
  }
});

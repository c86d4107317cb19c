import type { DuckDBConnection } from '@duckdb/node-api';
import { dayNumber, seriesUnits, type SegmentFilter } from '@brazen/analytics';
import type { RefreshOptions, SegmentInstant, Workspace } from '../types.ts';
import type { CounterQuery, KeptSegments, UnitTotals } from '../ports.ts';
import type { Db } from './db.ts';
import { segmentChangesSql } from './segment-changes.ts';
import { firstSeenSql, sqlNumber } from './segment-sql.ts';
import { catchUpCounters, computeCounters, moveCounters, readCounters, SEGMENT_COUNTERS_DDL } from './segment-counters.ts';
import { inTransaction, literal, one, rows } from './sql.ts';
import { compiled, filterKey, parseKey, trackedFilters } from './tracked-segments.ts';

/**
 * Tracked segments kept the way Braze keeps them (the KeptSegments capability): each tracked
 * segment's history computed once, when it is defined or changed, as the moments its members join
 * and leave it (`segment_changes`, see segment-changes.ts), and the net change of its size each
 * local day (`segment_days`). A size at the end of a day is then a sum of a few hundred numbers, and
 * the size now adds the changes of today up to now.
 *
 * Records that arrive later (new or late) are caught up user by user: the kept changes of the users
 * they name are computed again from all of those users' records and replace the old ones, and each
 * day's net change moves by the difference, so only the days from the earliest new record on can
 * change. What was caught up is marked by the rows each segment has seen of `events`, `attributes`
 * and `users` (those tables are only ever appended to).
 */

export const KEPT_SEGMENTS_DDL = [
  `CREATE SEQUENCE IF NOT EXISTS kept_segment_numbers`,
  `CREATE TABLE IF NOT EXISTS kept_segments (
     seg INTEGER PRIMARY KEY, filter VARCHAR, zone VARCHAR,
     events BIGINT, attributes BIGINT, users BIGINT, event_rows BIGINT, attribute_rows BIGINT, user_rows BIGINT)`,
  `CREATE TABLE IF NOT EXISTS segment_changes (seg INTEGER, uid INTEGER, day INTEGER, t DOUBLE, ph TINYINT, delta TINYINT)`,
  `CREATE TABLE IF NOT EXISTS segment_days (seg INTEGER, day INTEGER, diff BIGINT, PRIMARY KEY (seg, day))`,
];

/** The tables a segment's history reads, and what marks how far it has read them: `rowid` below the
 * mark was seen, and so many rows were there (fewer now: rows went away, everything is computed again). */
const TABLES = ['events', 'attributes', 'users'] as const;
type Marks = Record<(typeof TABLES)[number] | `${'event' | 'attribute' | 'user'}_rows`, number>;

interface KeptRow extends Marks {
  seg: number;
  filter: string;
  zone: string;
  /** The day the counters of its members are kept for (segment-counters.ts); null: none kept. */
  ref_day: number | null;
  /** No user was first seen after this (epoch seconds; null when there is no user). */
  seen_until: number | null;
}

export interface KeptSegmentOptions {
  workspace: () => Promise<Workspace>;
  /** Epoch milliseconds: a refresh keeps the members' counters for today. */
  now: () => number;
  /** The workspace's time zone (local days). */
  zone: () => string;
  /** Users per batch of a history computed in full (default: as many as DuckDB's memory limit
   * holds the records of; tests lower it). */
  historyBatchUsers?: number;
}

/** Records (events and attribute rows) a history computed in full reads per batch of users, per
 * byte of DuckDB's memory limit: at 1 GB, 10 million (the 1M-user demo's 60 million in 6 batches). */
const RECORDS_PER_BYTE = 1 / 100;

/** DuckDB's memory limit in bytes, from its setting's text ('953.6 MiB'); undefined if unreadable. */
export function memoryLimitBytes(text: string): number | undefined {
  const found = /^([\d.]+)\s*([KMGT]?i?B|bytes)$/i.exec(text.trim());
  if (!found) return undefined;
  const unit = found[2].toUpperCase();
  const power = unit === 'BYTES' || unit === 'B' ? 0 : 'KMGT'.indexOf(unit[0]) + 1;
  return Number(found[1]) * (unit.includes('I') ? 1024 : 1000) ** power;
}

/** Requests for at most this many instants of a segment whose history is not computed yet compute
 * them directly (and leave the history to the background); more wait for the history, which costs
 * about as much as computing 20 to 40 instants directly. */
const DIRECT_INSTANTS = 14;

/** Work that runs one piece at a time, in order. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  async idle(): Promise<void> {
    await this.tail;
  }
}

export class KeptSegmentStore implements KeptSegments {
  /** Bumped by every write; `caughtUp` is the value the last catch-up started from. */
  private version = 1;
  private caughtUp = 0;
  /** Catch-ups with new records, on one connection. */
  private readonly data = new Queue();
  /** Segments dropped and computed in full as definitions change, on another (a history that
   * takes minutes to compute holds up no catch-up of the others). */
  private readonly definitions = new Queue();
  private catcher: DuckDBConnection | undefined;
  private builder: DuckDBConnection | undefined;
  /** Kept segments by filter key, as last read. */
  private kept = new Map<string, KeptRow>();
  /** The workspace's tracked segments by filter key. */
  private wanted = new Map<string, SegmentFilter | undefined>();

  constructor(
    private readonly db: Db,
    private readonly options: KeptSegmentOptions,
  ) {}

  async prepare(): Promise<void> {
    for (const ddl of [...KEPT_SEGMENTS_DDL, ...SEGMENT_COUNTERS_DDL]) await this.db.writer.run(ddl);
    await this.load(this.db.writer);
    this.wanted = trackedFilters(await this.options.workspace());
  }

  private async load(conn: DuckDBConnection): Promise<void> {
    const found = await rows<KeptRow>(conn, `SELECT * FROM kept_segments`);
    this.kept = new Map(found.map((r) => [r.filter, numbers(r)]));
  }

  /** Records were written: kept segments are behind until the next catch-up. */
  changed(): void {
    this.version++;
  }

  /** The definitions (or the time zone) changed: new tracked segments are computed in the background. */
  defined(ws: Workspace): void {
    this.wanted = trackedFilters(ws);
    this.define().catch(() => undefined); // computed again on the next refresh or request
  }

  /** Brings every tracked segment up to date: gone ones dropped, new ones computed in full, kept
   * ones caught up with the records added since. */
  async refresh(options: RefreshOptions = {}): Promise<number> {
    const computed = await this.define(options);
    if (options.stop?.()) return computed;
    const caughtUp = await this.catchUp(options);
    // The members' counters kept for today, so that the first series restricted to a segment reads them.
    await this.data.run(async () => {
      const conn = (this.catcher ??= await this.db.connect());
      const zone = this.options.zone();
      const [today] = seriesUnits('day', 1, this.options.now() / 1000, zone);
      for (const row of this.kept.values()) {
        if (row.zone !== zone || options.stop?.()) continue;
        await inTransaction(conn, () => moveCountersTo(conn, row.seg, dayNumber(today.time), zone));
      }
      await this.load(conn);
    });
    return computed + caughtUp;
  }

  async close(): Promise<void> {
    await this.definitions.idle();
    await this.data.idle();
    this.catcher?.closeSync();
    this.builder?.closeSync();
  }

  /**
   * Sizes of the segment with this filter at each instant, from its kept history; undefined when no
   * tracked segment has this filter or its history is not computed yet (the caller computes them).
   */
  async sizes(filter: SegmentFilter | undefined, instants: SegmentInstant[]): Promise<number[] | undefined> {
    const row = await this.current(filter, instants.length);
    if (!row) return undefined;
    const local = instants.map(({ at, inclusive }) => {
      const [unit] = seriesUnits('day', 1, at, row.zone);
      // The end of a day is a local midnight (exclusive): no change of that day counts yet.
      return { at, inclusive, day: dayNumber(unit.time), partial: inclusive || unit.start !== at };
    });
    // One statement (one snapshot): the net change of every day, and the changes of the days of
    // other instants up to each of them (as day −1 − i).
    const parts = local.map((l, i) => (l.partial
      ? `UNION ALL SELECT ${-1 - i}, coalesce(sum(delta), 0)::DOUBLE FROM segment_changes WHERE seg = ${row.seg} AND day = ${l.day}
           AND (t < ${sqlNumber(l.at)}${l.inclusive ? ` OR (t = ${sqlNumber(l.at)} AND ph = 1)` : ''})`
      : ''));
    const found = (await this.db.reader.runAndReadAll(
      `SELECT day, diff::DOUBLE FROM segment_days WHERE seg = ${row.seg} ${parts.join(' ')}`,
    )).getRows() as Array<[number, number]>;
    const days = found.filter(([day]) => day >= 0).sort((a, b) => a[0] - b[0]);
    const partial = new Map(found.filter(([day]) => day < 0));
    return local.map((l, i) => {
      let size = partial.get(-1 - i) ?? 0;
      for (const [day, diff] of days) {
        if (day >= l.day) break;
        size += diff;
      }
      return size;
    });
  }

  /**
   * A counter series of the members as of `at` (inclusive) of the segment with this filter, from
   * its kept counters; undefined when it has none (hour units, or no tracked segment has this filter).
   */
  async counterSeries(q: CounterQuery, filter: SegmentFilter | undefined, at: number): Promise<UnitTotals[] | undefined> {
    if (q.units.unit !== 'day' || q.units.list.length === 0) return undefined;
    const row = await this.current(filter, 1);
    // Members as of an instant are every user who matches the filter then, also users first seen
    // after it (they have no data by then); the kept changes know users from when they were seen.
    if (!row || q.units.zone !== row.zone || (row.seen_until !== null && at < row.seen_until)) return undefined;
    const day = dayNumber(seriesUnits('day', 1, at, row.zone)[0].time);
    const days = q.units.list.map((u) => dayNumber(u.time));
    for (let attempt = 0; attempt < 3; attempt++) {
      const read = await readCounters(this.db.reader, row.seg, day, q, days, at);
      if (read) return read;
      // The counters are kept for another day: moved to this one (and read again, in case another
      // request moved them meanwhile).
      try {
        await this.data.run(async () => {
          const conn = (this.catcher ??= await this.db.connect());
          await inTransaction(conn, () => moveCountersTo(conn, row.seg, day, row.zone));
        });
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  /**
   * A query of the uids of the members as of `at` (inclusive) of the segment with this filter, from
   * its kept changes (a user is a member when their changes up to then add up to 1); undefined when
   * no tracked segment has this filter, its history is not computed yet, or a user was first seen
   * after `at` (members then count users not seen yet, whom the changes know only from then).
   */
  async membersSql(filter: SegmentFilter | undefined, at: number): Promise<string | undefined> {
    const row = await this.current(filter, 1);
    if (!row || (row.seen_until !== null && at < row.seen_until)) return undefined;
    return `SELECT uid FROM segment_changes WHERE seg = ${row.seg} AND (t < ${sqlNumber(at)} OR (t = ${sqlNumber(at)} AND ph = 1))
      GROUP BY uid HAVING sum(delta) = 1`;
  }

  /** The kept segment of this filter, caught up with the data; undefined when none is (yet). */
  private async current(filter: SegmentFilter | undefined, instants: number): Promise<KeptRow | undefined> {
    const key = filterKey(filter);
    if (!this.wanted.has(key)) return undefined;
    try {
      if (!this.kept.has(key)) {
        const computing = this.define();
        if (instants <= DIRECT_INSTANTS) {
          computing.catch(() => undefined);
          return undefined;
        }
        await computing;
      }
      if (this.caughtUp !== this.version) await this.catchUp({});
    } catch {
      return undefined; // computed directly; the kept history is brought up to date later
    }
    const row = this.kept.get(key);
    return row && row.zone === this.options.zone() ? row : undefined;
  }

  /** Drops the segments no longer tracked (or kept in another time zone) and computes new ones. */
  private define(options: RefreshOptions = {}): Promise<number> {
    return this.definitions.run(async () => {
      const conn = (this.builder ??= await this.db.connect());
      const zone = this.options.zone();
      const wanted = this.wanted;
      await this.load(conn);
      for (const row of this.kept.values()) {
        if (!wanted.has(row.filter) || row.zone !== zone) await inTransaction(conn, () => dropSegment(conn, row.seg));
      }
      await this.load(conn);
      // New ones are computed together: one read of when each user was first seen.
      const fresh = [...wanted].filter(([key]) => !this.kept.has(key));
      if (fresh.length === 0 || options.stop?.()) return 0;
      await inTransaction(conn, async () => {
        const marks = await currentMarks(conn);
        await conn.run(`CREATE OR REPLACE TEMP TABLE seg_population AS ${firstSeenSql('events', 'attributes')}`);
        const batches = await this.userBatches(conn);
        for (const [key, filter] of fresh) await this.computeAll(conn, await newSegment(conn), key, filter, zone, marks, batches);
      });
      await this.load(conn);
      return fresh.length;
    });
  }

  /** Catches kept segments up with the records added since they last read; those with the same
   * marks together (one read of the new records). */
  private catchUp(options: RefreshOptions): Promise<number> {
    return this.data.run(async () => {
      const version = this.version;
      const conn = (this.catcher ??= await this.db.connect());
      const zone = this.options.zone();
      await this.load(conn);
      const groups = new Map<string, KeptRow[]>();
      for (const row of this.kept.values()) {
        if (row.zone !== zone) continue;
        const key = TABLES.map((t) => row[t]).join(' ');
        groups.set(key, [...(groups.get(key) ?? []), row]);
      }
      let done = 0;
      for (const group of groups.values()) {
        if (options.stop?.()) return done;
        done += await inTransaction(conn, () => this.catchUpGroup(conn, group, zone));
      }
      this.caughtUp = version;
      await this.load(conn);
      return done;
    });
  }

  /**
   * The uid ranges a history computed in full is computed in, one after the other: each user's
   * changes come from that user's records alone, so a batch of users is computed from their records
   * alone, in memory that grows with the batch, not with the store (DuckDB's window over every
   * record of a million users does not fit a 1 GB limit). As many users a batch as the memory limit
   * holds the records of, taking the average user.
   */
  private async userBatches(conn: DuckDBConnection): Promise<Array<[number, number]>> {
    const found = await one<{ lo: number | null; hi: number | null; records: number; mem: string }>(conn,
      `SELECT min(uid) AS lo, max(uid) AS hi, ((SELECT count(*) FROM events) + (SELECT count(*) FROM attributes))::DOUBLE AS records,
        current_setting('memory_limit') AS mem FROM users`);
    if (!found || found.lo === null || found.hi === null) return [[0, 1]];
    const { lo, hi, records } = found;
    const span = hi - lo + 1;
    const budget = (memoryLimitBytes(found.mem) ?? 4e9) * RECORDS_PER_BYTE;
    const per = this.options.historyBatchUsers ?? Math.ceil(span / Math.max(1, Math.ceil(records / budget)));
    const batches: Array<[number, number]> = [];
    for (let from = lo; from <= hi; from += per) batches.push([from, Math.min(hi + 1, from + per)]);
    return batches;
  }

  /** Computes a segment's whole history into `seg`, batch of users (uid ranges) after batch. */
  private async computeAll(
    conn: DuckDBConnection, seg: number, key: string, filter: SegmentFilter | undefined, zone: string, marks: Marks, batches: Array<[number, number]>,
  ): Promise<void> {
    const columns = Object.keys(marks) as Array<keyof Marks>;
    await conn.run(`INSERT INTO kept_segments (seg, filter, zone, ${columns.join(', ')})
      VALUES (${seg}, ${literal(key)}, ${literal(zone)}, ${columns.map((c) => marks[c]).join(', ')})`);
    const changes = (users: string) => `(${segmentChangesSql(compiled(filter), {
      population: `SELECT * FROM seg_population${users}`,
      events: users ? `(SELECT * FROM events${users})` : 'events',
      attributes: users ? `(SELECT * FROM attributes${users})` : 'attributes',
      zone,
    })})`;
    if (batches.length === 1) {
      await conn.run(`INSERT INTO segment_changes SELECT ${seg}, uid, day, t, ph, delta FROM ${changes('')} ORDER BY day, uid`);
    } else {
      // Gathered, then stored in day order as one history is (a day's changes together).
      await conn.run(`CREATE OR REPLACE TEMP TABLE seg_gathered (uid INTEGER, day INTEGER, t DOUBLE, ph TINYINT, delta TINYINT)`);
      for (const [from, to] of batches) {
        await conn.run(`INSERT INTO seg_gathered SELECT uid, day, t, ph, delta FROM ${changes(` WHERE uid >= ${from} AND uid < ${to}`)}`);
      }
      await conn.run(`INSERT INTO segment_changes SELECT ${seg}, uid, day, t, ph, delta FROM seg_gathered ORDER BY day, uid`);
      await conn.run(`DROP TABLE seg_gathered`);
    }
    await conn.run(`INSERT INTO segment_days SELECT ${seg}, day, sum(delta) FROM segment_changes WHERE seg = ${seg} GROUP BY day`);
    await conn.run(`UPDATE kept_segments SET seen_until = (SELECT max(first_seen) FROM seg_population) WHERE seg = ${seg}`);
  }

  /** Brings segments that have read the same rows up to date with the records added since. */
  private async catchUpGroup(conn: DuckDBConnection, group: KeptRow[], zone: string): Promise<number> {
    const seen = group[0];
    const marks = await currentMarks(conn);
    const appended = await one<Record<string, number>>(conn, `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t} WHERE rowid >= ${seen[t]})::DOUBLE AS ${t}`).join(', ')}`);
    const rowsOf = { events: 'event_rows', attributes: 'attribute_rows', users: 'user_rows' } as const;
    // Rows went away (a reset): every segment of the group is computed again.
    const whole = TABLES.some((t) => marks[rowsOf[t]] !== seen[rowsOf[t]] + appended![t]);
    if (!whole && TABLES.every((t) => appended![t] === 0)) return 0;
    await conn.run(`CREATE OR REPLACE TEMP TABLE seg_affected AS SELECT DISTINCT uid FROM (
      ${TABLES.map((t) => `SELECT uid FROM ${t} WHERE rowid >= ${seen[t]}`).join(' UNION ALL ')})`);
    const affected = (await one<{ n: number }>(conn, `SELECT count(*)::DOUBLE AS n FROM seg_affected`))?.n ?? 0;
    if (whole || affected * 4 > marks.user_rows) {
      await conn.run(`CREATE OR REPLACE TEMP TABLE seg_population AS ${firstSeenSql('events', 'attributes')}`);
      const batches = await this.userBatches(conn);
      for (const row of group) {
        await dropSegment(conn, row.seg);
        await this.computeAll(conn, row.seg, row.filter, parseKey(row.filter), zone, marks, batches);
      }
      return group.length;
    }
    // The affected users' records, read once for every segment of the group.
    await conn.run(`CREATE OR REPLACE TEMP TABLE seg_events AS
      SELECT uid, time, category, name, campaign_id, event_type, app_id, quantity, revenue, rowid >= ${seen.events} AS fresh
      FROM events WHERE uid IN (SELECT uid FROM seg_affected)`);
    await conn.run(`CREATE OR REPLACE TEMP TABLE seg_attributes AS SELECT uid, name, value, time, seq FROM attributes
      WHERE uid IN (SELECT uid FROM seg_affected)`);
    await conn.run(`CREATE OR REPLACE TEMP TABLE seg_population AS ${firstSeenSql('seg_events', 'seg_attributes', 'SELECT uid FROM seg_affected')}`);
    for (const row of group) {
      const sql = segmentChangesSql(compiled(parseKey(row.filter)), { population: 'SELECT * FROM seg_population', events: 'seg_events', attributes: 'seg_attributes', zone });
      await conn.run(`CREATE OR REPLACE TEMP TABLE seg_new AS ${sql}`);
      if (row.ref_day !== null) await catchUpCounters(conn, row.seg, row.ref_day, zone);
      // Each day's net change moves by the difference between the users' new and old changes.
      await conn.run(`INSERT INTO segment_days
        SELECT ${row.seg}, day, sum(d) FROM (
          SELECT day, delta AS d FROM seg_new
          UNION ALL SELECT day, -delta FROM segment_changes WHERE seg = ${row.seg} AND uid IN (SELECT uid FROM seg_affected))
        GROUP BY day HAVING sum(d) <> 0
        ON CONFLICT DO UPDATE SET diff = diff + EXCLUDED.diff`);
      await conn.run(`DELETE FROM segment_changes WHERE seg = ${row.seg} AND uid IN (SELECT uid FROM seg_affected)`);
      await conn.run(`INSERT INTO segment_changes SELECT ${row.seg}, uid, day, t, ph, delta FROM seg_new`);
      // The last first sighting can only have come earlier for the users it was (an upper bound).
      await conn.run(`UPDATE kept_segments SET ${Object.entries(marks).map(([k, v]) => `${k} = ${v}`).join(', ')},
        seen_until = greatest(seen_until, (SELECT max(first_seen) FROM seg_population)) WHERE seg = ${row.seg}`);
    }
    return group.length;
  }
}

/** Counters of `seg` kept for the start of `day`: computed, or moved from the day they were kept for. */
async function moveCountersTo(conn: DuckDBConnection, seg: number, day: number, zone: string): Promise<void> {
  const found = await one<{ ref_day: number | null }>(conn, `SELECT ref_day FROM kept_segments WHERE seg = ${seg}`);
  if (!found || found.ref_day === day) return;
  if (found.ref_day === null) await computeCounters(conn, seg, day, zone);
  else await moveCounters(conn, seg, found.ref_day, day, zone);
}

async function newSegment(conn: DuckDBConnection): Promise<number> {
  return (await one<{ n: number }>(conn, `SELECT nextval('kept_segment_numbers')::INTEGER AS n`))!.n;
}

async function dropSegment(conn: DuckDBConnection, seg: number): Promise<void> {
  for (const table of ['segment_changes', 'segment_days', 'segment_counters', 'segment_movers', 'kept_segments']) {
    await conn.run(`DELETE FROM ${table} WHERE seg = ${seg}`);
  }
}

function numbers(r: KeptRow): KeptRow {
  const out = { ...r };
  for (const k of Object.keys(out) as Array<keyof KeptRow>) if (typeof out[k] === 'bigint') (out as Record<string, unknown>)[k] = Number(out[k]);
  return out;
}

/** What the tables hold now: the next rowid of each (rows are only appended) and how many rows. */
async function currentMarks(conn: DuckDBConnection): Promise<Marks> {
  const found = await one<Marks>(conn, `SELECT
    ${TABLES.map((t) => `(SELECT coalesce(max(rowid) + 1, 0) FROM ${t})::DOUBLE AS ${t}`).join(', ')},
    (SELECT count(*) FROM events)::DOUBLE AS event_rows, (SELECT count(*) FROM attributes)::DOUBLE AS attribute_rows,
    (SELECT count(*) FROM users)::DOUBLE AS user_rows`);
  return found!;
}

import type { DuckDBConnection } from '@duckdb/node-api';
import type { CounterQuery, UnitTotals } from '../ports.ts';
import { dayOf } from './campaigns-sql.ts';
import { COUNTER_KIND_SQL } from './schema.ts';
import { rows } from './sql.ts';

/**
 * Sessions, custom events, purchases and uninstalls of a kept segment's members, per local day
 * (kept-segments.ts calls these): the series restricted to a segment read them instead of joining
 * the raw events with the members on every request.
 *
 * Members change from moment to moment, so the counters are kept for the members as of the start of
 * one local day, the segment's reference day R (`ref_day`): `segment_counters` totals their records
 * (a log of deltas, summed when read). The users whose membership changes during day R (its
 * "movers") have their own totals in `segment_movers`: as of a moment of day R, the members are those
 * of its start, plus the movers who joined since, less those who left, so a read adds or takes away
 * the movers' totals. A request of another day moves R there first (the users who joined or left in
 * between are added or taken away, and the new day's movers read).
 */

export const SEGMENT_COUNTERS_DDL = [
  `ALTER TABLE kept_segments ADD COLUMN IF NOT EXISTS ref_day INTEGER`,
  `ALTER TABLE kept_segments ADD COLUMN IF NOT EXISTS seen_until DOUBLE`,
  `CREATE TABLE IF NOT EXISTS segment_counters (
     seg INTEGER, day INTEGER, kind VARCHAR, name VARCHAR, app_id VARCHAR, n BIGINT, quantity BIGINT, revenue DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS segment_movers (
     seg INTEGER, uid INTEGER, day INTEGER, kind VARCHAR, name VARCHAR, app_id VARCHAR, n BIGINT, quantity BIGINT, revenue DOUBLE)`,
];

const TOTALS = 'count(*)::BIGINT AS n, sum(coalesce(quantity, 1))::BIGINT AS quantity, sum(coalesce(revenue, 0)) AS revenue';

/** Counter rows (day, kind, name, app_id, n, quantity, revenue) of the events of `source`, per user
 * too with `perUser`; a name only for custom events and purchases, '' for no app (as the counters). */
export function counterRowsSql(source: string, zone: string, perUser = false): string {
  const uid = perUser ? 'uid, ' : '';
  return `SELECT ${uid}day, kind, name, app_id, ${TOTALS} FROM (
      SELECT ${uid}${dayOf('time', zone)} AS day, kind, CASE WHEN kind IN ('custom_event', 'purchase') THEN name ELSE '' END AS name,
             coalesce(app_id, '') AS app_id, quantity, revenue
      FROM (SELECT uid, time, name, app_id, quantity, revenue, ${COUNTER_KIND_SQL} AS kind FROM ${source}) WHERE kind IS NOT NULL)
    GROUP BY ALL`;
}

/** Users whose membership changes between the starts of days `from` and `to`, with the change
 * (+1 joined, −1 left; negated when `to` comes first). */
const flippedSql = (seg: number, from: number, to: number) =>
  `SELECT uid, ${to < from ? '-' : ''}sum(delta)::INTEGER AS f FROM segment_changes
   WHERE seg = ${seg} AND day >= ${Math.min(from, to)} AND day < ${Math.max(from, to)} GROUP BY uid HAVING sum(delta) <> 0`;

const moversSql = (seg: number, day: number) => `SELECT DISTINCT uid FROM segment_changes WHERE seg = ${seg} AND day = ${day}`;

/** Counters of the members as of the start of `day`, and that day's movers, computed from the events. */
export async function computeCounters(conn: DuckDBConnection, seg: number, day: number, zone: string): Promise<void> {
  await conn.run(`DELETE FROM segment_counters WHERE seg = ${seg}`);
  await conn.run(`DELETE FROM segment_movers WHERE seg = ${seg}`);
  const members = `SELECT uid FROM segment_changes WHERE seg = ${seg} AND day < ${day} GROUP BY uid HAVING sum(delta) = 1`;
  await conn.run(`INSERT INTO segment_counters SELECT ${seg}, * FROM (${counterRowsSql(`(SELECT * FROM events WHERE uid IN (${members}))`, zone)})`);
  await conn.run(`INSERT INTO segment_movers SELECT ${seg}, * FROM (${counterRowsSql(`(SELECT * FROM events WHERE uid IN (${moversSql(seg, day)}))`, zone, true)})`);
  await conn.run(`UPDATE kept_segments SET ref_day = ${day} WHERE seg = ${seg}`);
}

/** Moves the reference day from `from` to `to`: the users who joined or left in between added or
 * taken away (one read of their events, with the new day's movers). */
export async function moveCounters(conn: DuckDBConnection, seg: number, from: number, to: number, zone: string): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE seg_flipped AS ${flippedSql(seg, from, to)}`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE seg_rows AS ${counterRowsSql(`(SELECT * FROM events WHERE uid IN (
    SELECT uid FROM seg_flipped UNION ALL ${moversSql(seg, to)}))`, zone, true)}`);
  await conn.run(`INSERT INTO segment_counters SELECT ${seg}, day, kind, name, app_id, sum(n * f), sum(quantity * f), sum(revenue * f)
    FROM seg_rows JOIN seg_flipped USING (uid) GROUP BY ALL`);
  // The log folded, one row a key.
  await conn.run(`CREATE OR REPLACE TEMP TABLE seg_folded AS SELECT day, kind, name, app_id, sum(n) AS n, sum(quantity) AS quantity, sum(revenue) AS revenue
    FROM segment_counters WHERE seg = ${seg} GROUP BY ALL HAVING sum(n) <> 0 OR sum(quantity) <> 0 OR sum(revenue) <> 0`);
  await conn.run(`DELETE FROM segment_counters WHERE seg = ${seg}`);
  await conn.run(`INSERT INTO segment_counters SELECT ${seg}, * FROM seg_folded ORDER BY day`);
  await conn.run(`DELETE FROM segment_movers WHERE seg = ${seg}`);
  await conn.run(`INSERT INTO segment_movers SELECT ${seg}, r.* FROM seg_rows r WHERE uid IN (${moversSql(seg, to)})`);
  await conn.run(`UPDATE kept_segments SET ref_day = ${to} WHERE seg = ${seg}`);
}

/**
 * In a catch-up, before the changes of the affected users (`seg_affected`) are replaced by
 * `seg_new`: their part of the counters moves from what it was (members by their old changes, with
 * their records before `seg_events.fresh`) to what it is, and their movers' rows are read again.
 */
export async function catchUpCounters(conn: DuckDBConnection, seg: number, day: number, zone: string): Promise<void> {
  const member = (changes: string) => `SELECT uid FROM ${changes} WHERE day < ${day} GROUP BY uid HAVING sum(delta) = 1`;
  const old = `(SELECT uid, day, delta FROM segment_changes WHERE seg = ${seg} AND uid IN (SELECT uid FROM seg_affected))`;
  await conn.run(`INSERT INTO segment_counters SELECT ${seg}, day, kind, name, app_id, sum(n), sum(quantity), sum(revenue) FROM (
      SELECT day, kind, name, app_id, n, quantity, revenue FROM (${counterRowsSql(`(SELECT * FROM seg_events WHERE uid IN (${member('seg_new')}))`, zone)})
      UNION ALL
      SELECT day, kind, name, app_id, -n, -quantity, -revenue FROM (${counterRowsSql(`(SELECT * FROM seg_events WHERE NOT fresh AND uid IN (${member(old)}))`, zone)}))
    GROUP BY ALL HAVING sum(n) <> 0 OR sum(quantity) <> 0 OR sum(revenue) <> 0`);
  await conn.run(`DELETE FROM segment_movers WHERE seg = ${seg} AND uid IN (SELECT uid FROM seg_affected)`);
  await conn.run(`INSERT INTO segment_movers SELECT ${seg}, * FROM (${counterRowsSql(`(SELECT * FROM seg_events WHERE uid IN (
    SELECT uid FROM seg_new WHERE day = ${day}))`, zone, true)})`);
}

/** The totals of the query's days for the members as of `at` (inclusive), which falls on `day`;
 * undefined when the counters are kept for another day. */
export async function readCounters(conn: DuckDBConnection, seg: number, day: number, q: CounterQuery, days: number[], at: number): Promise<UnitTotals[] | undefined> {
  const where = [`seg = ${seg}`, `kind = $kind`, `day BETWEEN $from AND $to`];
  const params: Record<string, unknown> = { kind: q.kind, from: days[0], to: days[days.length - 1], at };
  if (q.name !== undefined) {
    where.push(`name = $name`);
    params.name = q.name;
  }
  if (q.appId !== undefined) {
    where.push(`app_id = $app`);
    params.app = q.appId;
  }
  // One statement (one snapshot), which says for which day the counters were kept.
  const found = await rows<{ ref: number | null; day: number | null; count: number; quantity: number; revenue: number }>(
    conn,
    `WITH flips AS (
       SELECT uid, sum(delta)::INTEGER AS f FROM segment_changes
       WHERE seg = ${seg} AND day = ${day} AND (t < $at OR (t = $at AND ph = 1)) GROUP BY uid HAVING sum(delta) <> 0),
     totals AS (
       SELECT day, sum(n)::DOUBLE AS count, sum(quantity)::DOUBLE AS quantity, sum(revenue)::DOUBLE AS revenue FROM (
         SELECT day, n, quantity, revenue FROM segment_counters WHERE ${where.join(' AND ')}
         UNION ALL
         SELECT day, n * f, quantity * f, revenue * f FROM segment_movers JOIN flips USING (uid) WHERE ${where.join(' AND ')})
       GROUP BY day)
     SELECT k.ref_day AS ref, t.* FROM (SELECT ref_day FROM kept_segments WHERE seg = ${seg}) k LEFT JOIN totals t ON true`,
    params,
  );
  if (found.length === 0 || found[0].ref !== day) return undefined;
  const byDay = new Map(found.filter((r) => r.day !== null).map((r) => [r.day, r]));
  return days.map((d) => {
    const r = byDay.get(d);
    return r ? { count: r.count, quantity: r.quantity, revenue: r.revenue } : { count: 0, quantity: 0, revenue: 0 };
  });
}

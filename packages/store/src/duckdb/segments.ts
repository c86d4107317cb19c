import type { DuckDBConnection } from '@duckdb/node-api';
import { COUNTER_KIND_OF_CATEGORY, type CounterQuery, type SegmentFilter, type SegmentInstant, type UnitTotals } from '@brazen/analytics';
import { FIRST_SEEN_SQL, segmentMembersSql } from './segment-sql.ts';
import { literal, one, rows } from './sql.ts';

/** Sizes at several instants. Takes ownership of `conn` (a connection of its own: it keeps a
 * temporary table of when each user was first seen, so that a user counts only once they exist). */
export async function segmentSizes(conn: DuckDBConnection, filter: SegmentFilter | undefined, instants: SegmentInstant[]): Promise<number[]> {
  try {
    await conn.run(`CREATE OR REPLACE TEMP TABLE seg_population AS ${FIRST_SEEN_SQL}`);
    const sizes: number[] = [];
    for (const { at, inclusive } of instants) {
      const sql = segmentMembersSql(filter, { at, inclusive, population: 'SELECT * FROM seg_population' });
      sizes.push((await one<{ n: number }>(conn, `SELECT count(*)::DOUBLE AS n FROM (${sql})`))?.n ?? 0);
    }
    return sizes;
  } finally {
    conn.closeSync();
  }
}

/** 15-minute buckets of the users in the segment as of `at`, from the raw events (the counters
 * rollup has no user): one scan of the window joined with the members. */
export async function segmentCounterSeries(
  conn: DuckDBConnection, q: CounterQuery, filter: SegmentFilter | undefined, at: number,
): Promise<Array<{ start: number } & UnitTotals>> {
  const units = q.units.list;
  if (units.length === 0) return [];
  const members = segmentMembersSql(filter, { at, inclusive: true });
  const categories = Object.keys(COUNTER_KIND_OF_CATEGORY).filter((c) => COUNTER_KIND_OF_CATEGORY[c] === q.kind);
  const where = [`e.category IN (${categories.map(literal).join(', ')})`, `e.time >= $from`, `e.time < $to`];
  const params: Record<string, unknown> = { from: units[0].start, to: units[units.length - 1].end };
  if (q.name !== undefined) {
    where.push(`e.name = $name`);
    params.name = q.name;
  }
  if (q.appId !== undefined) {
    where.push(`e.app_id = $app`);
    params.app = q.appId;
  }
  const found = await rows<{ start: number; count: number; quantity: number; revenue: number }>(
    conn,
    `WITH m AS MATERIALIZED (${members})
     SELECT (floor(e.time / 900) * 900)::DOUBLE AS start, count(*)::DOUBLE AS count,
            sum(coalesce(e.quantity, 1))::DOUBLE AS quantity, sum(coalesce(e.revenue, 0))::DOUBLE AS revenue
     FROM events e SEMI JOIN m ON e.uid = m.uid
     WHERE ${where.join(' AND ')} GROUP BY 1 ORDER BY 1`,
    params,
  );
  return found;
}

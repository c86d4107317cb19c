import type { CountOp, SegmentFilter } from '@brazen/analytics';
import { attributeTest, COUNT_SQL, randomBucketSql, sqlNumber } from './segment-sql.ts';
import { literal as sqlString } from './sql.ts';
import { dayOf } from './campaigns-sql.ts';

/**
 * A segment's whole history as the moments each user joins or leaves it, in one pass over the
 * records (kept-segments.ts keeps them).
 *
 * A user's membership as of an instant is a function of the records stamped up to it, and changes
 * only at a record's time (an event enters a count, an attribute takes a value, the user is first
 * seen) or where an event leaves a `within_days` window. So each user's records, in time order, give
 * the moments their membership flips: +1 when they join, −1 when they leave. A segment's size at an
 * instant is the sum of the flips up to it.
 *
 * Moments are ordered by (t, ph). Membership as of an instant reads the flips before it: at the end
 * of a day, data stamped strictly before its midnight M counts, which is the position (M, 0); "now"
 * counts data stamped at `now` too, (now, 2). A record stamped t takes effect at (t, 1), so it counts
 * for "now" at t but not for a day ending at t. An event leaves a window of W seconds at (t + W, 3):
 * a window as of T keeps T − W ≤ t, so the event still counts at T = t + W, inclusive or not.
 * (t + W is exact for times of 2004 to 2038, where t, t + W and T − W share their binary exponent.)
 */

const DAY = 86_400;

/**
 * One leaf of a filter: what it reads and its test of what it read.
 * - `events`: a count of the events matching the condition (in a window of `days` when given);
 *   `test` of the count (NULL when there is none: no event);
 * - `attribute`: the attribute's value as of the instant; `test` of the JSON value (NULL: none);
 * - `user`: a test of the user alone, of their braze_id (the random bucket).
 */
export type Leaf =
  | { events: string; days?: number; test: (count: string) => string }
  | { attribute: string; test: (value: string) => string }
  | { user: (brazeId: string) => string };

export interface CompiledFilter {
  leaves: Leaf[];
  /** The filter over `truth(i)`, leaf i's test as a boolean. */
  expr(truth: (i: number) => string): string;
}

/** A filter cut into its leaves and its logic over their tests. */
export function compileFilter(filter: SegmentFilter | undefined, receiptTypes: readonly string[]): CompiledFilter {
  const leaves: Leaf[] = [];
  type Expr = (truth: (i: number) => string) => string;
  const leaf = (l: Leaf): Expr => {
    const i = leaves.push(l) - 1;
    return (truth) => truth(i);
  };
  const counted = (events: string, days: number | undefined, op: CountOp, n: number): Expr =>
    leaf({ events, days, test: (count) => `coalesce(${count}, 0) ${COUNT_SQL[op]} ${sqlNumber(n)}` });
  const compile = (f: SegmentFilter): Expr => {
    if ('and' in f) {
      const parts = f.and.map(compile);
      return (t) => parts.map((p) => `(${p(t)})`).join(' AND ');
    }
    if ('or' in f) {
      const parts = f.or.map(compile);
      return (t) => parts.map((p) => `(${p(t)})`).join(' OR ');
    }
    if ('not' in f) {
      const inner = compile(f.not);
      return (t) => `NOT coalesce((${inner(t)}), false)`;
    }
    if ('attribute' in f) return leaf({ attribute: f.attribute, test: (v) => attributeTest(f, v) });
    if ('custom_event' in f) return counted(`category = 'custom_event' AND name = ${sqlString(f.custom_event)}`, f.within_days, f.op, f.count);
    if ('purchased' in f) {
      const product = f.purchased === null ? '' : ` AND name = ${sqlString(f.purchased)}`;
      return counted(`category = 'purchase'${product}`, f.within_days, f.op, f.count);
    }
    if ('last_session_within_days' in f) return counted(`category = 'session_start'`, f.last_session_within_days, 'gte', 1);
    if ('session_count' in f) return counted(`category = 'session_start'`, undefined, f.session_count.op, f.session_count.value);
    if ('received_campaign' in f) {
      const types = receiptTypes.map(sqlString).join(', ');
      return counted(`campaign_id = ${sqlString(f.received_campaign)} AND event_type IN (${types})`, f.within_days, 'gte', 1);
    }
    const { gte, lte } = f.random_bucket;
    return leaf({
      user: (b) => [gte !== undefined ? `${randomBucketSql(b)} >= ${gte}` : '', lte !== undefined ? `${randomBucketSql(b)} <= ${lte}` : ''].filter(Boolean).join(' AND ') || 'true',
    });
  };
  return { leaves, expr: filter === undefined ? () => 'true' : compile(filter) };
}

export interface ChangesSqlOptions {
  /** Relation with `uid`, `braze_id`, `first_seen` of the users whose changes are wanted. */
  population: string;
  /** Relations holding the columns of `events` and `attributes` a filter reads: the tables, or
   * the records of the population's users read out of them. */
  events: string;
  attributes: string;
  /** The workspace's time zone: the local day of each change. */
  zone: string;
}

/**
 * `SELECT uid, day, t, ph, delta`: every change of membership of the population's users, from all
 * their records. A user's changes alternate +1, −1, starting with +1.
 */
export function segmentChangesSql(c: CompiledFilter, o: ChangesSqlOptions): string {
  // A point a record (or the user's first sighting) makes, with one column per leaf: a count's step
  // (+1 in, −1 out of the window), an attribute's tested value (NULL for a NULL value, which takes
  // no part, as in an evaluation at an instant) and its arrival order, a test of the user.
  const columns = c.leaves.flatMap((l, i) => ('events' in l ? [`d${i}`] : 'attribute' in l ? [`b${i}`, `s${i}`] : [`b${i}`]));
  const types: Record<string, string> = { d: 'INTEGER', b: 'BOOLEAN', s: 'BIGINT' };
  const point = (uid: string, t: string, ph: number, e: string, values: Record<string, string>, from: string) =>
    `SELECT ${uid} AS uid, ${t} AS t, ${ph}::TINYINT AS ph, ${e}::TINYINT AS e${columns.map((k) => `, (${values[k] ?? 'NULL'})::${types[k[0]]} AS ${k}`).join('')} FROM ${from}`;
  const seen: Record<string, string> = {};
  c.leaves.forEach((l, i) => {
    if ('user' in l) seen[`b${i}`] = l.user('braze_id');
  });
  const points: string[] = [point('uid', 'first_seen', 1, '1', seen, `(${o.population})`)];
  c.leaves.forEach((l, i) => {
    if ('events' in l) {
      points.push(point('uid', 'time', 1, 'NULL', { [`d${i}`]: '1' }, `${o.events} WHERE ${l.events}`));
      if (l.days !== undefined) points.push(point('uid', `time + ${sqlNumber(l.days * DAY)}`, 3, 'NULL', { [`d${i}`]: '-1' }, `${o.events} WHERE ${l.events}`));
    } else if ('attribute' in l) {
      const tested = `CASE WHEN value IS NOT NULL THEN coalesce(${l.test('value')}, false) END`;
      points.push(point('uid', 'time', 1, 'NULL', { [`b${i}`]: tested, [`s${i}`]: 'seq' }, `${o.attributes} WHERE name = ${sqlString(l.attribute)}`));
    }
  });
  // Several records at one moment: the counts add up, an attribute takes the value that arrived last.
  const grouped = c.leaves.map((l, i) => ('events' in l ? `sum(d${i}) AS d${i}` : 'attribute' in l ? `arg_max(b${i}, s${i}) AS b${i}` : `bool_or(b${i}) AS b${i}`));
  // The state after each moment: counts so far, the last value, what is known of the user.
  const running = c.leaves.map((l, i) => ('events' in l ? `sum(d${i}) OVER w AS d${i}` : 'attribute' in l ? `last_value(b${i} IGNORE NULLS) OVER w AS b${i}` : `bool_or(b${i}) OVER w AS b${i}`));
  const truth = (i: number) => {
    const l = c.leaves[i];
    if ('events' in l) return l.test(`d${i}`);
    if ('attribute' in l) return `coalesce(b${i}, ${l.test('NULL::JSON')})`;
    return `coalesce(b${i}, false)`;
  };
  const list = (parts: string[]) => parts.map((p) => `, ${p}`).join('');
  return `WITH pts AS (${points.join('\n UNION ALL ')}),
    moments AS (SELECT uid, t, ph, max(e) AS e${list(grouped)} FROM pts GROUP BY uid, t, ph),
    st AS (SELECT uid, t, ph, coalesce(max(e) OVER w, 0) = 1 AS seen${list(running)} FROM moments
           WINDOW w AS (PARTITION BY uid ORDER BY t, ph ROWS UNBOUNDED PRECEDING)),
    m AS (SELECT uid, t, ph, seen AND coalesce((${c.expr(truth)}), false) AS member FROM st),
    flips AS (SELECT uid, t, ph, member, lag(member, 1, false) OVER (PARTITION BY uid ORDER BY t, ph) AS before FROM m)
    SELECT uid, ${dayOf('t', o.zone)} AS day, t, ph, CASE WHEN member THEN 1 ELSE -1 END::TINYINT AS delta FROM flips WHERE member <> before`;
}

import type { AttributeLeaf, CountOp, Scalar, SegmentFilter } from '@brazen/analytics';
import { randomBucketSql } from './segment-sql.ts';
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
const COUNT_SQL: Record<CountOp, string> = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

const sqlNumber = (n: number): string => {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return String(n);
};

/** What one leaf of a filter reads: a count of matching events (in a window), or an attribute. */
export type LeafSource = { events: string; days?: number } | { attribute: string };

export interface CompiledFilter {
  leaves: LeafSource[];
  /** The filter as SQL over `value(i)`, leaf i's value (a count, or the attribute's JSON value;
   * NULL when there is none), and `brazeId`, the user's braze_id column. */
  expr(value: (i: number) => string, brazeId: string): string;
}

/** A filter cut into its leaves' sources and its logic over their values. */
export function compileFilter(filter: SegmentFilter | undefined, receiptTypes: readonly string[]): CompiledFilter {
  const leaves: LeafSource[] = [];
  const leaf = (source: LeafSource) => leaves.push(source) - 1;
  type Expr = (value: (i: number) => string, brazeId: string) => string;
  const count = (i: number, op: CountOp, n: number): Expr => (value) => `coalesce(${value(i)}, 0) ${COUNT_SQL[op]} ${sqlNumber(n)}`;
  const compile = (f: SegmentFilter): Expr => {
    if ('and' in f) {
      const parts = f.and.map(compile);
      return (v, b) => parts.map((p) => `(${p(v, b)})`).join(' AND ');
    }
    if ('or' in f) {
      const parts = f.or.map(compile);
      return (v, b) => parts.map((p) => `(${p(v, b)})`).join(' OR ');
    }
    if ('not' in f) {
      const inner = compile(f.not);
      return (v, b) => `NOT coalesce((${inner(v, b)}), false)`;
    }
    if ('attribute' in f) {
      const i = leaf({ attribute: f.attribute });
      return (v) => attributeTest(f, v(i));
    }
    if ('custom_event' in f) {
      const i = leaf({ events: `category = 'custom_event' AND name = ${sqlString(f.custom_event)}`, days: f.within_days });
      return count(i, f.op, f.count);
    }
    if ('purchased' in f) {
      const product = f.purchased === null ? '' : ` AND name = ${sqlString(f.purchased)}`;
      return count(leaf({ events: `category = 'purchase'${product}`, days: f.within_days }), f.op, f.count);
    }
    if ('last_session_within_days' in f) {
      return count(leaf({ events: `category = 'session_start'`, days: f.last_session_within_days }), 'gte', 1);
    }
    if ('session_count' in f) return count(leaf({ events: `category = 'session_start'` }), f.session_count.op, f.session_count.value);
    if ('received_campaign' in f) {
      const types = receiptTypes.map(sqlString).join(', ');
      const i = leaf({ events: `campaign_id = ${sqlString(f.received_campaign)} AND event_type IN (${types})`, days: f.within_days });
      return count(i, 'gte', 1);
    }
    const { gte, lte } = f.random_bucket;
    return (_v, b) => [gte !== undefined ? `${randomBucketSql(b)} >= ${gte}` : '', lte !== undefined ? `${randomBucketSql(b)} <= ${lte}` : '']
      .filter(Boolean).join(' AND ') || 'true';
  };
  const expr = filter === undefined ? () => 'true' : compile(filter);
  return { leaves, expr };
}

/** An attribute leaf's test of the value `v` (JSON, NULL when the user has none; a JSON null is no value). */
function attributeTest(f: AttributeLeaf, v: string): string {
  const has = `coalesce(json_type(${v}), 'NULL') <> 'NULL'`;
  switch (f.op) {
    case 'exists': return has;
    case 'not_exists': return `NOT (${has})`;
    case 'eq': return `coalesce(${equals(v, f.value as Scalar)}, false)`;
    case 'ne': return `NOT coalesce(${equals(v, f.value as Scalar)}, false)`;
    case 'in': return `coalesce(${(f.value as Scalar[]).map((x) => `(${equals(v, x)})`).join(' OR ')}, false)`;
    case 'contains': {
      const text = sqlString(String(f.value));
      return `coalesce((json_type(${v}) = 'VARCHAR' AND contains(${v}->>'$', ${text}))
        OR (json_type(${v}) = 'ARRAY' AND list_contains(json_extract_string(${v}, '$[*]'), ${text})), false)`;
    }
    default: {
      const op = COUNT_SQL[f.op];
      return typeof f.value === 'number'
        ? `coalesce(json_type(${v}) IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND TRY_CAST(${v}->>'$' AS DOUBLE) ${op} ${sqlNumber(f.value)}, false)`
        : `coalesce(json_type(${v}) = 'VARCHAR' AND (${v}->>'$') ${op} ${sqlString(String(f.value))}, false)`;
    }
  }
}

function equals(v: string, value: Scalar): string {
  if (typeof value === 'number') return `json_type(${v}) IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND TRY_CAST(${v}->>'$' AS DOUBLE) = ${sqlNumber(value)}`;
  if (typeof value === 'boolean') return `json_type(${v}) = 'BOOLEAN' AND (${v}->>'$') = '${value}'`;
  return `json_type(${v}) = 'VARCHAR' AND (${v}->>'$') = ${sqlString(value)}`;
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

/** Population with the time each user was first seen: the earliest of the profile's creation, its
 * first event and its first attribute (of the users `among` names, or all). */
export function firstSeenSql(events: string, attributes: string, among?: string): string {
  const where = among ? ` WHERE uid IN (${among})` : '';
  return `SELECT u.uid, u.braze_id, least(u.created_at, coalesce(e.t, u.created_at), coalesce(a.t, u.created_at)) AS first_seen
    FROM (SELECT uid, braze_id, created_at FROM users${where}) u
    LEFT JOIN (SELECT uid, min(time) AS t FROM ${events} GROUP BY uid) e USING (uid)
    LEFT JOIN (SELECT uid, min(time) AS t FROM ${attributes} GROUP BY uid) a USING (uid)`;
}

/**
 * `SELECT uid, day, t, ph, delta`: every change of membership of the population's users, from all
 * their records. A user's changes alternate +1, −1, starting with +1.
 */
export function segmentChangesSql(c: CompiledFilter, o: ChangesSqlOptions): string {
  const n = c.leaves.length;
  // One column per leaf: a count's steps (d_i), or an attribute's value with its order (v_i, s_i).
  const nulls = (i: number | undefined, values: string[] = []) =>
    c.leaves.flatMap((l, k) => ('events' in l
      ? [`${k === i ? values[0] : 'NULL'}::INTEGER AS d${k}`]
      : [`${k === i ? values[0] : 'NULL'}::JSON AS v${k}`, `${k === i ? values[1] : 'NULL'}::BIGINT AS s${k}`]));
  const select = (uid: string, t: string, ph: number, e: string, values: string[]) => `SELECT ${uid} AS uid, ${t} AS t, ${ph}::TINYINT AS ph, ${e} AS e${n ? ', ' : ''}${values.join(', ')}`;
  const points: string[] = [select('uid', 'first_seen', 1, '1::TINYINT', nulls(undefined)) + ` FROM (${o.population})`];
  c.leaves.forEach((l, i) => {
    if ('events' in l) {
      points.push(select('uid', 'time', 1, 'NULL::TINYINT', nulls(i, ['1'])) + ` FROM ${o.events} WHERE ${l.events}`);
      if (l.days !== undefined) {
        points.push(select('uid', `time + ${sqlNumber(l.days * DAY)}`, 3, 'NULL::TINYINT', nulls(i, ['-1'])) + ` FROM ${o.events} WHERE ${l.events}`);
      }
    } else {
      points.push(select('uid', 'time', 1, 'NULL::TINYINT', nulls(i, ['value', 'seq'])) + ` FROM ${o.attributes} WHERE name = ${sqlString(l.attribute)}`);
    }
  });
  // Several records at one moment: the counts add up, an attribute takes the value that arrived last.
  const grouped = c.leaves.map((l, i) => ('events' in l ? `sum(d${i}) AS d${i}` : `arg_max(v${i}, s${i}) AS v${i}`));
  const running = c.leaves.map((l, i) => ('events' in l ? `sum(d${i}) OVER w AS d${i}` : `last_value(v${i} IGNORE NULLS) OVER w AS v${i}`));
  const member = `coalesce(max(e) OVER w, 0) = 1`;
  const test = c.expr((i) => ('events' in c.leaves[i] ? `st.d${i}` : `st.v${i}`), 'p.braze_id');
  return `WITH pts AS (${points.join('\n UNION ALL ')}),
    moments AS (SELECT uid, t, ph, max(e) AS e${n ? ', ' : ''}${grouped.join(', ')} FROM pts GROUP BY uid, t, ph),
    st AS (SELECT uid, t, ph, ${member} AS seen${n ? ', ' : ''}${running.join(', ')} FROM moments
           WINDOW w AS (PARTITION BY uid ORDER BY t, ph ROWS UNBOUNDED PRECEDING)),
    m AS (SELECT st.uid, st.t, st.ph, st.seen AND coalesce((${test}), false) AS member FROM st JOIN (${o.population}) p ON p.uid = st.uid),
    flips AS (SELECT uid, t, ph, member, lag(member, 1, false) OVER (PARTITION BY uid ORDER BY t, ph) AS before FROM m)
    SELECT uid, ${dayOf('t', o.zone)} AS day, t, ph, CASE WHEN member THEN 1 ELSE -1 END::TINYINT AS delta FROM flips WHERE member <> before`;
}

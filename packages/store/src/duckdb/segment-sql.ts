import { RECEIVED_EVENT_TYPES, type AttributeLeaf, type CountOp, type Scalar, type SegmentFilter } from '@brazen/analytics';
import { literal as sqlString } from './sql.ts';

/**
 * Segment membership as DuckDB SQL over the store's tables (`users`, `attributes` history,
 * `events`): the rule of `analytics/src/segments/evaluate.ts` (evaluated "as of" an instant, so that
 * a segment's size at the end of each past day is answered from the same data as its members now)
 * compiled for DuckDB. Every value reaches the SQL text through `literal` or `sqlNumber`.
 *
 * Time windows: `within_days: N` as of T keeps events with T − N days ≤ time, and time ≤ T when
 * the instant is now (inclusive) or time < T at the end of a day (T is the next day's midnight).
 */
export interface SegmentSqlOptions {
  /** Epoch seconds. */
  at: number;
  /** Whether data stamped exactly `at` counts: yes for now, no for the end of a day. */
  inclusive: boolean;
  /** Relation with `uid`, `braze_id`, `first_seen`; users who exist after `at` are left out. When
   * absent every stored user is in the population (evaluation now). */
  population?: string;
}

const DAY = 86_400;
export const COUNT_SQL: Record<CountOp, string> = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

export const sqlNumber = (n: number): string => {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return String(n);
};

/** The random bucket number (0–9999) of a user from `braze_id`: analytics' `randomBucket`. */
export const randomBucketSql = (brazeId: string): string => `(('0x' || substr(md5(${brazeId}), 1, 8))::UBIGINT % 10000)::INTEGER`;

/** Population with the time each user was first seen: the earliest of the profile's creation, its
 * first event and its first attribute (of the users `among` names, or all). */
export function firstSeenSql(events: string, attributes: string, among?: string): string {
  const where = among ? ` WHERE uid IN (${among})` : '';
  return `SELECT u.uid, u.braze_id, least(u.created_at, coalesce(e.t, u.created_at), coalesce(a.t, u.created_at)) AS first_seen
    FROM (SELECT uid, braze_id, created_at FROM users${where}) u
    LEFT JOIN (SELECT uid, min(time) AS t FROM ${events} GROUP BY uid) e USING (uid)
    LEFT JOIN (SELECT uid, min(time) AS t FROM ${attributes} GROUP BY uid) a USING (uid)`;
}

/** Every stored user with the time they were first seen. */
export const FIRST_SEEN_SQL = firstSeenSql('events', 'attributes');

/** `SELECT uid FROM ...`: the members of the segment as of `at` (all users when there is no filter). */
export function segmentMembersSql(filter: SegmentFilter | undefined, options: SegmentSqlOptions): string {
  const b = new Builder(options);
  const where = filter === undefined ? 'true' : b.expr(filter);
  const ctes = b.ctes.map((c, i) => `l${i} AS (${c})`);
  const population = options.population ?? 'SELECT uid, braze_id, NULL::DOUBLE AS first_seen FROM users';
  const joins = b.ctes.map((_, i) => `LEFT JOIN l${i} USING (uid)`).join(' ');
  const exists = options.population ? `p.first_seen ${b.before} ${sqlNumber(options.at)}` : 'true';
  return `WITH p AS (${population})${ctes.length ? ', ' + ctes.join(', ') : ''}
    SELECT p.uid FROM p ${joins} WHERE ${exists} AND (${where})`;
}

class Builder {
  readonly ctes: string[] = [];
  readonly before: string;
  private readonly at: string;

  constructor(private readonly o: SegmentSqlOptions) {
    this.before = o.inclusive ? '<=' : '<';
    this.at = sqlNumber(o.at);
  }

  private cte(sql: string): string {
    this.ctes.push(sql);
    return `l${this.ctes.length - 1}`;
  }

  private timeWindow(days: number | undefined): string {
    const upper = `time ${this.before} ${this.at}`;
    return days === undefined ? upper : `${upper} AND time >= ${sqlNumber(this.o.at - days * DAY)}`;
  }

  expr(f: SegmentFilter): string {
    if ('and' in f) return f.and.map((x) => `(${this.expr(x)})`).join(' AND ');
    if ('or' in f) return f.or.map((x) => `(${this.expr(x)})`).join(' OR ');
    if ('not' in f) return `NOT coalesce((${this.expr(f.not)}), false)`;
    if ('attribute' in f) return this.attribute(f);
    if ('custom_event' in f) {
      const l = this.cte(`SELECT uid, count(*) AS n FROM events WHERE category = 'custom_event' AND name = ${sqlString(f.custom_event)}
        AND ${this.timeWindow(f.within_days)} GROUP BY uid`);
      return `coalesce(${l}.n, 0) ${COUNT_SQL[f.op]} ${f.count}`;
    }
    if ('purchased' in f) {
      const product = f.purchased === null ? '' : `AND name = ${sqlString(f.purchased)}`;
      const l = this.cte(`SELECT uid, count(*) AS n FROM events WHERE category = 'purchase' ${product}
        AND ${this.timeWindow(f.within_days)} GROUP BY uid`);
      return `coalesce(${l}.n, 0) ${COUNT_SQL[f.op]} ${f.count}`;
    }
    if ('last_session_within_days' in f) {
      const l = this.cte(`SELECT uid, true AS hit FROM events WHERE category = 'session_start'
        AND ${this.timeWindow(f.last_session_within_days)} GROUP BY uid`);
      return `coalesce(${l}.hit, false)`;
    }
    if ('session_count' in f) {
      const l = this.cte(`SELECT uid, count(*) AS n FROM events WHERE category = 'session_start' AND ${this.timeWindow(undefined)} GROUP BY uid`);
      return `coalesce(${l}.n, 0) ${COUNT_SQL[f.session_count.op]} ${f.session_count.value}`;
    }
    if ('received_campaign' in f) {
      const types = RECEIVED_EVENT_TYPES.map(sqlString).join(', ');
      const l = this.cte(`SELECT uid, true AS hit FROM events WHERE campaign_id = ${sqlString(f.received_campaign)}
        AND event_type IN (${types}) AND ${this.timeWindow(f.within_days)} GROUP BY uid`);
      return `coalesce(${l}.hit, false)`;
    }
    const rb = randomBucketSql('p.braze_id');
    const { gte, lte } = f.random_bucket;
    return [gte !== undefined ? `${rb} >= ${gte}` : '', lte !== undefined ? `${rb} <= ${lte}` : ''].filter(Boolean).join(' AND ');
  }

  /** Current value as of the instant: the latest by (time, seq); a JSON null is no value. */
  private attribute(f: AttributeLeaf): string {
    const l = this.cte(`SELECT uid, arg_max(value, {'t': time, 's': seq}) AS v FROM attributes
      WHERE name = ${sqlString(f.attribute)} AND ${this.timeWindow(undefined)} GROUP BY uid`);
    return attributeTest(f, `${l}.v`);
  }
}

/** An attribute leaf's test of the value `v` (JSON, NULL when the user has none; a JSON null is no
 * value); kept segments (segment-changes.ts) test the same way. */
export function attributeTest(f: AttributeLeaf, v: string): string {
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

/**
 * The prototype data layout that the ClickHouse engine will follow (DESIGN.md has the why and the
 * figures). Per-user tables are sharded by `cityHash64(ws, user_key)`: each table X is X_local on
 * every node, and X is a Distributed table over them on a cluster (a view of X_local on one server
 * or chdb), so that every per-user count is exact on its shard and the shards' counts add up.
 *
 *   events_local      raw records, ReplacingMergeTree on (ws, kind, name, day, user_key, event_id):
 *                     a replayed record is the same key; merges fold it, reads never rely on it
 *   user_days_local   (ws, app, local day, user) of session starts: a set, fed by a view
 *   first_seen_local  min(local day) of a user's session starts per app: a min state, fed by a view
 *                     (every-app figures are taken across apps at recompute, not stored twice)
 *   series_local      the serving rollup: per shard, one value per (ws, metric, unit, app, name,
 *                     bucket), recomputed (never incremented) with a version; reads take the
 *                     latest version per bucket and add the shards
 *
 * Sets and minimums are idempotent, so views may feed them from raw inserts; counters are not (a
 * replay would count twice), so they are recomputed from deduplicated raw rows for the days a
 * batch touched.
 */
import type { ClickHouseConnection } from './client.ts';
import type { Migration } from './migrations.ts';
import { day, identifier, join, raw, sql, type Sql } from './sql.ts';

/** What a raw row is, as far as the prototype's figures go. */
export const KINDS = { session_start: 1, custom_event: 2, purchase: 3 } as const;
export type Kind = keyof typeof KINDS;

/** A raw row as inserted (JSONEachRow): `day` is the local day of the workspace, computed at ingest. */
export interface EventRow {
  ws: string;
  kind: Kind;
  name: string;
  app_id: string;
  user_key: string;
  event_id: string;
  time: number; // epoch seconds
  day: string; // YYYY-MM-DD in the workspace's time zone
  price_usd: number;
  quantity: number;
}

export type Metric = 'dau' | 'mau' | 'new_users' | 'sessions' | 'events' | 'purchases' | 'revenue' | 'quantity';
export type Unit = 'quarter' | 'day';

const SHARD_KEY = 'cityHash64(ws, user_key)';

/** X over X_local: Distributed on a cluster, a plain view elsewhere. */
export function shardedRead(db: ClickHouseConnection, name: string, key = SHARD_KEY): Sql {
  const local = db.table(`${name}_local`);
  if (!db.cluster) return sql`CREATE VIEW IF NOT EXISTS ${db.table(name)} AS SELECT * FROM ${local}`;
  // The database is written literally: 18.16 keeps currentDatabase() unevaluated in engine arguments.
  return sql`CREATE TABLE IF NOT EXISTS ${db.table(name)} AS ${local}
    ENGINE = Distributed(${identifier(db.cluster)}, ${db.database}, ${`${name}_local`}, ${raw(key)})`;
}

export const LAYOUT_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'prototype layout: events, user days, first seen, series',
    steps: (db) => [
      sql`CREATE TABLE IF NOT EXISTS ${db.table('events_local')} (
            ws String, kind Enum8('session_start' = 1, 'custom_event' = 2, 'purchase' = 3), name String,
            app_id String, user_key String, event_id String, time DateTime('UTC'), day Date,
            price_usd Float64, quantity UInt32)
          ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (ws, kind, name, day, user_key, event_id)`,
      shardedRead(db, 'events'),
      sql`CREATE TABLE IF NOT EXISTS ${db.table('user_days_local')} (ws String, app_id String, day Date, user_key String)
          ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (ws, app_id, day, user_key)`,
      sql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${db.table('user_days_mv')} TO ${db.table('user_days_local')} AS
          SELECT ws, app_id, day, user_key FROM ${db.table('events_local')} WHERE kind = 'session_start'`,
      sql`CREATE TABLE IF NOT EXISTS ${db.table('first_seen_local')} (ws String, app_id String, user_key String, first_day AggregateFunction(min, Date))
          ENGINE = AggregatingMergeTree ORDER BY (ws, app_id, user_key)`,
      sql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${db.table('first_seen_mv')} TO ${db.table('first_seen_local')} AS
          SELECT ws, app_id, user_key, minState(day) AS first_day
          FROM ${db.table('events_local')} WHERE kind = 'session_start' GROUP BY ws, app_id, user_key`,
      sql`CREATE TABLE IF NOT EXISTS ${db.table('series_local')} (
            ws String, metric String, unit Enum8('quarter' = 1, 'day' = 2), app_id String, name String,
            bucket DateTime('UTC'), value Float64, version UInt64)
          ENGINE = ReplacingMergeTree(version) ORDER BY (ws, metric, unit, app_id, name, bucket)`,
      // Written on each shard by its own recompute, only read through the Distributed table.
      shardedRead(db, 'series', 'cityHash64(ws)'),
    ],
  },
];

/** Where raw rows are inserted: through the Distributed table on a cluster, else the local table. */
export function eventsWriteTable(db: ClickHouseConnection): string {
  return db.cluster ? 'events' : 'events_local';
}

let lastVersion = 0;
/** Increasing per process; taken before a recompute reads, so a later recompute (which saw more) wins. */
function nextVersion(): number {
  lastVersion = Math.max(lastVersion + 1, Date.now() * 1000);
  return lastVersion;
}

/**
 * Recomputes, on every shard from its own rows, the rollups that the local `days` of workspace
 * `ws` feed: counters per 15-minute UTC bucket and per local day, DAU of those days, MAU of those
 * days and the 29 after, and new users (the whole series: a late earlier session moves a user's
 * first day back, so a day can lose a new user).
 */
export async function refreshRollups(
  db: ClickHouseConnection,
  ws: string,
  days: readonly string[],
  onStep?: (step: 'counters' | 'dau' | 'new_users' | 'mau', node: number, ms: number) => void,
): Promise<void> {
  if (days.length === 0) return;
  const version = nextVersion();
  const sorted = [...new Set(days)].sort();
  const step = async (name: 'counters' | 'dau' | 'new_users' | 'mau', node: number, run: () => Promise<void>) => {
    const started = performance.now();
    await run();
    onStep?.(name, node, performance.now() - started);
  };
  await Promise.all(
    db.nodes.map(async (_, node) => {
      await step('counters', node, () => db.command(countersSql(db, ws, sorted, version), { node }));
      await step('dau', node, () => db.command(dauSql(db, ws, sorted, version), { node }));
      await step('new_users', node, () => db.command(newUsersSql(db, ws, version), { node }));
      await step('mau', node, () => refreshMau(db, node, ws, sorted[0], addDays(sorted.at(-1)!, 29), version));
    }),
  );
}

function countersSql(db: ClickHouseConnection, ws: string, days: string[], version: number): Sql {
  // One row per record however often it was inserted: GROUP BY its key before counting. (FINAL
  // would do the same; this form lets 18.16 use every thread.)
  const deduped = sql`SELECT kind, name, app_id, time, day, any(price_usd) AS price_usd, any(quantity) AS quantity
    FROM ${db.table('events_local')} WHERE ws = ${ws} AND day IN (${join(days.map((d) => sql`${day(d)}`))})
    GROUP BY kind, name, day, user_key, event_id, app_id, time`;
  // Each record fans out to its app and to every app (''), to its name (custom events, products)
  // and for purchases to every product (''), and to its metrics: a purchase is a count, revenue
  // and quantity. (arrayJoin() calls rather than ARRAY JOIN clauses: one form for 18.16 and 26.x.)
  const perBucket = (unit: 'quarter' | 'day', bucket: Sql) => sql`
    SELECT mv.1 AS metric, ${unit} AS unit, app, metric_name, ${bucket} AS b, mv.2 AS value FROM (
      SELECT kind, name, app_id, time, day, price_usd, quantity,
             arrayJoin([app_id, '']) AS app,
             arrayJoin(multiIf(kind = 'purchase', [name, ''], kind = 'custom_event', [name], [''])) AS metric_name,
             arrayJoin(multiIf(kind = 'purchase', [('purchases', 1.), ('revenue', price_usd), ('quantity', toFloat64(quantity))],
                               kind = 'custom_event', [('events', 1.)], [('sessions', 1.)])) AS mv
      FROM (${deduped}))`;
  return sql`INSERT INTO ${db.table('series_local')} (ws, metric, unit, app_id, name, bucket, value, version)
    SELECT ${ws}, metric, unit, app, metric_name, b, sum(value), ${version} FROM (
      ${perBucket('quarter', raw('toStartOfFifteenMinutes(time)'))}
      UNION ALL
      ${perBucket('day', raw("toDateTime(day, 'UTC')"))}
    ) GROUP BY metric, unit, app, metric_name, b`;
}

function dauSql(db: ClickHouseConnection, ws: string, days: string[], version: number): Sql {
  return sql`INSERT INTO ${db.table('series_local')} (ws, metric, unit, app_id, name, bucket, value, version)
    SELECT ${ws}, 'dau', 'day', app, '', toDateTime(day, 'UTC'), uniqExact(user_key), ${version} FROM (
      SELECT arrayJoin([app_id, '']) AS app, day, user_key FROM ${db.table('user_days_local')}
      WHERE ws = ${ws} AND day IN (${join(days.map((d) => sql`${day(d)}`))}))
    GROUP BY app, day`;
}

function newUsersSql(db: ClickHouseConnection, ws: string, version: number): Sql {
  // Days that had new users before and have none now are written as 0 (the second branch).
  return sql`INSERT INTO ${db.table('series_local')} (ws, metric, unit, app_id, name, bucket, value, version)
    SELECT ${ws}, 'new_users', 'day', app_id, '', bucket, sum(n), ${version} FROM (
      SELECT app AS app_id, toDateTime(first, 'UTC') AS bucket, count() AS n FROM (
        SELECT app, user_key, min(f) AS first FROM (
          SELECT arrayJoin([app_id, '']) AS app, user_key, f FROM (
            SELECT app_id, user_key, minMerge(first_day) AS f FROM ${db.table('first_seen_local')} WHERE ws = ${ws} GROUP BY app_id, user_key))
        GROUP BY app, user_key)
      GROUP BY app, bucket
      UNION ALL
      SELECT app_id, bucket, 0 AS n FROM ${db.table('series_local')} WHERE ws = ${ws} AND metric = 'new_users' GROUP BY app_id, bucket)
    GROUP BY app_id, bucket`;
}

/**
 * MAU of the days `from`..`to` on one shard, from that shard's user days between from-29 and to:
 * each user's active days become intervals [d, d+30), merged where they touch, as +1/-1 deltas; a
 * prefix sum of the deltas is the MAU of each day (no ARRAY JOIN of 30 days per row: 35x slower).
 */
async function refreshMau(db: ClickHouseConnection, node: number, ws: string, from: string, to: string, version: number): Promise<void> {
  const deltas = await db.query<{ app_id: string; d: number; delta: number }>(
    sql`SELECT app_id, d, sum(delta) AS delta FROM (
          SELECT app_id, arrayJoin(arrayConcat(
                   arrayMap(s -> (s, 1), arrayFilter((x, i) -> i = 1 OR x - ds[i - 1] > 30, ds, arrayEnumerate(ds))),
                   arrayMap(e -> (e + 30, -1), arrayFilter((x, i) -> i = length(ds) OR ds[i + 1] - x > 30, ds, arrayEnumerate(ds))))) AS t,
                 t.1 AS d, t.2 AS delta
          FROM (SELECT app AS app_id, user_key, arraySort(groupUniqArray(toUInt32(toRelativeDayNum(day)))) AS ds FROM (
                  SELECT arrayJoin([app_id, '']) AS app, user_key, day FROM ${db.table('user_days_local')}
                  WHERE ws = ${ws} AND day BETWEEN ${day(addDays(from, -29))} AND ${day(to)})
                GROUP BY app, user_key))
        GROUP BY app_id, d`,
    { node },
  );
  const first = dayNumber(addDays(from, -29));
  const [lo, hi] = [dayNumber(from), dayNumber(to)];
  const byApp = new Map<string, Map<number, number>>();
  for (const r of deltas) {
    const m = byApp.get(r.app_id) ?? new Map<number, number>();
    m.set(r.d, (m.get(r.d) ?? 0) + r.delta);
    byApp.set(r.app_id, m);
  }
  const rows: object[] = [];
  for (const [app, m] of byApp) {
    let running = 0;
    for (let d = first; d <= hi; d++) {
      running += m.get(d) ?? 0;
      // Every day of the range, zeros included: an earlier recompute may have written a value there.
      if (d >= lo) rows.push({ ws, metric: 'mau', unit: 'day', app_id: app, name: '', bucket: d * 86400, value: running, version });
    }
  }
  if (rows.length > 0) await db.insert('series_local', rows, { node });
}

export interface SeriesQuery {
  ws: string;
  metric: Metric;
  unit: Unit;
  app_id?: string; // '' or absent: every app
  name?: string; // the custom event of `events`
  /** First and last bucket, as epoch seconds (a local day's bucket is its date at 00:00 UTC). */
  from: number;
  to: number;
}

/** Bucket (epoch seconds) -> value, latest version per bucket on each shard, shards added. */
export async function readSeries(db: ClickHouseConnection, q: SeriesQuery): Promise<Map<number, number>> {
  const rows = await db.query<{ bucket: number; value: number }>(
    sql`SELECT bucket, sum(v) AS value FROM (
          SELECT toUInt32(bucket) AS bucket, argMax(value, version) AS v FROM ${db.table('series')}
          WHERE ws = ${q.ws} AND metric = ${q.metric} AND unit = ${q.unit} AND app_id = ${q.app_id ?? ''} AND name = ${q.name ?? ''}
            AND bucket BETWEEN toDateTime(${q.from}, 'UTC') AND toDateTime(${q.to}, 'UTC')
          GROUP BY bucket)
        GROUP BY bucket ORDER BY bucket`,
    // Per shard: each shard's latest versions, summed here (a shard's partial values are exact).
    { settings: db.cluster ? { distributed_group_by_no_merge: '1' } : undefined },
  );
  return new Map(rows.map((r) => [r.bucket, r.value]));
}

function dayNumber(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
}

export function addDays(iso: string, n: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

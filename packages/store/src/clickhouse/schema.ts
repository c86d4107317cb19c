/**
 * The engine's tables (DESIGN.md has the why). Per-user tables are sharded by user: brazen writes
 * each user's rows straight into the `_local` table of the user's shard (shards.ts names it), so
 * that one user's events, identities, attributes and activity are on one node and every per-user
 * figure is exact there; reads go through `X`, a Distributed table over `X_local` on a cluster (a
 * plain view on one server or chdb). The catalog and export members are small and live on the first
 * node only.
 *
 *   events_local      one row a stored record (ReplacingMergeTree on (ws, user, id): a record is
 *                     stored once, a retried insert folds)
 *   counters_local    sessions, custom events, purchases and uninstalls per 15-minute UTC bucket,
 *                     by name and app and their totals: SummingMergeTree fed by a view of
 *                     events_local, so a record's counts land in the same insert as the record
 *   names_local       custom event names and product ids ever recorded (view of events_local)
 *   users_local, identities_local (by value; user_identities_local by user), attributes_local
 *                     users as recorded
 *   activity_local    a user's active local days ('day' rows) and the changes they made to DAU,
 *                     MAU and new users ('delta' rows), written together in one insert per shard;
 *                     `daily_local` sums the deltas by day (view). `gen` is the time-zone generation.
 *   catalog           versioned documents: the workspace, export jobs, secrets, API keys
 *   export_members    an export's members in rank order
 */
import type { ClickHouseConnection } from './client.ts';
import type { Migration } from './migrations.ts';
import { identifier, raw, sql, type Sql } from './sql.ts';

/** Tables written per shard and read through a Distributed table (or a view). */
export const SHARDED_TABLES = ['events', 'event_ids', 'counters', 'names', 'users', 'identities', 'user_identities', 'attributes', 'activity', 'daily'] as const;
export type ShardedTable = (typeof SHARDED_TABLES)[number];

/** X over X_local: Distributed on a cluster (no sharding key: brazen never inserts through it), a view elsewhere. */
function readThrough(db: ClickHouseConnection, name: ShardedTable): Sql {
  const local = db.table(`${name}_local`);
  if (!db.cluster) return sql`CREATE VIEW IF NOT EXISTS ${db.table(name)} AS SELECT * FROM ${local}`;
  // The database is written literally: 18.16 keeps currentDatabase() unevaluated in engine arguments.
  return sql`CREATE TABLE IF NOT EXISTS ${db.table(name)} AS ${local}
    ENGINE = Distributed(${identifier(db.cluster)}, ${db.database}, ${`${name}_local`})`;
}

const TEXT = raw('Nullable(String)');

export const STORE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'events, counters, profiles, activity, catalog',
    steps: (db) => [
      sql`CREATE TABLE IF NOT EXISTS ${db.table('events_local')} (
            ws String, user String, id String, seq UInt64, event_type String, category String, time Float64,
            app_id ${TEXT}, name ${TEXT}, campaign_id ${TEXT}, message_variation_id ${TEXT}, canvas_id ${TEXT},
            canvas_variation_id ${TEXT}, canvas_step_id ${TEXT}, send_id ${TEXT}, card_id ${TEXT}, platform ${TEXT},
            price Nullable(Float64), currency ${TEXT}, quantity Nullable(Int32), revenue Nullable(Float64), device_id ${TEXT},
            counter String, payload String)
          ENGINE = ReplacingMergeTree ORDER BY (ws, user, id)`,
      readThrough(db, 'events'),
      // Every stored record's id, for a batch to find the ones stored already (whoever they are of).
      // h: the id's cityHash64, the key (a 64-bit number compares far faster than the id's text).
      sql`CREATE TABLE IF NOT EXISTS ${db.table('event_ids_local')} (ws String, h UInt64, id String) ENGINE = ReplacingMergeTree ORDER BY (ws, h, id)`,
      sql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${db.table('event_ids_mv')} TO ${db.table('event_ids_local')} AS
          SELECT ws, cityHash64(id) AS h, id FROM ${db.table('events_local')}`,
      readThrough(db, 'event_ids'),
      // label: the name (custom events, purchases) or '' and, for the totals over every name, \x01;
      // app: the app or '' and \x01 for the totals over every app. The view sums each inserted block
      // by key (a batch of 100,000 records in time order is a few thousand rows).
      sql`CREATE TABLE IF NOT EXISTS ${db.table('counters_local')} (
            ws String, kind String, label String, app String, bucket UInt32, n UInt64, units Int64, usd Float64)
          ENGINE = SummingMergeTree((n, units, usd)) ORDER BY (ws, kind, label, app, bucket)`,
      sql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${db.table('counters_mv')} TO ${db.table('counters_local')} AS
          SELECT ws, counter AS kind,
                 arrayJoin(if(counter IN ('custom_event', 'purchase'), [ifNull(name, ''), '\x01'], [''])) AS label,
                 arrayJoin([ifNull(app_id, ''), '\x01']) AS app,
                 toUInt32(floor(time / 900)) AS bucket, count() AS n,
                 sum(toInt64(ifNull(quantity, 1))) AS units, sum(ifNull(revenue, 0.)) AS usd
          FROM ${db.table('events_local')} WHERE counter != ''
          GROUP BY ws, kind, label, app, bucket`,
      readThrough(db, 'counters'),
      sql`CREATE TABLE IF NOT EXISTS ${db.table('names_local')} (ws String, kind String, label String)
          ENGINE = ReplacingMergeTree ORDER BY (ws, kind, label)`,
      sql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${db.table('names_mv')} TO ${db.table('names_local')} AS
          SELECT ws, counter AS kind, ifNull(name, '') AS label FROM ${db.table('events_local')}
          WHERE counter IN ('custom_event', 'purchase') GROUP BY ws, kind, label`,
      readThrough(db, 'names'),
      sql`CREATE TABLE IF NOT EXISTS ${db.table('users_local')} (ws String, user String, created_at Float64, seq UInt64)
          ENGINE = ReplacingMergeTree ORDER BY (ws, user)`,
      readThrough(db, 'users'),
      sql`CREATE TABLE IF NOT EXISTS ${db.table('identities_local')} (ws String, kind String, value String, user String, seq UInt64)
          ENGINE = ReplacingMergeTree ORDER BY (ws, kind, value, user)`,
      readThrough(db, 'identities'),
      // The same identities by user, for reading a user's records (a view: same insert).
      sql`CREATE TABLE IF NOT EXISTS ${db.table('user_identities_local')} (ws String, user String, kind String, value String, seq UInt64)
          ENGINE = ReplacingMergeTree ORDER BY (ws, user, kind, value)`,
      sql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${db.table('user_identities_mv')} TO ${db.table('user_identities_local')} AS
          SELECT ws, user, kind, value, seq FROM ${db.table('identities_local')}`,
      sql`CREATE TABLE IF NOT EXISTS ${db.table('attributes_local')} (ws String, user String, name String, value String, time Float64, seq UInt64)
          ENGINE = ReplacingMergeTree ORDER BY (ws, user, name, seq)`,
      readThrough(db, 'attributes'),
      sql`CREATE TABLE IF NOT EXISTS ${db.table('activity_local')} (
            ws String, gen UInt32, kind Enum8('day' = 1, 'delta' = 2), scope String, user String, day Int32,
            dau Int32, new_users Int32, mau_diff Int32)
          ENGINE = MergeTree ORDER BY (ws, gen, kind, scope, user, day)`,
      readThrough(db, 'activity'),
      sql`CREATE TABLE IF NOT EXISTS ${db.table('daily_local')} (ws String, gen UInt32, scope String, day Int32, dau Int64, new_users Int64, mau_diff Int64)
          ENGINE = SummingMergeTree((dau, new_users, mau_diff)) ORDER BY (ws, gen, scope, day)`,
      sql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${db.table('daily_mv')} TO ${db.table('daily_local')} AS
          SELECT ws, gen, scope, day, toInt64(dau) AS dau, toInt64(new_users) AS new_users, toInt64(mau_diff) AS mau_diff
          FROM ${db.table('activity_local')} WHERE kind = 'delta'`,
      readThrough(db, 'daily'),
      // made: the version of the document's first write (the order documents were made in).
      sql`CREATE TABLE IF NOT EXISTS ${db.table('catalog')} (ws String, kind String, id String, version UInt64, made UInt64, deleted UInt8, body String)
          ENGINE = ReplacingMergeTree(version) ORDER BY (ws, kind, id)`,
      sql`CREATE TABLE IF NOT EXISTS ${db.table('export_members')} (ws String, job String, snapshot UInt64, rank UInt32, user String)
          ENGINE = ReplacingMergeTree ORDER BY (ws, job, snapshot, rank)`,
    ],
  },
];

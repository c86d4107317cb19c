/** A migrations list for the runner's tests: local and Distributed tables, a view, an added column. */
import { shardedRead } from '../../src/clickhouse/layout.ts';
import type { Migration } from '../../src/clickhouse/migrations.ts';
import { raw, sql } from '../../src/clickhouse/sql.ts';

export const TEST_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'events and users',
    steps: (db) => [
      sql`CREATE TABLE IF NOT EXISTS ${db.table('events_local')} (ws String, user_key String, id String, time DateTime('UTC'))
          ENGINE = ReplacingMergeTree ORDER BY (ws, user_key, id)`,
      shardedRead(db, 'events'),
      sql`CREATE TABLE IF NOT EXISTS ${db.table('users_local')} (ws String, user_key String, version UInt64)
          ENGINE = ReplacingMergeTree(version) ORDER BY (ws, user_key)`,
      shardedRead(db, 'users'),
    ],
  },
  {
    version: 2,
    name: 'user days',
    steps: (db) => [
      sql`CREATE TABLE IF NOT EXISTS ${db.table('user_days_local')} (ws String, day Date, user_key String)
          ENGINE = ReplacingMergeTree ORDER BY (ws, day, user_key)`,
      sql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${db.table('user_days_mv')} TO ${db.table('user_days_local')}
          AS SELECT ws, toDate(time) AS day, user_key FROM ${db.table('events_local')}`,
    ],
  },
  {
    version: 3,
    name: 'app of an event',
    steps: (db) => [{ addColumn: { table: 'events_local', column: 'app_id', type: raw(`String DEFAULT ''`) } }],
  },
];

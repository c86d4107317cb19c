import { COUNTER_KIND_OF_CATEGORY } from '@brazen/analytics';
import { literal } from './sql.ts';

/** Tables of the embedded store. `events` keeps every record in full; the rest are identities,
 * definitions, and the rollups maintained at ingestion so that series answer in milliseconds. */
// Counters are logs of deltas (no key: a batch appends its sums, a read sums them, a compaction
// folds them from time to time), in arrival order, which is close to time order, so that the zone
// maps of `bucket`/`day` keep a read to the row groups of its range.
// `counters`: 15-minute UTC buckets (every zone offset in use is a multiple of 15 minutes), for hour
// units. `counter_days`: local days of the workspace time zone, for day units (rebuilt when the
// zone changes). name and app_id are '' when absent, chr(1) on the rows totalling every name/app.
export const COUNTERS_DDL = `CREATE TABLE IF NOT EXISTS counters (
     bucket INTEGER, kind VARCHAR, name VARCHAR, app_id VARCHAR, n BIGINT, quantity BIGINT, revenue DOUBLE)`;
export const COUNTER_DAYS_DDL = `CREATE TABLE IF NOT EXISTS counter_days (
     day INTEGER, kind VARCHAR, name VARCHAR, app_id VARCHAR, n BIGINT, quantity BIGINT, revenue DOUBLE)`;

export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS users (uid INTEGER, braze_id VARCHAR, created_at DOUBLE)`,
  // kind: braze_id, external_id, alias (name \u001f label), email, phone, device_id
  `CREATE TABLE IF NOT EXISTS identities (kind VARCHAR, value VARCHAR, uid INTEGER)`,
  `CREATE TABLE IF NOT EXISTS attributes (uid INTEGER, name VARCHAR, value JSON, time DOUBLE, seq BIGINT)`,
  // id and payload are compressed with zstd (in a file of DuckDB 1.2's format or later; see DuckDbStore.open).
  `CREATE TABLE IF NOT EXISTS events (
     id VARCHAR USING COMPRESSION zstd, id_hash UBIGINT, event_type VARCHAR, category VARCHAR, time DOUBLE, uid INTEGER,
     app_id VARCHAR, name VARCHAR, campaign_id VARCHAR, message_variation_id VARCHAR,
     canvas_id VARCHAR, canvas_variation_id VARCHAR, canvas_step_id VARCHAR, send_id VARCHAR,
     card_id VARCHAR, platform VARCHAR, price DOUBLE, currency VARCHAR, quantity INTEGER,
     revenue DOUBLE, payload JSON USING COMPRESSION zstd)`,
  COUNTERS_DDL,
  COUNTER_DAYS_DDL,
  // Local days (workspace time zone) on which a user had a session; scope '' is all apps.
  `CREATE TABLE IF NOT EXISTS user_days (scope VARCHAR, uid INTEGER, day INTEGER)`,
  `CREATE TABLE IF NOT EXISTS daily (
     scope VARCHAR, day INTEGER, dau BIGINT, new_users BIGINT, mau_diff BIGINT, PRIMARY KEY (scope, day))`,
  `CREATE TABLE IF NOT EXISTS api_keys (hash VARCHAR PRIMARY KEY, name VARCHAR, permissions VARCHAR, created_at VARCHAR)`,
  // Keys name their workspace; those of a folder made before workspaces had names are the default's.
  `ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS workspace VARCHAR DEFAULT 'default'`,
  `CREATE TABLE IF NOT EXISTS workspace (id INTEGER PRIMARY KEY, doc VARCHAR)`,
  // User exports (SPEC §6): the job as a JSON document, and its members ranked by uid.
  `CREATE TABLE IF NOT EXISTS export_jobs (id VARCHAR PRIMARY KEY, doc VARCHAR)`,
  // Members are named by a number made from the job's id (`exportJobKey`), not by the id itself:
  // a text a row made the snapshot of a 1M-user segment take 50 MB more memory.
  `CREATE TABLE IF NOT EXISTS export_ranks (job BIGINT, rn INTEGER, uid INTEGER)`,
];

/** Lookups of identities by value (/users/track, exports by id) read a few rows through it instead
 * of scanning every identity: 5 ms against 90 ms for 29 values among the 3.1M of the 1M-user demo. */
export const IDENTITY_INDEX_DDL = `CREATE INDEX IF NOT EXISTS identities_value ON identities (value)`;

/** Columns shared by the staging table of an ingestion batch and `events`. */
export const EVENT_COLUMNS = [
  'id', 'id_hash', 'event_type', 'category', 'time', 'uid', 'app_id', 'name', 'campaign_id',
  'message_variation_id', 'canvas_id', 'canvas_variation_id', 'canvas_step_id', 'send_id', 'card_id',
  'platform', 'price', 'currency', 'quantity', 'revenue', 'payload',
] as const;

/** Category of a Currents event type → the counter it feeds (analytics' `counterKind`). */
export const COUNTER_KIND_SQL = `CASE category
  ${Object.entries(COUNTER_KIND_OF_CATEGORY).map(([category, kind]) => `WHEN ${literal(category)} THEN ${literal(kind)}`).join(' ')} END`;

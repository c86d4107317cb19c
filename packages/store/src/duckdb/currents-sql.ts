import { CURRENTS_MESSAGES, CURRENTS_TIME_RANGE, DEVICE_ID_CATEGORIES } from '@brazen/analytics';
import { COUNTER_KIND_SQL } from './schema.ts';
import { literal, replaceTableSql } from './sql.ts';
import { dayOf, sqlList } from './campaigns-sql.ts';

/** Top-level fields read from every Currents record, each as text (as `json_extract_string` reads it). */
const FIELDS = [
  'id', 'event_type', 'time', 'user_id', 'external_user_id', 'app_id', 'name', 'product_id',
  'campaign_id', 'message_variation_id', 'canvas_id', 'canvas_variation_id', 'canvas_step_id',
  'send_id', 'card_id', 'platform', 'price', 'currency', 'quantity', 'device_id',
] as const;

/**
 * Parses the request files (one per request of a group committed together) once, with DuckDB's
 * JSON reader on both cores, into the temp table `staged`: each record's fields as text, the
 * record whole (`payload`, its bytes as received) and its file. A row's `rowid` is its position in
 * the group (records of the first file first, each file in order), since `read_ndjson` and
 * `read_json_objects` read the same files in the same order and are joined by position. (Made
 * outside a transaction: rows made inside one have rowids that are not positions.)
 *
 * `read_json_objects` checks every record's JSON (a body that is not JSON fails here, whole); the
 * typed reader gives a record it cannot take as an object (a number, an array, a duplicated key)
 * a row of nulls (`ignore_errors`), which `STAGED_FALLBACK_SQL` reads again field by field.
 * (Measured on 400k records: 430 ms of CPU against 940 ms for `json_extract_string` of the twenty
 * paths from `read_json_objects`, the way bodies were read before.)
 */
export function stageSql(files: readonly string[], format: 'ndjson' | 'array'): string {
  const list = `[${files.map(literal).join(', ')}]`;
  const fmt = format === 'ndjson' ? 'newline_delimited' : 'array';
  const columns = `{${FIELDS.map((f) => `${literal(f)}: 'VARCHAR'`).join(', ')}}`;
  return `CREATE OR REPLACE TEMP TABLE staged AS
    SELECT o.filename AS file, t.*, o.json AS payload
    FROM read_json(${list}, columns = ${columns}, format = '${fmt}', records = true, ignore_errors = true, maximum_object_size = 16777216) t
    POSITIONAL JOIN read_json_objects(${list}, format = '${fmt}', maximum_object_size = 16777216, filename = true) o`;
}

const M = CURRENTS_MESSAGES;

/** A message that names a value, as SQL: its words with the column's value where the value goes. */
const textOf = (message: (value: string) => string, column: string) => message('\u0000').split('\u0000').map(literal).join(` || ${column} || `);

/** Records the typed reader could not take (all its fields null) that are JSON objects after all (a
 * duplicated key, say): their fields read from the record as `json_extract_string` reads them. */
export const STAGED_FALLBACK_SQL = `UPDATE staged SET ${FIELDS.map((f, i) => `${f} = v[${i + 1}]`).join(', ')}
  FROM (SELECT rowid AS rn, json_extract_string(payload, [${FIELDS.map((f) => `'$.${f}'`).join(', ')}]) AS v FROM staged
        WHERE id IS NULL AND event_type IS NULL AND time IS NULL AND json_type(payload) = 'OBJECT') f
  WHERE staged.rowid = f.rn`;

/** A staged record (`s`) with its event type's category (`k`) and its currency's USD value (`r`). */
const STAGED_TYPED = `staged s LEFT JOIN event_types k ON k.event_type = s.event_type
  LEFT JOIN rates r ON r.currency = coalesce(upper(s.currency), 'USD')`;

/** A staged record's fields as stored (each name is a column of `events`). */
const TYPED = {
  id: 's.id',
  id_hash: 'hash(s.id)',
  event_type: 's.event_type',
  category: 'k.category',
  time: 'TRY_CAST(s.time AS DOUBLE)',
  name: `CASE WHEN k.category = 'purchase' THEN s.product_id ELSE s.name END`,
  price: 'TRY_CAST(s.price AS DOUBLE)',
  currency: 'upper(s.currency)',
  quantity: 'TRY_CAST(s.quantity AS INTEGER)',
  revenue: `CASE WHEN k.category = 'purchase' THEN TRY_CAST(s.price AS DOUBLE) * coalesce(TRY_CAST(s.quantity AS INTEGER), 1) * r.usd END`,
} as const;
const typed = (column: string) => TYPED[column as keyof typeof TYPED] ?? `s.${column}`;

/**
 * The group's records as the narrow temp table `batch`: `rn` the record's position in the group,
 * `req` its request's position, its id and id hash, how it names its user (`bk`, `ek`: braze_id and
 * external_id, '' where absent), and `message`, the first rule it breaks (null for a valid record).
 * The rules of `readCurrentsRecord` (`@brazen/analytics`), in their order, with their messages and
 * time range.
 */
export function batchSql(files: readonly string[]): string {
  return `CREATE OR REPLACE TEMP TABLE batch AS
    SELECT s.rowid AS rn, list_position([${files.map(literal).join(', ')}], s.file) - 1 AS req, s.id, ${TYPED.id_hash} AS id_hash,
           coalesce(s.user_id, '') AS bk, coalesce(s.external_user_id, '') AS ek,
           CASE
             WHEN s.id IS NULL AND json_type(s.payload) IS DISTINCT FROM 'OBJECT' THEN ${literal(M.notAnObject)}
             WHEN s.id IS NULL OR s.id = '' THEN ${literal(M.noId)}
             WHEN s.event_type IS NULL THEN ${literal(M.noEventType)}
             WHEN k.category IS NULL THEN ${textOf(M.unknownEventType, 's.event_type')}
             WHEN ${TYPED.time} IS NULL THEN ${literal(M.timeNotANumber)}
             WHEN NOT (${TYPED.time} >= ${CURRENTS_TIME_RANGE.from} AND ${TYPED.time} < ${CURRENTS_TIME_RANGE.before}) THEN ${literal(M.timeOutOfRange)}
             WHEN coalesce(s.user_id, '') = '' AND coalesce(s.external_user_id, '') = '' THEN ${literal(M.noUser)}
             WHEN k.category = 'custom_event' AND s.name IS NULL THEN ${literal(M.noName)}
             WHEN k.category = 'purchase' AND s.product_id IS NULL THEN ${literal(M.noProductId)}
             WHEN k.category = 'purchase' AND ${TYPED.price} IS NULL THEN ${literal(M.priceNotANumber)}
             WHEN s.quantity IS NOT NULL AND (${TYPED.quantity} IS NULL OR ${TYPED.quantity} < 1) THEN ${literal(M.badQuantity)}
             WHEN k.category = 'purchase' AND r.usd IS NULL THEN ${textOf(M.noRate, TYPED.currency)}
           END AS message
    FROM ${STAGED_TYPED}`;
}

/** Per request (by position in the group, only those with records): its first record's position
 * in the group and its records. */
export const REQUEST_SPANS_SQL = `SELECT req::INTEGER AS req, min(rn)::DOUBLE AS first, count(*)::INTEGER AS records FROM batch GROUP BY req`;

/** Records rejected one by one: position in the group and the reason. */
export const BATCH_ERRORS_SQL = `SELECT rn::DOUBLE AS rn, req::INTEGER AS req, message FROM batch WHERE message IS NOT NULL ORDER BY rn`;

/** The valid records' id hashes, as two 32-bit halves (numbers in JavaScript, no BigInt), by position. */
export const BATCH_HASHES_SQL = `SELECT rn::UINTEGER AS rn, (id_hash >> 32)::UINTEGER AS hi, (id_hash & 4294967295)::UINTEGER AS lo
  FROM batch WHERE message IS NULL`;

/** Up to this many hashes are matched as a list of constants (checked while scanning); more, such
 * as a batch sent again whole, are joined from the temp table `candidates`. */
export const HASHES_AS_LIST = 1_000;

const hashesIn = (hashes: readonly bigint[]) =>
  hashes.length <= HASHES_AS_LIST ? hashes.map((h) => `${h}::UBIGINT`).join(', ') : 'SELECT h FROM candidates';

/** The ids of the group's valid records whose hash is one of `hashes` (to tell records of one id
 * apart from records whose ids only share a hash), in the group's order. */
export function batchIdsSql(hashes: readonly bigint[]): string {
  return `SELECT rn::DOUBLE AS rn, id FROM batch WHERE message IS NULL AND id_hash IN (${hashesIn(hashes)}) ORDER BY rn`;
}

/** Stored ids whose hash is one of `hashes`: duplicates, or ids that only share a hash. */
export function storedIdsSql(hashes: readonly bigint[]): string {
  return `SELECT DISTINCT id FROM events WHERE id_hash IN (${hashesIn(hashes)})`;
}

/** Users named by the group's valid records: (braze_id, external_id) pairs, '' where absent. */
export const REFS_SQL = `CREATE OR REPLACE TEMP TABLE umap AS
  SELECT r.bk, r.ek, coalesce(b.uid, e.uid) AS uid, b.uid AS buid, e.uid AS euid
  FROM (SELECT DISTINCT bk, ek FROM batch WHERE message IS NULL) r
  LEFT JOIN (SELECT value, uid FROM identities WHERE kind = 'braze_id') b ON b.value = r.bk
  LEFT JOIN (SELECT value, uid FROM identities WHERE kind = 'external_id') e ON e.value = r.ek`;
// (No identity has the value '', so an absent id never matches; plain equality keeps it a hash join.)

/** The group's records to store (valid, and not a duplicate), each with its user (alias `m`). */
const NEW_RECORDS = `${STAGED_TYPED}
  JOIN umap m ON m.bk = coalesce(s.user_id, '') AND m.ek = coalesce(s.external_user_id, '')
  WHERE s.rowid NOT IN (SELECT rn FROM batch WHERE message IS NOT NULL)`;

/** The columns of `events`, in their order. */
const EVENT_COLUMNS = [
  'id', 'id_hash', 'event_type', 'category', 'time', 'uid', 'app_id', 'name', 'campaign_id', 'message_variation_id',
  'canvas_id', 'canvas_variation_id', 'canvas_step_id', 'send_id', 'card_id', 'platform', 'price', 'currency', 'quantity',
  'revenue', 'payload',
] as const;
const eventColumn = (c: string) => (c === 'uid' ? 'm.uid' : typed(c));

/** The columns of `events` a /users/track event has values for (the message fields are null), in
 * the order `Ingest.appendEvent` appends them to the temp table `track_rows`. */
const TRACK_COLUMNS: readonly string[] = ['id', 'event_type', 'category', 'time', 'uid', 'app_id', 'name', 'price', 'currency', 'quantity', 'revenue', 'payload'];
export const TRACK_ROWS_DDL = `CREATE OR REPLACE TEMP TABLE track_rows AS SELECT ${TRACK_COLUMNS.join(', ')} FROM events LIMIT 0`;

/** `track_rows` as rows of `events`: id hashes made, message fields null (every one is text). */
export const TRACK_EVENTS = `(SELECT ${EVENT_COLUMNS.map((c) => (c === 'id_hash' ? 'hash(id) AS id_hash' : TRACK_COLUMNS.includes(c) ? c : `NULL::VARCHAR AS ${c}`)).join(', ')}
  FROM track_rows)`;

/** The group's new records, once: typed, with their user, their position in the group (`rn`), their
 * device id and the whole record. `events` takes them as they are (`EVENTS_FROM_INS_SQL`), and the
 * rollups read the columns they need (the pending rows of `pending_rollups` are made from them). */
export const INS_SQL = `CREATE OR REPLACE TEMP TABLE ins AS
  SELECT s.rowid AS rn, ${EVENT_COLUMNS.filter((c) => c !== 'payload').map((c) => `${eventColumn(c)} AS ${c}`).join(', ')}, s.device_id, s.payload
  FROM ${NEW_RECORDS}`;

/** The group's new records into `events`: a copy of `ins` (no join, no field read again). */
export const EVENTS_FROM_INS_SQL = `INSERT INTO events SELECT ${EVENT_COLUMNS.join(', ')} FROM ins`;

/** The rows of `ins` (the rows the rollups read) whose event type may be message engagement: what
 * the campaign rollups read (some actions are told apart by a field of the payload). */
export const MESSAGES_FROM_INS = `(SELECT * FROM ins WHERE event_type IN (SELECT event_type FROM msg_types))`;

/**
 * Records stored and acknowledged whose rollups are not made yet (pending-rollups.ts), as ranges of
 * rowids of `events` (`lo` included, `hi` not): written in the transaction that stores the records,
 * emptied in the one that rolls them up, so that a crash between the two leaves them here, to be
 * rolled up at the next start. (Rows of `events` are never deleted, so a rowid stays its row's
 * position: a group's rows are the `hi - lo` after the `lo` rows stored before it.)
 */
export const PENDING_ROLLUPS_DDL = `CREATE TABLE IF NOT EXISTS pending_rollups (lo BIGINT, hi BIGINT)`;

/** The stored records of the rowid ranges `ranges` as `ins` (what the rollups read: the payload only
 * of message engagement, no device id). */
export function insFromEventsSql(ranges: ReadonlyArray<readonly [number, number]>): string {
  const within = ranges.map(([lo, hi]) => `(rowid >= ${lo} AND rowid < ${hi})`).join(' OR ');
  return `CREATE OR REPLACE TEMP TABLE ins AS
    SELECT rowid AS rn, ${EVENT_COLUMNS.filter((c) => c !== 'payload').join(', ')}, NULL::VARCHAR AS device_id,
           CASE WHEN event_type IN (SELECT event_type FROM msg_types) THEN payload END AS payload
    FROM events WHERE ${within}`;
}

/**
 * Records the batch's new (device id, user) pairs as identities, from the records that name a device
 * (see DEVICE_ID_CATEGORIES), so that a user is found by device id without reading payloads. Only
 * the stored pairs with the batch's device ids are read to leave out those already known.
 */
export const DEVICE_IDENTITIES_SQL = [
  `CREATE OR REPLACE TEMP TABLE devs AS
     SELECT DISTINCT device_id AS value, uid FROM ins WHERE device_id IS NOT NULL AND category IN (${sqlList(DEVICE_ID_CATEGORIES)})`,
  `INSERT INTO identities SELECT 'device_id', d.value, d.uid FROM devs d ANTI JOIN (
     SELECT value, uid FROM identities WHERE kind = 'device_id' AND value IN (SELECT value FROM devs)) k
     ON k.value = d.value AND k.uid = d.uid`,
];

/** The same pairs from every stored record, once, for a store made before device ids were identities
 * (it has none of them). */
export const DEVICE_IDENTITIES_FROM_EVENTS_SQL = `INSERT INTO identities
  SELECT DISTINCT 'device_id', value, uid FROM (
    SELECT json_extract_string(payload, '$.device_id') AS value, uid FROM events WHERE category IN (${sqlList(DEVICE_ID_CATEGORIES)}))
  WHERE value IS NOT NULL`;

/** The counter rows of `source` (narrow: time, category, name, app_id, quantity, revenue): per
 * 15-minute bucket, local day, kind, name ('' but for custom events and purchases) and app ('' when
 * none). */
export function counterRowsSql(source: string, zone: string): string {
  return `SELECT floor(time / 900)::INTEGER AS bucket, ${dayOf('time', zone)} AS day, kind, nm, app,
         count(*) AS n, sum(coalesce(quantity, 1)) AS quantity, sum(coalesce(revenue, 0)) AS revenue
  FROM (
    SELECT time, kind, CASE WHEN kind IN ('custom_event', 'purchase') THEN name ELSE '' END AS nm,
           coalesce(app_id, '') AS app, quantity, revenue
    FROM (SELECT time, name, app_id, quantity, revenue, ${COUNTER_KIND_SQL} AS kind FROM ${source}) WHERE kind IS NOT NULL)
  GROUP BY ALL`;
}

/**
 * Counter rows appended to `table` (`counters` by 15-minute bucket, `counter_days` by local day) from
 * `rows` (the rows of `counterRowsSql`): one per (slot, kind, name, app) and, through grouping
 * sets, the totals over every name and/or every app (marked `chr(1)`), so a series without a product
 * or app filter reads one row a slot instead of summing them all.
 */
function countersFromRowsSql(rows: string, table: 'counters' | 'counter_days'): string {
  const slot = table === 'counters' ? 'bucket' : 'day';
  return `INSERT INTO ${table}
  SELECT ${slot}, kind,
         CASE WHEN grouping(nm) = 1 THEN chr(1) ELSE nm END,
         CASE WHEN grouping(app) = 1 THEN chr(1) ELSE app END,
         sum(n), sum(quantity), sum(revenue)
  FROM ${rows}
  GROUP BY GROUPING SETS ((${slot}, kind, nm, app), (${slot}, kind, nm), (${slot}, kind, app), (${slot}, kind))`;
}

/** Counter rows of every record of `source` appended to `table` (a rebuild from `events`). */
export function countersSql(source: string, table: 'counters' | 'counter_days', zone: string): string {
  return countersFromRowsSql(`(${counterRowsSql(source, zone)})`, table);
}

/**
 * A batch's counters, both tables, from one pass over it: its rows per bucket and day go to the
 * temp table `counter_rows` (a few thousand at most), from which each table's rows and totals are
 * summed. (Each grouping set of the old statements read the whole batch again, eight times in all.)
 */
export function batchCountersSql(source: string, zone: string): string[] {
  return [
    `CREATE OR REPLACE TEMP TABLE counter_rows AS ${counterRowsSql(source, zone)}`,
    countersFromRowsSql('counter_rows', 'counters'),
    countersFromRowsSql('counter_rows', 'counter_days'),
  ];
}

/** Folds a counter log's deltas into one row a key, rewritten in slot order (the order reads prune by). */
export function compactCountersSql(table: 'counters' | 'counter_days'): string[] {
  const slot = table === 'counters' ? 'bucket' : 'day';
  return replaceTableSql(table, `SELECT ${slot}, kind, name, app_id, sum(n)::BIGINT AS n, sum(quantity)::BIGINT AS quantity, sum(revenue) AS revenue
       FROM ${table} GROUP BY ALL ORDER BY ${slot}, kind, name, app_id`);
}

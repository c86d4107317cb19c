import { CURRENTS_MESSAGES, CURRENTS_TIME_RANGE, DEVICE_ID_CATEGORIES } from '@brazen/analytics';
import { COUNTER_KIND_SQL } from './schema.ts';
import { literal, replaceTableSql } from './sql.ts';
import { dayOf, sqlList } from './campaigns-sql.ts';

/** Top-level fields read from every Currents record (1-based positions in `v`). */
const FIELDS = [
  'id', 'event_type', 'time', 'user_id', 'external_user_id', 'app_id', 'name', 'product_id',
  'campaign_id', 'message_variation_id', 'canvas_id', 'canvas_variation_id', 'canvas_step_id',
  'send_id', 'card_id', 'platform', 'price', 'currency', 'quantity', 'device_id',
] as const;
const at = (field: (typeof FIELDS)[number]) => `v[${FIELDS.indexOf(field) + 1}]`;

/**
 * Parses the request files (one per request of a group committed together) once into a typed
 * staging table, keeping each record whole: `req` is the request's position in `files`, `idx` the
 * record's position in its request. Only parsing happens here, the costliest step of a batch: the
 * category of the event type is looked up on the narrow columns afterwards (a join here carries
 * every payload through it), and a record's JSON type is only asked for when it has no `id`
 * (a path such as `$.id` only resolves in an object).
 */
export function stageSql(files: readonly string[], format: 'ndjson' | 'array'): string {
  const paths = FIELDS.map((f) => `'$.${f}'`).join(', ');
  const fmt = format === 'ndjson' ? 'newline_delimited' : 'array';
  const list = `[${files.map(literal).join(', ')}]`;
  return `CREATE OR REPLACE TEMP TABLE typed AS
    SELECT s.req, s.idx, s.payload,
      CASE WHEN ${at('id')} IS NULL THEN json_type(s.payload) ELSE 'OBJECT' END AS jt,
      ${at('id')} AS id, ${at('event_type')} AS event_type,
      TRY_CAST(${at('time')} AS DOUBLE) AS time, ${at('time')} AS time_raw,
      ${at('user_id')} AS user_id, ${at('external_user_id')} AS external_user_id, ${at('app_id')} AS app_id,
      ${at('name')} AS name, ${at('product_id')} AS product_id,
      ${at('campaign_id')} AS campaign_id, ${at('message_variation_id')} AS message_variation_id,
      ${at('canvas_id')} AS canvas_id, ${at('canvas_variation_id')} AS canvas_variation_id,
      ${at('canvas_step_id')} AS canvas_step_id, ${at('send_id')} AS send_id, ${at('card_id')} AS card_id,
      ${at('platform')} AS platform,
      TRY_CAST(${at('price')} AS DOUBLE) AS price, ${at('price')} AS price_raw,
      upper(${at('currency')}) AS currency,
      TRY_CAST(${at('quantity')} AS INTEGER) AS quantity, ${at('quantity')} AS quantity_raw,
      ${at('device_id')} AS device_id
    FROM (
      SELECT req, rn - min(rn) OVER (PARTITION BY req) AS idx, j AS payload,
             json_extract_string(j, [${paths}]) AS v
      FROM (
        SELECT list_position(${list}, filename) - 1 AS req, row_number() OVER () AS rn, j
        FROM read_json_objects(${list}, format='${fmt}', maximum_object_size=16777216, filename=true) t(j))
    ) s`;
}

/** A staged record's (alias `t`, its event type's row `types`) name: the product of a purchase, the `name` of anything else. */
const nameSql = (types: string) => `CASE WHEN ${types}.category = 'purchase' THEN t.product_id ELSE t.name END`;

const M = CURRENTS_MESSAGES;

/** A message that names a value, as SQL: its words with the column's value where the value goes. */
const textOf = (message: (value: string) => string, column: string) => message('\u0000').split('\u0000').map(literal).join(` || ${column} || `);

/** Records rejected one by one, with the reason naming the field: the rules of `readCurrentsRecord`
 * (`@brazen/analytics`), in their order, with their messages and time range. */
export const ERRORS_SQL = `CREATE OR REPLACE TEMP TABLE errs AS
  SELECT req, idx, message FROM (
    SELECT t.req, t.idx, CASE
      WHEN t.jt IS DISTINCT FROM 'OBJECT' THEN ${literal(M.notAnObject)}
      WHEN t.id IS NULL OR t.id = '' THEN ${literal(M.noId)}
      WHEN t.event_type IS NULL THEN ${literal(M.noEventType)}
      WHEN k.category IS NULL THEN ${textOf(M.unknownEventType, 't.event_type')}
      WHEN t.time IS NULL THEN ${literal(M.timeNotANumber)}
      WHEN NOT (t.time >= ${CURRENTS_TIME_RANGE.from} AND t.time < ${CURRENTS_TIME_RANGE.before}) THEN ${literal(M.timeOutOfRange)}
      WHEN coalesce(t.user_id, '') = '' AND coalesce(t.external_user_id, '') = '' THEN ${literal(M.noUser)}
      WHEN k.category = 'custom_event' AND t.name IS NULL THEN ${literal(M.noName)}
      WHEN k.category = 'purchase' AND t.product_id IS NULL THEN ${literal(M.noProductId)}
      WHEN k.category = 'purchase' AND t.price IS NULL THEN ${literal(M.priceNotANumber)}
      WHEN t.quantity_raw IS NOT NULL AND (t.quantity IS NULL OR t.quantity < 1) THEN ${literal(M.badQuantity)}
      WHEN k.category = 'purchase' AND r.usd IS NULL THEN ${textOf(M.noRate, 't.currency')}
    END AS message
    FROM typed t LEFT JOIN event_types k ON k.event_type = t.event_type
    LEFT JOIN rates r ON r.currency = coalesce(t.currency, 'USD'))
  WHERE message IS NOT NULL`;

/** Valid records to keep, with their category and the USD value of their currency: the first of
 * each id in the group, in request order. A narrow table (no payload copy). */
export const KEEP_SQL = `CREATE OR REPLACE TEMP TABLE keep AS
  SELECT t.req, t.idx, t.id, hash(t.id) AS id_hash,
         coalesce(t.user_id, '') AS bk, coalesce(t.external_user_id, '') AS ek, c.category, r.usd
  FROM typed t ANTI JOIN errs e ON e.req = t.req AND e.idx = t.idx
  JOIN event_types c ON c.event_type = t.event_type
  LEFT JOIN rates r ON r.currency = coalesce(t.currency, 'USD')
  QUALIFY row_number() OVER (PARTITION BY t.id ORDER BY t.req, t.idx) = 1`;

/** Per request: its records, the valid ones kept (first of their id in the group), and errors. */
export const GROUP_COUNTS_SQL = `SELECT r.req::INTEGER AS req, r.n::INTEGER AS records,
    coalesce(k.n, 0)::INTEGER AS kept
  FROM (SELECT req, count(*) AS n FROM typed GROUP BY req) r
  LEFT JOIN (SELECT req, count(*) AS n FROM keep GROUP BY req) k USING (req)`;

/**
 * Removing the ids of this batch already stored takes two steps, because the stored ids are many
 * (43M in the 1M-user demo) and a join reads every one of them. First the hashes of the batch's ids
 * that some stored record has (only the integer column is read); a new batch usually has none.
 */
export const STORED_HASHES_SQL = `SELECT DISTINCT e.id_hash::VARCHAR AS h FROM events e SEMI JOIN keep k ON k.id_hash = e.id_hash`;

/** Up to this many stored hashes are matched as a list of constants, which DuckDB checks while it
 * scans, reading the id only of the rows that pass; a batch sent again in whole is joined. */
export const STORED_HASHES_AS_LIST = 5_000;

/** Then the exact ids among the records with those hashes (a hash is shared by chance, an id is not). */
export function storedDuplicatesSql(hashes: readonly string[]): string {
  const among = hashes.length <= STORED_HASHES_AS_LIST ? hashes.map((h) => `${h}::UBIGINT`).join(', ') : 'SELECT id_hash FROM keep';
  return `DELETE FROM keep WHERE id IN (SELECT e.id FROM events e WHERE e.id_hash IN (${among}))`;
}

export const REFS_SQL = `CREATE OR REPLACE TEMP TABLE umap AS
  SELECT r.bk, r.ek, coalesce(b.uid, e.uid) AS uid, b.uid AS buid, e.uid AS euid
  FROM (SELECT DISTINCT bk, ek FROM keep) r
  LEFT JOIN (SELECT value, uid FROM identities WHERE kind = 'braze_id') b ON b.value = r.bk
  LEFT JOIN (SELECT value, uid FROM identities WHERE kind = 'external_id') e ON e.value = r.ek`;
// (No identity has the value '', so an absent id never matches; plain equality keeps it a hash join.)

/** The batch's new rows with every column of `events` (then the request's position in the group,
 * and the record's device id). The rollups read it many times, each only the columns it needs.
 * The currency's rate comes from `keep`: joined here, DuckDB built its hash table on this wide
 * side, payloads and all (80 ms of the statement's 350 for 100k records). */
export const INS_SQL = `CREATE OR REPLACE TEMP TABLE ins AS
  SELECT k.id, k.id_hash, t.event_type, k.category, t.time, m.uid, t.app_id, ${nameSql('k')} AS name, t.campaign_id,
         t.message_variation_id, t.canvas_id, t.canvas_variation_id, t.canvas_step_id, t.send_id,
         t.card_id, t.platform, t.price, t.currency, t.quantity,
         CASE WHEN k.category = 'purchase' THEN t.price * coalesce(t.quantity, 1) * k.usd END AS revenue,
         t.payload,
         k.req, t.device_id
  FROM keep k JOIN typed t ON t.req = k.req AND t.idx = k.idx
  JOIN umap m ON m.bk = k.bk AND m.ek = k.ek`;

export const EVENTS_FROM_INS_SQL = `INSERT INTO events
  SELECT * EXCLUDE (req, device_id) FROM ins`;

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

/**
 * Counter rows of `source` appended to `table` (`counters` by 15-minute bucket, `counter_days` by
 * local day): one per (slot, kind, name, app) and, through grouping sets, the totals over every
 * name and/or every app (marked `chr(1)`), so a series without a product or app filter reads one
 * row a slot instead of summing them all.
 */
export function countersSql(source: string, table: 'counters' | 'counter_days', zone: string): string {
  const slot = table === 'counters' ? 'floor(time / 900)::INTEGER' : dayOf('time', zone);
  return `INSERT INTO ${table}
  SELECT slot, kind,
         CASE WHEN grouping(nm) = 1 THEN chr(1) ELSE nm END,
         CASE WHEN grouping(app) = 1 THEN chr(1) ELSE app END,
         count(*), sum(coalesce(quantity, 1)), sum(coalesce(revenue, 0))
  FROM (
    SELECT ${slot} AS slot, kind,
           CASE WHEN kind IN ('custom_event', 'purchase') THEN name ELSE '' END AS nm,
           coalesce(app_id, '') AS app, quantity, revenue
    FROM (SELECT time, name, app_id, quantity, revenue, ${COUNTER_KIND_SQL} AS kind FROM ${source}) WHERE kind IS NOT NULL)
  GROUP BY GROUPING SETS ((slot, kind, nm, app), (slot, kind, nm), (slot, kind, app), (slot, kind))`;
}

/** Folds a counter log's deltas into one row a key, rewritten in slot order (the order reads prune by). */
export function compactCountersSql(table: 'counters' | 'counter_days'): string[] {
  const slot = table === 'counters' ? 'bucket' : 'day';
  return replaceTableSql(table, `SELECT ${slot}, kind, name, app_id, sum(n)::BIGINT AS n, sum(quantity)::BIGINT AS quantity, sum(revenue) AS revenue
       FROM ${table} GROUP BY ALL ORDER BY ${slot}, kind, name, app_id`);
}

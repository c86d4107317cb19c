import type { DuckDBConnection } from '@duckdb/node-api';
import { ENGAGEMENT_TYPES, conversionSpecs } from '@brazen/analytics';
import type {
  ConversionStatRow, MessageSource, MessageStatRow, MessageStatsQuery, ReceiptSpan, SeriesDays,
} from '../campaign-types.ts';
import type { Workspace } from '../types.ts';
import {
  COMBO_COLUMNS, COMBO_SQL, CONVERTS_SQL, RECEIPTS_FROM_ROWS, SCOPED_MSG, convDailySql, convEventsSql, matchesSql, msgRowsSql, sqlList,
} from './campaigns-sql.ts';
import { inTransaction, one, replaceTableSql, rows } from './sql.ts';

/**
 * Campaign, send and Canvas rollups, maintained at ingestion from the batch's `ins` table:
 * - `msg_daily`: events per local day, source, variation, channel and action, and distinct users
 *   for receipts and the unique counters; for every send (`scope` '') and per send id;
 * - `msg_users`: the distinct (key, day, user) rows behind those unique counts;
 * - `conv_receipts` and `conv_events`: the receipts and the events conversions can match, narrow
 *   copies of `events` that do not depend on definitions;
 * - `conv_matches`: per receipt and behaviour, the first matching event (and purchases credited
 *   to the receipt). Each batch recomputes the receipts it can change (its users', from its
 *   earliest time less the longest window); a change of behaviours or time zone recomputes all;
 * - `conv_daily`: conversions by conversion day and by receipt day, and revenue.
 *
 * `msg_daily` and `conv_daily` take one row of deltas per batch and key; `key` (a hash of source,
 * object and scope) keeps a series' rows together once a compaction has summed and sorted them,
 * so a query reads a row group or two plus the rows appended since (a log-structured layout).
 */
export const CAMPAIGN_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS msg_daily (
     key UBIGINT, src VARCHAR, obj VARCHAR, scope VARCHAR, day INTEGER, part VARCHAR, variation VARCHAR, channel VARCHAR,
     action VARCHAR, n BIGINT, u BIGINT, combo DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS msg_users (
     key UBIGINT, day INTEGER, part VARCHAR, variation VARCHAR, channel VARCHAR, action VARCHAR, uid INTEGER)`,
  `CREATE TABLE IF NOT EXISTS conv_receipts (
     src VARCHAR, obj VARCHAR, part VARCHAR, variation VARCHAR, channel VARCHAR, send VARCHAR, uid INTEGER, time DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS conv_events (
     eid UBIGINT, uid INTEGER, time DOUBLE, kind VARCHAR, name VARCHAR, app_id VARCHAR, obj VARCHAR, revenue DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS conv_matches (
     src VARCHAR, obj VARCHAR, part VARCHAR, variation VARCHAR, channel VARCHAR, send VARCHAR, uid INTEGER,
     idx INTEGER, receipt_time DOUBLE, time DOUBLE, revenue DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS conv_daily (
     key UBIGINT, src VARCHAR, obj VARCHAR, scope VARCHAR, day INTEGER, part VARCHAR, variation VARCHAR, channel VARCHAR,
     idx INTEGER, conv BIGINT, by_receipt BIGINT, revenue DOUBLE, combo DOUBLE)`,
];

const MSG_COLUMNS = 'src, obj, scope, day, part, variation, channel, action';
const USER_KEY = 'key, day, part, variation, channel, action, uid';

/** Creates the tables and the connection's lookup tables. */
export async function createCampaignTables(conn: DuckDBConnection): Promise<void> {
  for (const ddl of CAMPAIGN_SCHEMA) await conn.run(ddl);
  await addComboColumns(conn);
  await conn.run(`CREATE OR REPLACE TEMP TABLE msg_types (event_type VARCHAR, channel VARCHAR, action VARCHAR)`);
  const app = await conn.createAppender('msg_types', 'main', 'temp');
  const add = (eventType: string, channel: string, action: string) => {
    app.appendVarchar(eventType);
    app.appendVarchar(channel);
    app.appendVarchar(action);
    app.endRow();
  };
  for (const [eventType, t] of ENGAGEMENT_TYPES) add(eventType, t.channel, t.action);
  app.closeSync();
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE conv_defs (src VARCHAR, obj VARCHAR, idx INTEGER, kind VARCHAR, win DOUBLE, name VARCHAR, app_ids VARCHAR[])`,
  );
  await conn.run(`CREATE OR REPLACE TEMP TABLE conv_aff (uid INTEGER)`);
}

/** Rollups written before rows carried their `combo` get it once. */
async function addComboColumns(conn: DuckDBConnection): Promise<void> {
  for (const table of ['msg_daily', 'conv_daily'] as const) {
    const has = await one<{ n: number }>(
      conn,
      `SELECT count(*)::INTEGER AS n FROM duckdb_columns() WHERE database_name = current_database() AND table_name = '${table}' AND column_name = 'combo'`,
    );
    if ((has?.n ?? 0) > 0) continue;
    await inTransaction(conn, async () => {
      await conn.run(`ALTER TABLE ${table} ADD COLUMN combo DOUBLE`);
      await conn.run(`UPDATE ${table} SET combo = ${COMBO_SQL[table]}`);
    });
  }
}

type DefinitionRow = [string, string, number, string, number, string | null, string[] | null];

/** The conversion behaviours of every campaign and Canvas, in a stable order (for change detection). */
function definitionRows(ws: Workspace): DefinitionRow[] {
  const out: DefinitionRow[] = [];
  const add = (src: string, list: Array<Record<string, unknown>> | undefined) => {
    for (const obj of list ?? []) {
      for (const s of conversionSpecs(obj.conversion_behaviors)) out.push([src, String(obj.id), s.index, s.kind, s.window, s.name, s.appIds]);
    }
  };
  add('campaign', ws.campaigns);
  add('canvas', ws.canvases);
  const sortKey = (r: DefinitionRow) => `${r[0]}\u0000${r[1]}\u0000${r[2]}`;
  return out.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
}

/** Per connection (its temp table `conv_defs`): whether some campaign or Canvas has a conversion
 * behaviour. Without one, a batch that holds no message engagement changes no campaign rollup. */
const behaviours = new WeakMap<DuckDBConnection, boolean>();

/** Whether a batch of only custom events and purchases (a /users/track batch) has campaign rollups
 * to update: only conversions, and only when some behaviour is defined. */
export function convertsAnything(conn: DuckDBConnection): boolean {
  return behaviours.get(conn) ?? true;
}

async function loadDefinitions(conn: DuckDBConnection, defs: DefinitionRow[]): Promise<void> {
  behaviours.set(conn, defs.length > 0);
  await conn.run(`DELETE FROM conv_defs`);
  for (const [src, obj, idx, kind, win, name, appIds] of defs) {
    await conn.run(`INSERT INTO conv_defs VALUES ($src, $obj, $idx, $kind, $win, $name, ${appIds ? `[${sqlList(appIds)}]::VARCHAR[]` : 'NULL'})`, {
      src, obj, idx, kind, win, name,
    });
  }
}

/** Appends the message rollup rows of `msg_rows`: counts, then the users not counted before. */
async function insertMessageRollups(conn: DuckDBConnection): Promise<void> {
  const span = await one<{ lo: number | null; hi: number | null }>(conn, `SELECT min(day) AS lo, max(day) AS hi FROM msg_rows`);
  if (span?.lo == null || span.hi == null) return;
  await conn.run(`CREATE OR REPLACE TEMP TABLE msg_scoped AS SELECT hash(src, obj, scope) AS key, * FROM ${SCOPED_MSG}`);
  await conn.run(`INSERT INTO msg_daily SELECT key, ${MSG_COLUMNS}, count(*), 0, ${COMBO_SQL.msg_daily} FROM msg_scoped GROUP BY ALL`);
  // Literal day bounds let the scan of msg_users skip row groups of other days.
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE msg_new_users AS
     SELECT * FROM (SELECT DISTINCT key, ${MSG_COLUMNS}, uid FROM msg_scoped WHERE uniq) s
     ANTI JOIN (SELECT * FROM msg_users WHERE day BETWEEN ${Number(span.lo)} AND ${Number(span.hi)}) o USING (${USER_KEY})`,
  );
  await conn.run(`INSERT INTO msg_users SELECT ${USER_KEY} FROM msg_new_users`);
  await conn.run(`INSERT INTO msg_daily SELECT key, ${MSG_COLUMNS}, 0, count(*), ${COMBO_SQL.msg_daily} FROM msg_new_users GROUP BY ALL`);
  await conn.run(`DROP TABLE msg_scoped`);
}

/** Sums and sorts a delta table by key and day once enough rows were appended since the last time. */
async function compactIfGrown(conn: DuckDBConnection, table: 'msg_daily' | 'conv_daily', force = false): Promise<void> {
  const counts = await one<{ n: number; at: string | null }>(
    conn,
    `SELECT (SELECT count(*) FROM ${table})::DOUBLE AS n, (SELECT value FROM meta WHERE key = '${table}_compacted') AS at`,
  );
  const n = counts?.n ?? 0;
  const compacted = Number(counts?.at ?? 0);
  // Amortised: each compaction follows at least a tenth of the table's size in new rows.
  if (!force && n - compacted < Math.max(256, compacted / 10)) return;
  const sums = table === 'msg_daily' ? 'sum(n)::BIGINT AS n, sum(u)::BIGINT AS u' : 'sum(conv)::BIGINT AS conv, sum(by_receipt)::BIGINT AS by_receipt, sum(revenue) AS revenue';
  const zero = table === 'msg_daily' ? 'n <> 0 OR u <> 0' : 'conv <> 0 OR by_receipt <> 0 OR abs(revenue) > 1e-9';
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE compacted AS SELECT * FROM (SELECT * EXCLUDE (${table === 'msg_daily' ? 'n, u' : 'conv, by_receipt, revenue'}), ${sums}
     FROM ${table} GROUP BY ALL) WHERE ${zero}`,
  );
  await conn.run(`DELETE FROM ${table}`);
  await conn.run(`INSERT INTO ${table} BY NAME SELECT * FROM compacted ORDER BY key, day`);
  const after = await one<{ n: number }>(conn, `SELECT count(*)::DOUBLE AS n FROM ${table}`);
  await conn.run(`INSERT OR REPLACE INTO meta VALUES ('${table}_compacted', $n)`, { n: String(after?.n ?? 0) });
  await conn.run(`DROP TABLE compacted`);
}

/**
 * Updates every campaign rollup from the batch in `ins`. Runs inside the batch's transaction.
 * `messages`: the batch's records that may be message engagement, with their payloads (a query);
 * absent when the batch holds none (a /users/track batch): `msg_rows` is then only emptied, since
 * planning its query costs ~11 ms even over no rows.
 */
export async function updateCampaignRollups(
  conn: DuckDBConnection, zone: string, messages: string | undefined, sortAt = SORT_CONVERSIONS_AT,
): Promise<void> {
  const made = !messages && (await one(conn, `SELECT 1 FROM duckdb_tables() WHERE temporary AND table_name = 'msg_rows'`));
  if (made) {
    await conn.run(`DELETE FROM msg_rows`);
  } else {
    await conn.run(msgRowsSql(messages ?? `(SELECT COLUMNS(c -> c <> 'payload'), NULL::JSON AS payload FROM ins WHERE false)`, zone));
    await insertMessageRollups(conn);
    await conn.run(RECEIPTS_FROM_ROWS);
  }
  await conn.run(convEventsSql('ins'));
  await updateConversions(conn, zone);
  await compactIfGrown(conn, 'msg_daily');
  await compactIfGrown(conn, 'conv_daily');
  await sortIfGrown(conn, sortAt);
}

/** Rows a conversion table holds before it is first rewritten in time order (see sortIfGrown). */
export const SORT_CONVERSIONS_AT = 1_000_000;

/** The conversion tables a batch reads by time (`time >= its earliest time less the longest window`), and the column. */
const SORTED_BY_TIME = { conv_receipts: 'time', conv_events: 'time', conv_matches: 'receipt_time' } as const;
type SortedTable = keyof typeof SORTED_BY_TIME;

/**
 * Rewrites a conversion table in time order once it holds `sortAt` rows, and again whenever it has
 * doubled since: a batch's conversions read the rows from a little before its earliest time, which
 * the zone maps of a table in time order find in a few row groups. Records stored out of time order
 * (the demo stores a chunk of users at a time, over the whole period) otherwise leave every row group
 * to be read: 1.7 s a /users/track request on the 1M-user demo, 0.56 s once sorted.
 */
async function sortIfGrown(conn: DuckDBConnection, sortAt: number): Promise<void> {
  // DuckDB's row estimate (from the table's metadata; counting rows of a table with deletes reads
  // them: 23 ms a batch on the 1M-user demo) is close enough to tell when a table has doubled.
  const found = await rows<{ t: SortedTable; n: number; at: string | null }>(
    conn,
    `SELECT t.table_name AS t, t.estimated_size::DOUBLE AS n, m.value AS at
     FROM duckdb_tables() t LEFT JOIN meta m ON m.key = t.table_name || '_sorted'
     WHERE NOT t.temporary AND t.database_name = current_database() AND t.schema_name = 'main' AND t.table_name IN (${sqlList(Object.keys(SORTED_BY_TIME))})`,
  );
  for (const { t: table, n, at } of found) {
    if (n < sortAt || n < 2 * Number(at ?? 0)) continue;
    for (const sql of replaceTableSql(table, `SELECT * FROM ${table} ORDER BY ${SORTED_BY_TIME[table]}`)) await conn.run(sql);
    await conn.run(`INSERT OR REPLACE INTO meta VALUES ('${table}_sorted', $n)`, { n: String(n) });
  }
}

/** After a rebuild refills a table in the order of the events, its next batch sorts it again. */
async function forgetSorted(conn: DuckDBConnection, tables: SortedTable[]): Promise<void> {
  for (const table of tables) await conn.run(`DELETE FROM meta WHERE key = '${table}_sorted'`);
}

/**
 * Recomputes the conversions the batch can change: those of its users' receipts from its earliest
 * time less the longest window (an event at t can only convert receipts after t - window, and a
 * new receipt only takes purchases credited to receipts after that too).
 */
async function updateConversions(conn: DuckDBConnection, zone: string): Promise<void> {
  const longest = await one<{ win: number | null }>(conn, `SELECT max(win) AS win FROM conv_defs`);
  if (longest?.win == null) return; // no conversion behaviour: nothing to convert
  await conn.run(`DELETE FROM conv_aff`);
  await conn.run(
    `INSERT INTO conv_aff SELECT DISTINCT uid FROM (
       SELECT uid FROM msg_rows WHERE receipt OR channel = 'canvas'
       UNION ALL SELECT uid FROM ins WHERE ${CONVERTS_SQL})`,
  );
  const bounds = await one<{ t: number | null; win: number | null }>(
    conn,
    `SELECT (SELECT min(time) FROM (SELECT time FROM msg_rows WHERE receipt OR channel = 'canvas' UNION ALL SELECT time FROM ins)) AS t,
            (SELECT max(win) FROM conv_defs) AS win`,
  );
  if (bounds?.t == null || bounds.win == null) return;
  const from = Math.floor(bounds.t - bounds.win) - 1;
  const users = `uid IN (SELECT uid FROM conv_aff)`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE conv_old AS SELECT * FROM conv_matches WHERE receipt_time >= ${from} AND ${users}`);
  await conn.run(`DELETE FROM conv_matches WHERE receipt_time >= ${from} AND ${users}`);
  await conn.run(matchesSql(`time >= ${from} AND ${users}`, `time >= ${from} AND ${users}`));
  await conn.run(convDailySql('conv_old', -1, zone));
  await conn.run(convDailySql(`(SELECT * FROM conv_matches WHERE receipt_time >= ${from} AND ${users})`, 1, zone));
}

async function rebuildMessages(conn: DuckDBConnection, zone: string): Promise<void> {
  for (const table of ['msg_daily', 'msg_users', 'conv_receipts']) await conn.run(`DELETE FROM ${table}`);
  await conn.run(msgRowsSql('events', zone));
  await insertMessageRollups(conn);
  await conn.run(RECEIPTS_FROM_ROWS);
  await compactIfGrown(conn, 'msg_daily', true);
  await forgetSorted(conn, ['conv_receipts']);
}

async function rebuildConversions(conn: DuckDBConnection, zone: string): Promise<void> {
  // conv_events holds the kinds of events the behaviours name: other behaviours, other kinds.
  await conn.run(`DELETE FROM conv_events`);
  await conn.run(convEventsSql('events'));
  await forgetSorted(conn, ['conv_events']);
  await conn.run(`DELETE FROM conv_matches`);
  await conn.run(`DELETE FROM conv_daily`);
  await conn.run(matchesSql('true', 'true'));
  await conn.run(convDailySql('conv_matches', 1, zone));
  await compactIfGrown(conn, 'conv_daily', true);
  await forgetSorted(conn, ['conv_matches']);
}

/**
 * Brings the rollups in line with the workspace: on first use, after a time-zone change (days are
 * local) and after a change of conversion behaviours. Called at start-up and on every workspace put.
 */
export async function syncCampaignRollups(conn: DuckDBConnection, ws: Workspace, zone: string): Promise<void> {
  const defs = definitionRows(ws);
  await loadDefinitions(conn, defs);
  const meta = await rows<{ key: string; value: string }>(
    conn,
    `SELECT key, value FROM meta WHERE key IN ('campaign_zone', 'conversion_defs')`,
  );
  const stored = new Map(meta.map((m) => [m.key, m.value]));
  const defsText = JSON.stringify(defs);
  const zoneChanged = stored.get('campaign_zone') !== zone;
  const defsChanged = stored.get('conversion_defs') !== defsText;
  if (!zoneChanged && !defsChanged) return;
  await inTransaction(conn, async () => {
    if (zoneChanged) await rebuildMessages(conn, zone);
    await rebuildConversions(conn, zone);
    await conn.run(`INSERT OR REPLACE INTO meta VALUES ('campaign_zone', $zone), ('conversion_defs', $defs)`, {
      zone,
      defs: defsText,
    });
  });
}

// ---------------------------------------------------------------- queries

const keys = new Map<string, string>();

/** The rollups' `key` of a series, as a literal so that the scan can skip row groups by their statistics. */
async function seriesKey(conn: DuckDBConnection, q: MessageStatsQuery): Promise<string> {
  const id = JSON.stringify([q.src, q.obj, q.scope ?? '']);
  let key = keys.get(id);
  if (key === undefined) {
    const r = await one<{ k: string }>(conn, `SELECT hash($src, $obj, $scope)::VARCHAR AS k`, { src: q.src, obj: q.obj, scope: q.scope ?? '' });
    key = `${BigInt(r?.k ?? '0')}::UBIGINT`;
    if (keys.size > 10_000) keys.clear();
    keys.set(id, key);
  }
  return key;
}

/*
 * A series reads a few thousand rows whose text columns repeat a few combinations, and strings are
 * the slow part of a query (filtering and hashing them) and of bringing a result into JavaScript:
 * a query selects by `key` and day only and reads numbers, the combination as the row's stored
 * `combo` hash; the hashes are resolved through a dictionary filled on first sight, and a row whose
 * source, object or scope is not the query's (a `key` collision) is left out.
 */
/** combo → its source, object, scope and the table's COMBO_COLUMNS. */
const combos = new Map<number, { src: string; obj: string; scope: string; text: string[] }>();

/** The rows of each query (several series in one read: a Canvas and its steps), as column arrays
 * and the text combination of each row. */
async function comboRows(conn: DuckDBConnection, table: keyof typeof COMBO_COLUMNS, numbers: string[], queries: MessageStatsQuery[]) {
  const keys = await Promise.all(queries.map((q) => seriesKey(conn, q)));
  const from = Math.trunc(Math.min(...queries.map((q) => q.fromDay)));
  const to = Math.trunc(Math.max(...queries.map((q) => q.toDay)));
  const where = `key IN (${[...new Set(keys)].join(', ')}) AND day BETWEEN ${from} AND ${to}`;
  const reader = await conn.runAndReadAll(`SELECT combo, day, ${numbers.join(', ')} FROM ${table} WHERE ${where}`);
  const [hashes, days, ...columns] = (reader.currentRowCount === 0 ? [[], [], ...numbers.map(() => [])] : reader.getColumnsJS()) as number[][];
  if (hashes.some((h) => !combos.has(h))) {
    if (combos.size > 100_000) combos.clear();
    const found = await conn.runAndReadAll(`SELECT DISTINCT combo, src, obj, scope, ${COMBO_COLUMNS[table].join(', ')} FROM ${table} WHERE ${where}`);
    for (const [h, src, obj, sc, ...text] of found.getRowsJS() as Array<[number, ...string[]]>) combos.set(h, { src, obj, scope: sc, text });
  }
  const texts = hashes.map((h) => combos.get(h)!);
  return queries.map((q) => {
    const scope = q.scope ?? '';
    const mine: number[] = [];
    texts.forEach((c, i) => {
      // A row of another series under the same key (a hash collision), or of another query's days, is left out.
      if (c.src === q.src && c.obj === q.obj && c.scope === scope && days[i] >= q.fromDay && days[i] <= q.toDay) mine.push(i);
    });
    const combo = mine.map((i) => texts[i].text);
    if (mine.length === texts.length) return { combo, day: days, columns };
    return { combo, day: mine.map((i) => days[i]), columns: columns.map((col) => mine.map((i) => col[i])) };
  });
}

export async function messageStats(conn: DuckDBConnection, queries: MessageStatsQuery[]): Promise<MessageStatRow[][]> {
  const found = await comboRows(conn, 'msg_daily', ['n::DOUBLE', 'u::DOUBLE'], queries);
  return found.map(({ combo, day, columns: [n, u] }) =>
    combo.map(([part, variation, channel, action], i) => ({ day: day[i], part, variation, channel, action, n: n[i], u: u[i] })));
}

export async function conversionStats(conn: DuckDBConnection, queries: MessageStatsQuery[]): Promise<ConversionStatRow[][]> {
  const found = await comboRows(conn, 'conv_daily', ['idx::DOUBLE', 'conv::DOUBLE', 'by_receipt::DOUBLE', 'revenue'], queries);
  return found.map(({ combo, day, columns: [idx, conv, byReceipt, revenue] }) =>
    combo.map(([part, variation, channel], i) => ({
      day: day[i], part, variation, channel, idx: idx[i], conversions: conv[i], byReceipt: byReceipt[i], revenue: revenue[i],
    })));
}

/** First and last receipt of a campaign or Canvas (entries), optionally of one send. */
export async function receiptSpan(conn: DuckDBConnection, src: MessageSource, obj: string, send?: string): Promise<ReceiptSpan> {
  const r = await one<{ first: number | null; last: number | null }>(
    conn,
    `SELECT min(time) AS first, max(time) AS last FROM conv_receipts
     WHERE src = $src AND obj = $obj AND ($send IS NULL OR send = $send)`,
    { src, obj, send: send ?? null },
  );
  return { first: r?.first ?? null, last: r?.last ?? null };
}

/** First and last day of a series in `msg_daily` (its rows are found by key, like a series' own). */
export async function seriesDays(conn: DuckDBConnection, src: MessageSource, obj: string, scope: string): Promise<SeriesDays> {
  const key = await seriesKey(conn, { src, obj, scope, fromDay: 0, toDay: 0 });
  const r = await one<{ first: number | null; last: number | null }>(
    conn,
    `SELECT min(day) AS first, max(day) AS last FROM msg_daily WHERE key = ${key} AND src = $src AND obj = $obj AND scope = $scope`,
    { src, obj, scope },
  );
  return { first: r?.first ?? null, last: r?.last ?? null };
}

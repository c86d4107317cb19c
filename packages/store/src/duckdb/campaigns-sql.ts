import {
  ACTION_REFINEMENTS, CANVAS_CHANNEL, CONTROL_CHANNEL, CONVERSION_KIND_OF_CATEGORY, CONVERSION_KIND_OF_EVENT_TYPE, DEFAULT_RECEIPT_ACTION,
  MACHINE_OPEN, PUSH_CHANNELS, PUSH_SUFFIX, RECEIPT_ACTION, RECIPIENTS, SERIES_CHANNEL, STEP_VARIATION_FIELD, UNIQUE_ACTIONS,
  SAME_MESSAGE_KINDS, UNKNOWN_PLATFORM, type FieldTest,
} from '@brazen/analytics';
import { literal } from './sql.ts';

/** SQL that turns stored events into the rows of the campaign rollups (see campaigns.ts). */

/** Local day number of an epoch-seconds column in the workspace zone. */
export const dayOf = (column: string, zone: string) =>
  UTC_ZONES.has(zone)
    ? `floor(${column} / 86400)::INTEGER` // no time-zone lookup per row when there is nothing to look up
    : `((to_timestamp(${column}) AT TIME ZONE ${literal(zone)})::DATE - DATE '1970-01-01')::INTEGER`;

const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Universal', 'Zulu', 'Etc/Zulu']);

/**
 * `combo`: a 52-bit hash (exact in a DOUBLE) of a row's text columns (src, obj, scope and these), stored with the row so that a
 * series reads numbers only and resolves the texts through a dictionary (see `comboRows`).
 */
export const COMBO_COLUMNS = {
  msg_daily: ['part', 'variation', 'channel', 'action'],
  conv_daily: ['part', 'variation', 'channel'],
} as const;
const comboSql = (table: keyof typeof COMBO_COLUMNS) => `(hash(src, obj, scope, ${COMBO_COLUMNS[table].join(', ')}) >> 12)::DOUBLE`;
export const COMBO_SQL = { msg_daily: comboSql('msg_daily'), conv_daily: comboSql('conv_daily') } as const;

export const sqlList = (values: Iterable<string>): string => [...values].map(literal).join(', ');

/** Channel of an event (analytics' `seriesChannel`): push by platform, the rest from the catalogue. */
function channelSql(): string {
  const push = Object.entries(PUSH_CHANNELS).map(([p, c]) => `WHEN ${literal(p)} THEN ${literal(c)}`).join(' ');
  const renamed = Object.entries(SERIES_CHANNEL).map(([from, to]) => `WHEN ${literal(from)} THEN ${literal(to)}`).join(' ');
  return `CASE WHEN t.channel = 'push' THEN CASE lower(e.platform) ${push}
      ELSE coalesce(lower(e.platform), ${literal(UNKNOWN_PLATFORM)}) || ${literal(PUSH_SUFFIX)} END
    ELSE CASE t.channel ${renamed} ELSE t.channel END END`;
}

/** A record's field as text (analytics' `payloadText`). */
const fieldSql = (field: string) => `json_extract_string(e.payload, ${literal('$.' + field)})`;

/** analytics' `passes`. */
function testSql(text: string, test: FieldTest): string {
  switch (test.kind) {
    case 'present': return `${text} IS NOT NULL`;
    case 'in': return `${text} IN (${sqlList(test.values)})`;
    case 'equals': return `${text} = ${literal(test.value)}`;
    case 'keyword': return `upper(trim(${text})) = ${literal(test.value)}`;
  }
}

/** Action of an event, refined where one event type feeds several counters (analytics' `refinedAction`). */
function actionSql(): string {
  const whens = ACTION_REFINEMENTS.map((r) => {
    const text = fieldSql(r.field);
    const becomes = r.appendValue ? `${literal(r.becomes)} || ${text}` : literal(r.becomes);
    return `WHEN t.channel = ${literal(r.channel)} AND t.action = ${literal(r.action)} AND ${testSql(text, r.test)} THEN ${becomes}`;
  });
  return `CASE ${whens.join('\n    ')} ELSE t.action END`;
}

/** analytics' `isMachineOpen`. */
const MACHINE_OPEN_SQL = `t.channel = ${literal(MACHINE_OPEN.channel)} AND t.action = ${literal(MACHINE_OPEN.action)}
  AND coalesce(${testSql(fieldSql(MACHINE_OPEN.field), MACHINE_OPEN.test)}, false)`;

/** analytics' `isReceipt`. */
function receiptSql(): string {
  const special = Object.entries(RECEIPT_ACTION).map(([c, a]) => `(channel = ${literal(c)} AND action = ${literal(a)})`);
  return `(${special.join(' OR ')} OR (channel NOT IN (${sqlList([...Object.keys(RECEIPT_ACTION), CANVAS_CHANNEL])}) AND action = ${literal(DEFAULT_RECEIPT_ACTION)}))`;
}

function uniqueSql(): string {
  return `(${receiptSql()} OR ${UNIQUE_ACTIONS.map(([c, a]) => `(channel = ${literal(c)} AND action = ${literal(a)})`).join(' OR ')})`;
}

/**
 * Engagement rows of `source` (`ins` or `events`), one per event and source, keyed for the rollups:
 * analytics' `engagementRows` in SQL. Creates the temp table `msg_rows`.
 */
export function msgRowsSql(source: string, zone: string): string {
  return `CREATE OR REPLACE TEMP TABLE msg_rows AS
    WITH m AS (
      SELECT ${dayOf('e.time', zone)} AS day, e.time, e.uid, e.campaign_id, e.message_variation_id, e.canvas_id,
             e.canvas_variation_id, e.canvas_step_id, e.send_id,
             ${channelSql()} AS channel, ${actionSql()} AS action,
             ${MACHINE_OPEN_SQL} AS machine_open,
             CASE WHEN e.canvas_id IS NOT NULL AND e.canvas_step_id IS NOT NULL THEN ${fieldSql(STEP_VARIATION_FIELD)} END AS step_variation
      FROM ${source} e JOIN msg_types t ON t.event_type = e.event_type),
    sourced AS (
      SELECT 'campaign' AS src, campaign_id AS obj, '' AS part, coalesce(message_variation_id, '') AS variation,
             coalesce(send_id, '') AS send, day, time, uid, channel, action, machine_open
      FROM m WHERE campaign_id IS NOT NULL AND channel <> ${literal(CANVAS_CHANNEL)}
      UNION ALL
      SELECT 'step', canvas_id, canvas_step_id, coalesce(step_variation, message_variation_id, ''), '', day, time, uid, channel, action,
             machine_open
      FROM m WHERE canvas_id IS NOT NULL AND canvas_step_id IS NOT NULL AND channel <> ${literal(CANVAS_CHANNEL)}
      UNION ALL
      SELECT 'canvas', canvas_id, '', coalesce(canvas_variation_id, ''), '', day, time, uid, channel, action, false
      FROM m WHERE canvas_id IS NOT NULL AND channel = ${literal(CANVAS_CHANNEL)}),
    keyed AS (
      SELECT src, obj, part, variation, send, day, time, uid, channel,
             unnest(CASE WHEN machine_open THEN [action, ${literal(MACHINE_OPEN.adds)}] ELSE [action] END) AS action
      FROM sourced)
    SELECT *, ${receiptSql()} AS receipt, ${uniqueSql()} AS uniq FROM keyed`;
}

const RECIPIENTS_SQL = `${literal(RECIPIENTS.channel)}, ${literal(RECIPIENTS.action)}`;

/** `msg_rows` spread over the scopes: every send (''), and the row's own send id. */
export const SCOPED_MSG = `(
    SELECT src, obj, '' AS scope, day, part, variation, channel, action, uid, uniq FROM msg_rows
    UNION ALL
    SELECT src, obj, send, day, part, variation, channel, action, uid, uniq FROM msg_rows WHERE src = 'campaign' AND send <> ''
    UNION ALL
    SELECT src, obj, '', day, '', '', ${RECIPIENTS_SQL}, uid, true FROM msg_rows
    WHERE src = 'campaign' AND receipt AND channel <> ${literal(CONTROL_CHANNEL)}
    UNION ALL
    SELECT src, obj, send, day, '', '', ${RECIPIENTS_SQL}, uid, true FROM msg_rows
    WHERE src = 'campaign' AND receipt AND channel <> ${literal(CONTROL_CHANNEL)} AND send <> '')`;

/** Conversion kind of an event (analytics' `conversionKind`). */
const CONVERSION_KIND_SQL = `CASE
    ${Object.entries(CONVERSION_KIND_OF_CATEGORY).map(([c, k]) => `WHEN category = ${literal(c)} THEN ${literal(k)}`).join('\n    ')}
    ${Object.entries(CONVERSION_KIND_OF_EVENT_TYPE).map(([t, k]) => `WHEN event_type = ${literal(t)} THEN ${literal(k)}`).join('\n    ')} END`;

/** Whether a stored event (of `ins`) can convert a receipt. */
export const CONVERTS_SQL = `(category IN (${sqlList(Object.keys(CONVERSION_KIND_OF_CATEGORY))})
  OR event_type IN (${sqlList(Object.keys(CONVERSION_KIND_OF_EVENT_TYPE))}))`;

/** Events conversions can match, from `source`: of the kinds some conversion behaviour names (a
 * change of behaviours refills the table from `events`). */
export function convEventsSql(source: string): string {
  return `INSERT INTO conv_events
    SELECT * FROM (
      SELECT id_hash, uid, time, ${CONVERSION_KIND_SQL} AS kind, name, app_id, coalesce(campaign_id, canvas_id) AS obj, revenue
      FROM ${source}) WHERE kind IN (SELECT kind FROM conv_defs)`;
}

/** Receipts and conversion events of `msg_rows` and `source` for the narrow conversion tables. */
export const RECEIPTS_FROM_ROWS = `INSERT INTO conv_receipts
  SELECT src, obj, part, variation, channel, send, uid, time FROM msg_rows WHERE receipt OR channel = 'canvas'`;

/**
 * First matching event per receipt and behaviour, and purchases credited to the latest receipt,
 * for the receipts passing `receipts` and the events passing `events` (SQL conditions).
 */
export function matchesSql(receipts: string, events: string): string {
  return `INSERT INTO conv_matches
    WITH r AS (SELECT * FROM conv_receipts WHERE ${receipts}),
    rd AS (
      SELECT r.*, d.idx, d.kind, d.win, d.name AS dname, d.app_ids
      FROM r JOIN conv_defs d ON d.obj = r.obj AND d.src = CASE WHEN r.src = 'step' THEN 'canvas' ELSE r.src END),
    e AS (SELECT * FROM conv_events WHERE ${events})
    SELECT rd.src, rd.obj, rd.part, rd.variation, rd.channel, rd.send, rd.uid, rd.idx, rd.time, min(e.time), NULL
    FROM rd JOIN e ON e.uid = rd.uid AND e.kind = rd.kind AND e.time >= rd.time AND e.time <= rd.time + rd.win
      AND (rd.dname IS NULL OR e.name = rd.dname)
      AND (rd.app_ids IS NULL OR list_contains(rd.app_ids, e.app_id))
      AND (rd.kind NOT IN (${sqlList(SAME_MESSAGE_KINDS)}) OR e.obj = rd.obj)
    GROUP BY ALL
    UNION ALL
    SELECT src, obj, part, variation, channel, send, uid, -1, rtime, time, revenue FROM (
      SELECT rd.src, rd.obj, rd.part, rd.variation, rd.channel, rd.send, rd.uid, rd.time AS rtime, e.time, e.revenue,
             row_number() OVER (PARTITION BY rd.src, rd.obj, rd.part, e.eid ORDER BY rd.time DESC, rd.variation, rd.channel, rd.send) AS k
      FROM rd JOIN e ON e.uid = rd.uid AND e.kind = 'purchase' AND rd.idx = 0
        AND e.time >= rd.time AND e.time <= rd.time + rd.win)
    WHERE k = 1`;
}

/** Rows appended to `conv_daily` for the matches of `source`, counted with `sign` (1 or -1). */
export function convDailySql(source: string, sign: number, zone: string): string {
  const parts = (scope: string, where: string) => `
    SELECT src, obj, ${scope} AS scope, ${dayOf('time', zone)} AS day, part, variation, channel, idx,
           CASE WHEN idx >= 0 THEN ${sign} ELSE 0 END AS conv, 0 AS by_receipt, ${sign} * coalesce(revenue, 0) AS revenue
    FROM ${source} WHERE ${where}
    UNION ALL
    SELECT src, obj, ${scope}, ${dayOf('receipt_time', zone)}, part, variation, channel, idx, 0, ${sign}, 0
    FROM ${source} WHERE idx >= 0 AND ${where}`;
  return `INSERT INTO conv_daily
    SELECT hash(src, obj, scope), src, obj, scope, day, part, variation, channel, idx, sum(conv), sum(by_receipt), sum(revenue),
           ${COMBO_SQL.conv_daily}
    FROM (${parts("''", 'true')} UNION ALL ${parts('send', "send <> ''")})
    GROUP BY ALL`;
}

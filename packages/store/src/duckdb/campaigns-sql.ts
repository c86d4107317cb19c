import {
  CONTROL_CHANNEL, PUSH_CHANNELS, RECEIPT_ACTION, SERIES_CHANNEL, UNIQUE_ACTIONS,
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

export const sqlList = (values: Iterable<string>) => [...values].map(literal).join(', ');

/** Channel of an event: push by platform, the rest from the catalogue. */
function channelSql(): string {
  const push = Object.entries(PUSH_CHANNELS).map(([p, c]) => `WHEN ${literal(p)} THEN ${literal(c)}`).join(' ');
  const renamed = Object.entries(SERIES_CHANNEL).map(([from, to]) => `WHEN ${literal(from)} THEN ${literal(to)}`).join(' ');
  return `CASE WHEN t.channel = 'push' THEN CASE lower(e.platform) ${push} ELSE coalesce(lower(e.platform), 'unknown') || '_push' END
    ELSE CASE t.channel ${renamed} ELSE t.channel END END`;
}

/** Action of an event, refined where one event type feeds several counters. */
const ACTION_SQL = `CASE
    WHEN t.channel = 'push' AND t.action = 'open' AND json_extract_string(e.payload, '$.button_string') IS NOT NULL THEN 'open_button'
    WHEN t.channel = 'in_app_message' AND t.action = 'click' AND json_extract_string(e.payload, '$.button_id') IN ('0', '1')
      THEN 'button_' || json_extract_string(e.payload, '$.button_id')
    WHEN t.channel = 'sms' AND t.action = 'inbound_receive' THEN CASE
      WHEN json_extract_string(e.payload, '$.action') = 'Unsubscribed' THEN 'opt_out'
      WHEN upper(trim(json_extract_string(e.payload, '$.message_body'))) = 'HELP' THEN 'help'
      ELSE 'inbound_receive' END
    ELSE t.action END`;

function receiptSql(): string {
  const special = Object.entries(RECEIPT_ACTION).map(([c, a]) => `(channel = ${literal(c)} AND action = ${literal(a)})`);
  return `(${special.join(' OR ')} OR (channel NOT IN (${sqlList(Object.keys(RECEIPT_ACTION))}, 'canvas') AND action = 'send'))`;
}

function uniqueSql(): string {
  return `(${receiptSql()} OR ${UNIQUE_ACTIONS.map(([c, a]) => `(channel = ${literal(c)} AND action = ${literal(a)})`).join(' OR ')})`;
}

/**
 * Engagement rows of `source` (`ins` or `events`), one per event and source, keyed for the rollups.
 * Creates the temp table `msg_rows`.
 */
export function msgRowsSql(source: string, zone: string): string {
  return `CREATE OR REPLACE TEMP TABLE msg_rows AS
    WITH m AS (
      SELECT ${dayOf('e.time', zone)} AS day, e.time, e.uid, e.campaign_id, e.message_variation_id, e.canvas_id,
             e.canvas_variation_id, e.canvas_step_id, e.send_id,
             ${channelSql()} AS channel, ${ACTION_SQL} AS action, t.channel AS cat_channel,
             CASE WHEN t.channel = 'email' AND t.action = 'open' THEN json_extract_string(e.payload, '$.machine_open') = 'true' END AS machine_open,
             CASE WHEN e.canvas_id IS NOT NULL AND e.canvas_step_id IS NOT NULL
               THEN json_extract_string(e.payload, '$.canvas_step_message_variation_id') END AS step_variation
      FROM ${source} e JOIN msg_types t ON t.event_type = e.event_type),
    keyed AS (
      SELECT 'campaign' AS src, campaign_id AS obj, '' AS part, coalesce(message_variation_id, '') AS variation,
             coalesce(send_id, '') AS send, day, time, uid, channel, action
      FROM m WHERE campaign_id IS NOT NULL AND channel <> 'canvas'
      UNION ALL
      SELECT 'campaign', campaign_id, '', coalesce(message_variation_id, ''), coalesce(send_id, ''), day, time, uid,
             'email', 'machine_open'
      FROM m WHERE campaign_id IS NOT NULL AND channel = 'email' AND action = 'open' AND machine_open
      UNION ALL
      SELECT 'step', canvas_id, canvas_step_id,
             coalesce(step_variation, message_variation_id, ''),
             '', day, time, uid, channel, action
      FROM m WHERE canvas_id IS NOT NULL AND canvas_step_id IS NOT NULL AND channel <> 'canvas'
      UNION ALL
      SELECT 'canvas', canvas_id, '', coalesce(canvas_variation_id, ''), '', day, time, uid, channel, action
      FROM m WHERE canvas_id IS NOT NULL AND channel = 'canvas')
    SELECT *, ${receiptSql()} AS receipt, ${uniqueSql()} AS uniq FROM keyed`;
}

/** `msg_rows` spread over the scopes: every send (''), and the row's own send id. */
export const SCOPED_MSG = `(
    SELECT src, obj, '' AS scope, day, part, variation, channel, action, uid, uniq FROM msg_rows
    UNION ALL
    SELECT src, obj, send, day, part, variation, channel, action, uid, uniq FROM msg_rows WHERE src = 'campaign' AND send <> ''
    UNION ALL
    SELECT src, obj, '', day, '', '', '', 'recipient', uid, true FROM msg_rows
    WHERE src = 'campaign' AND receipt AND channel <> ${literal(CONTROL_CHANNEL)}
    UNION ALL
    SELECT src, obj, send, day, '', '', '', 'recipient', uid, true FROM msg_rows
    WHERE src = 'campaign' AND receipt AND channel <> ${literal(CONTROL_CHANNEL)} AND send <> '')`;

/** Events conversions can match, from `source`. */
export function convEventsSql(source: string): string {
  return `INSERT INTO conv_events
    SELECT * FROM (
      SELECT id_hash, uid, time, CASE
          WHEN category = 'purchase' THEN 'purchase'
          WHEN category = 'custom_event' THEN 'custom_event'
          WHEN category = 'session_start' THEN 'session'
          WHEN event_type = 'users.behaviors.UpgradedApp' THEN 'upgrade'
          WHEN event_type = 'users.messages.email.Click' THEN 'email_click'
          WHEN event_type = 'users.messages.email.Open' THEN 'email_open' END AS kind,
        name, app_id, coalesce(campaign_id, canvas_id) AS obj, revenue
      FROM ${source}) WHERE kind IS NOT NULL`;
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
      AND (rd.kind NOT IN ('email_click', 'email_open') OR e.obj = rd.obj)
    GROUP BY ALL
    UNION ALL
    SELECT src, obj, part, variation, channel, send, uid, -1, rtime, time, revenue FROM (
      SELECT rd.src, rd.obj, rd.part, rd.variation, rd.channel, rd.send, rd.uid, rd.time AS rtime, e.time, e.revenue,
             row_number() OVER (PARTITION BY rd.src, rd.obj, rd.part, e.eid ORDER BY rd.time DESC, rd.variation, rd.channel) AS k
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

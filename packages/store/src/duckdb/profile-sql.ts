import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { PROFILE_EVENT_TYPES, RECEIVED_EVENT_TYPES, STANDARD_ATTRIBUTES, TOP_LEVEL_ATTRIBUTES, workspaceNames } from '@brazen/analytics';
import { USER_EXPORT_FIELDS } from '@brazen/contract';
import type { Workspace } from '../types.ts';
import { randomBucketSql } from './segment-sql.ts';
import { literal, rows } from './sql.ts';

/**
 * User export objects (the seed's "Sample User Export File Output") built in SQL, one JSON text per
 * user, with the least data possible: a field without a value, a false flag and an empty list are
 * left out. Sources: `users` and `identities` (ids, aliases), the `attributes` history (current
 * values), and the `events` (custom events, purchases, sessions by app, devices, push tokens,
 * campaigns and Canvases received, News Feed cards clicked).
 */

const TYPE = PROFILE_EVENT_TYPES;

const iso = (t: string) => `strftime(make_timestamp((${t} * 1000000)::BIGINT), '%Y-%m-%dT%H:%M:%S.%gZ')`;
const str = (v: string) => `to_json(${v})::VARCHAR`;
/** `"key":value` when the value is not null. */
const field = (key: string, json: string) => `CASE WHEN (${json}) IS NOT NULL THEN '"${key}":' || (${json}) END`;
const dateField = (key: string, t: string) => `CASE WHEN (${t}) IS NOT NULL THEN '"${key}":"' || ${iso(t)} || '"' END`;
const trueField = (key: string, flag: string) => `CASE WHEN coalesce(${flag}, false) THEN '"${key}":true' END`;
const object = (...parts: string[]) => `'{' || concat_ws(',', ${parts.join(', ')}) || '}'`;
/** A JSON array of the items of a group, in the order of their text (an ordered aggregate is far
 * slower than sorting each small list); null when the group has none. */
const array = (item: string, filter = '') =>
  `'[' || nullif(array_to_string(list_sort(list(${item})${filter ? ` FILTER (WHERE ${filter})` : ''}), ','), '') || ']'`;
const inList = (values: readonly string[]) => values.map(literal).join(', ');

export async function loadNames(conn: DuckDBConnection, ws: Workspace): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE ws_names (kind VARCHAR, id VARCHAR, name VARCHAR)`);
  const app = await conn.createAppender('ws_names', 'main', 'temp');
  for (const [kind, id, name] of workspaceNames(ws)) {
    app.appendVarchar(kind);
    app.appendVarchar(id);
    app.appendVarchar(name);
    app.endRow();
  }
  app.closeSync();
}

/** A name: the workspace's (no uid), else the one the user's records carry (Currents records name what
 * they concern; see \`names\`). */
const nameJoin = (alias: string, kind: string, idColumn: string, uidColumn: string) =>
  `LEFT JOIN names ${alias} ON ${alias}.kind = '${kind}' AND ${alias}.id = ${idColumn} AND (${alias}.nuid IS NULL OR ${alias}.nuid = ${uidColumn})`;

const ATTRIBUTE_FIELDS = new Set([...TOP_LEVEL_ATTRIBUTES, 'last_coordinates', 'custom_attributes']);
const EVENT_NAMES: Record<string, { column: string; payloadField: string; fields: string[] }> = {
  campaign: { column: 'campaign_id', payloadField: 'campaign_name', fields: ['campaigns_received'] },
  variation: { column: 'message_variation_id', payloadField: 'message_variation_name', fields: ['campaigns_received'] },
  canvas: { column: 'canvas_id', payloadField: 'canvas_name', fields: ['canvases_received'] },
  canvas_variation: { column: 'canvas_variation_id', payloadField: 'canvas_variation_name', fields: ['canvases_received'] },
  canvas_step: { column: 'canvas_step_id', payloadField: 'canvas_step_name', fields: ['canvases_received'] },
};

/** The SELECT of `(ord, line)` for the members relation `m(uid, ord)` (a table, or the query
 * `members`): only what the fields need. */
export function profileSql(fields: ReadonlySet<string>, customAttributes?: readonly string[], members?: string, uids?: readonly number[]): string {
  const { steps, select } = profileSteps(fields, customAttributes, members, uids);
  return `${withSteps(steps)}\n${select}`;
}

/** The WITH clause of the profile query's parts. */
const withSteps = (steps: ProfileStep[]) => `WITH ${steps.map((s) => `${s.name} AS ${s.materialized ? 'MATERIALIZED ' : ''}(${s.sql})`).join(',\n')}`;

/** The SELECT of `(uid, <field>...)`: each field's `"key":value` text (NULL when left out) for the
 * members relation `m(uid)`. */
export function profilePartsSql(fields: readonly string[], members: string): string {
  const { steps, parts, from } = profileSteps(new Set(fields), undefined, members);
  return `${withSteps(steps)}\n    SELECT m.uid, ${fields.map((f) => `${parts[f]} AS "${f}"`).join(', ')} ${from}`;
}

/**
 * Kept profiles: every user's export object as its parts, one column per field holding the
 * field's `"key":value` text (NULL when the field is left out), so that an export concatenates the
 * fields asked for instead of computing each user from the events. `profile_stale` names users
 * whose data changed since their parts were computed; a user without parts has none kept yet.
 */
export const KEPT_FIELDS: readonly string[] = USER_EXPORT_FIELDS;

/** A JSON object of the fields, in their order, from kept parts `p`. */
export const partsObject = (fields: readonly string[]) => (fields.length > 0 ? `'{' || concat_ws(',', ${fields.map((f) => `p."${f}"`).join(', ')}) || '}'` : `'{}'`);

/** The whole kept profile, every field in the standard order: the text of a profile line. */
export const FULL_LINE_SQL = partsObject(KEPT_FIELDS);

/**
 * Kept profiles are also written whole, as lines of NDJSON files in the store's `profiles/` folder
 * (one file a refresh batch, `N.ndjson`), which `profile_lines` points into: a profile line is
 * where `uid`'s current line starts (`pos`) and its length in bytes without its newline (`len`).
 * An export of every field streams these lines, in member order, from the files: that reads no
 * table of profile text into DuckDB's buffer pool, and copies the bytes as they are.
 * `profile_files` counts the lines each file was written with; a file none of whose lines is
 * current any more is deleted.
 */
export const KEPT_PROFILES_DDL = [
  `CREATE TABLE IF NOT EXISTS profile_parts (uid INTEGER, ${KEPT_FIELDS.map((f) => `"${f}" VARCHAR`).join(', ')})`,
  `CREATE TABLE IF NOT EXISTS profile_stale (uid INTEGER)`,
  `CREATE TABLE IF NOT EXISTS profile_lines (uid INTEGER, file INTEGER, pos BIGINT, len INTEGER)`,
  `CREATE TABLE IF NOT EXISTS profile_files (file INTEGER, lines INTEGER)`,
];

/** The name of profile line file `file` in the profiles folder. */
export const profileFileName = (file: number) => `${file}.ndjson`;

/** Whether `fields` are every kept field in the standard order (what a profile line holds). */
export const isFullLine = (fields: readonly string[]) => fields.length === KEPT_FIELDS.length && fields.every((f, i) => f === KEPT_FIELDS[i]);

/** A fingerprint of the code that computes the parts: parts kept by other code are computed again. */
export const keptProfilesLayout = (): string =>
  createHash('sha256')
    .update([...KEPT_PROFILES_DDL, profilePartsSql(KEPT_FIELDS, 'SELECT uid FROM m0')].join('\n'))
    .digest('hex')
    .slice(0, 16);

/** Users (of the relation `candidates(uid)`) whose kept parts are missing or stale. */
export const keptProfilesDueSql = (candidates: string) =>
  `SELECT c.uid FROM (${candidates}) c ANTI JOIN profile_parts p ON p.uid = c.uid
   UNION SELECT c.uid FROM (${candidates}) c SEMI JOIN profile_stale s ON s.uid = c.uid`;

/** A part of the profile query: a relation the final SELECT (or a later part) reads. */
interface ProfileStep {
  name: string;
  sql: string;
  /** Read by several later parts (computed once). */
  materialized: boolean;
}

/** The parts of the profile query, in order, and the final SELECT of `(ord, line)` reading them. */
function profileSteps(
  fields: ReadonlySet<string>, customAttributes?: readonly string[], members?: string, uids?: readonly number[],
): { steps: ProfileStep[]; select: string; parts: Record<string, string>; from: string } {
  const want = (...f: string[]) => f.some((x) => fields.has(x));
  // A few members named as constants as well: DuckDB then filters each table as it scans it and
  // reads the other columns (a payload above all) only where a member's rows are, instead of
  // reading every row for the join to keep a few.
  const only = (alias: string, keyword: 'WHERE' | 'AND') => (uids && uids.length > 0 ? ` ${keyword} ${alias}.uid IN (${uids.join(', ')})` : '');
  const receipt = inList(RECEIVED_EVENT_TYPES);
  const needPayload = want('devices', 'push_tokens', 'canvases_received');
  const ctes: ProfileStep[] = members ? [{ name: 'm', sql: members, materialized: true }] : [];
  const joins: string[] = [];
  const join = (name: string, cte: string) => {
    ctes.push({ name, sql: cte, materialized: false });
    joins.push(`LEFT JOIN ${name} ON ${name}.uid = m.uid`);
  };
  ctes.push({ name: 'ev', materialized: true, sql: `SELECT e.uid, e.category, e.event_type, e.name, e.time, e.app_id, e.campaign_id,
       e.message_variation_id, e.canvas_id, e.canvas_variation_id, e.canvas_step_id, e.card_id, e.platform, e.revenue,
       ${needPayload ? `CASE WHEN e.category IN ('session_start', 'canvas_entry') OR e.event_type = '${TYPE.token}' THEN e.payload END` : 'NULL::JSON'} AS payload
     FROM events e SEMI JOIN m ON e.uid = m.uid${only('e', 'WHERE')}` });
  // Names of what the workspace does not define, from each user's records: the name the latest record
  // that carries one gives (the first recorded among equal times; \`namer\` of analytics' profiles).
  // Which ids those are comes from \`ev\` first: when the workspace defines them all, as it should,
  // no payload is read at all.
  const fromEvents = Object.entries(EVENT_NAMES).filter(([, n]) => want(...n.fields)).map(([kind, n]) =>
    `SELECT '${kind}' AS kind, e.${n.column} AS id, e.uid AS nuid, arg_max(json_extract_string(e.payload, '$.${n.payloadField}'), e.time) AS name
     FROM events e SEMI JOIN m ON e.uid = m.uid
     WHERE e.${n.column} IN (SELECT ${n.column} FROM ev WHERE ${n.column} NOT IN (SELECT id FROM ws_names WHERE kind = '${kind}'))${only('e', 'AND')}
     GROUP BY e.uid, e.${n.column}`);
  ctes.push({ name: 'names', materialized: true, sql: `SELECT kind, id, NULL::INTEGER AS nuid, name FROM ws_names${fromEvents.map((q) => ` UNION ALL ${q}`).join('')}` });

  if (want('external_id', 'user_aliases', 'email', 'phone')) {
    join('ids', `SELECT uid, min(value) FILTER (WHERE kind = 'external_id') AS external_id,
       min(value) FILTER (WHERE kind = 'email') AS email, min(value) FILTER (WHERE kind = 'phone') AS phone,
       ${array(object(`'"alias_name":' || ${str(`split_part(value, chr(31), 1)`)}`, `'"alias_label":' || ${str(`split_part(value, chr(31), 2)`)}`), `kind = 'alias'`)} AS aliases
     FROM identities i SEMI JOIN m ON i.uid = m.uid WHERE kind IN ('external_id', 'alias', 'email', 'phone')${only('i', 'AND')} GROUP BY uid`);
  }
  const attributes = want(...ATTRIBUTE_FIELDS, 'created_at');
  if (attributes) {
    const customFilter = customAttributes ? `AND name IN (${inList(customAttributes)})` : '';
    // The current value: the latest by (time, seq); a JSON null is no value.
    join('attrs', `SELECT uid,
        ${TOP_LEVEL_ATTRIBUTES.map((a) => `max(v) FILTER (WHERE name = '${a}' AND v <> 'null') AS "${a}"`).join(', ')},
        max(CASE WHEN v = 'null' THEN NULL WHEN name = 'current_location' THEN '[' || (v::JSON->>'longitude') || ',' || (v::JSON->>'latitude') || ']'
                 WHEN name = 'last_coordinates' THEN v END) AS last_coordinates,
        ${want('custom_attributes') ? `'{' || nullif(array_to_string(list_sort(list(${str('name')} || ':' || v)
          FILTER (WHERE name NOT IN (${inList([...STANDARD_ATTRIBUTES])}) ${customFilter} AND v <> 'null')), ','), '') || '}'` : 'NULL'} AS custom_attributes,
        min(t0) AS first_time
      FROM (SELECT uid, name, arg_max(value, {'t': time, 's': seq})::VARCHAR AS v, min(time) AS t0 FROM attributes a SEMI JOIN m ON a.uid = m.uid${only('a', 'WHERE')} GROUP BY uid, name)
      GROUP BY uid`);
  }
  if (want('created_at', 'total_revenue', 'uninstalled_at')) {
    join('act', `SELECT uid, min(time) AS first_event,
        max(time) FILTER (WHERE category = 'session_start') AS last_session,
        max(time) FILTER (WHERE category = 'uninstall') AS last_uninstall,
        sum(revenue) FILTER (WHERE category = 'purchase') AS revenue
      FROM ev GROUP BY uid`);
  }
  const counted = (category: string) => `SELECT uid, ${array(
    object(`'"name":' || ${str('name')}`, `'"first":"' || ${iso('f')} || '"'`, `'"last":"' || ${iso('l')} || '"'`, `'"count":' || n`),
  )} AS list FROM (SELECT uid, name, min(time) AS f, max(time) AS l, count(*) AS n FROM ev
     WHERE category = '${category}' AND name IS NOT NULL GROUP BY uid, name) GROUP BY uid`;
  if (want('custom_events')) join('ce', counted('custom_event'));
  if (want('purchases')) join('pu', counted('purchase'));
  if (want('apps')) {
    join('ap', `SELECT uid, ${array(
      object(field('name', str('nm')), field('platform', str('pf')), `'"sessions":' || n`, `'"first_used":"' || ${iso('f')} || '"'`, `'"last_used":"' || ${iso('l')} || '"'`),
    )} AS list FROM (SELECT s.*, a.name AS nm FROM (SELECT uid, app_id, arg_max(platform, time) AS pf, count(*) AS n, min(time) AS f, max(time) AS l
        FROM ev WHERE category = 'session_start' GROUP BY uid, app_id) s ${nameJoin('a', 'app', 's.app_id', 's.uid')}) GROUP BY uid`);
  }
  if (want('devices')) {
    // One payload per device (its latest session), read once.
    join('dv', `SELECT uid, ${array(object(
      field('model', str('j[1]')), field('os', str('j[2]')), field('carrier', str('j[6]')), `'"device_id":' || ${str('dev')}`,
      `CASE WHEN j[4] = 'ios_idfa' THEN '"idfa":' || ${str('j[3]')} WHEN j[4] = 'google_ad_id' THEN '"google_ad_id":' || ${str('j[3]')}
            WHEN j[4] = 'roku_ad_id' THEN '"roku_ad_id":' || ${str('j[3]')} END`,
      `CASE WHEN j[5] IN ('true', 'false') THEN '"ad_tracking_enabled":' || j[5] END`,
    ))} AS list FROM (
        SELECT uid, dev, json_extract_string(p, ['$.device_model', '$.os_version', '$.ad_id', '$.ad_id_type', '$.ad_tracking_enabled', '$.carrier']) AS j
        FROM (SELECT uid, dev, arg_max(payload, time) AS p FROM (
            SELECT uid, time, payload, payload->>'$.device_id' AS dev FROM ev WHERE category = 'session_start' AND payload IS NOT NULL)
          WHERE dev IS NOT NULL GROUP BY uid, dev)) GROUP BY uid`);
  }
  if (want('push_tokens')) {
    join('pt', `SELECT uid, ${array(
      object(field('app', str('a.name')), field('platform', str('platform')), `'"token":' || ${str('token')}`, field('device_id', str('device'))),
    )} AS list FROM (
        SELECT uid, j[1] AS token, arg_max(j[2], time) AS change, arg_max(j[3], time) AS device,
               arg_max(app_id, time) AS app_id, arg_max(platform, time) AS platform FROM (
          SELECT uid, time, app_id, platform, json_extract_string(payload, ['$.push_token', '$.push_token_state_change_type', '$.push_token_device_id']) AS j
          FROM ev WHERE event_type = '${TYPE.token}' AND payload IS NOT NULL)
        WHERE j[1] IS NOT NULL GROUP BY uid, j[1]) t ${nameJoin('a', 'app', 't.app_id', 't.uid')}
      WHERE lower(coalesce(change, '')) NOT LIKE '%remove%' GROUP BY uid`);
  }
  if (want('campaigns_received')) {
    join('cr', `SELECT uid, ${array(object(
      field('name', str('cn.name')),
      dateField('last_received', 'last_received'),
      `CASE WHEN opened_email OR opened_push OR clicked_email OR clicked_iam THEN '"engaged":' || ${object(
        trueField('opened_email', 'opened_email'), trueField('opened_push', 'opened_push'), trueField('clicked_email', 'clicked_email'),
        trueField('clicked_in_app_message', 'clicked_iam'), trueField('clicked_triggered_in_app_message', 'clicked_iam'),
      )} END`,
      trueField('converted', 'converted'),
      `'"api_campaign_id":' || ${str('campaign_id')}`,
      field('variation_name', str('vn.name')),
      field('variation_api_id', str('variation')),
      `CASE WHEN variation IS NOT NULL OR in_control THEN '"in_control":' || in_control::VARCHAR END`,
    ))} AS list FROM (
        SELECT uid, campaign_id,
          max(time) FILTER (WHERE event_type IN (${receipt})) AS last_received,
          bool_or(event_type = '${TYPE.emailOpen}') AS opened_email, bool_or(event_type = '${TYPE.pushOpen}') AS opened_push,
          bool_or(event_type = '${TYPE.emailClick}') AS clicked_email, bool_or(event_type = '${TYPE.inAppClick}') AS clicked_iam,
          bool_or(category = 'campaign_conversion') AS converted, bool_or(event_type = '${TYPE.control}') AS in_control,
          arg_max(message_variation_id, time) FILTER (WHERE message_variation_id IS NOT NULL) AS variation
        FROM ev WHERE campaign_id IS NOT NULL GROUP BY uid, campaign_id) c
      ${nameJoin('cn', 'campaign', 'c.campaign_id', 'c.uid')} ${nameJoin('vn', 'variation', 'c.variation', 'c.uid')}
      WHERE last_received IS NOT NULL OR in_control GROUP BY uid`);
  }
  if (want('canvases_received')) {
    ctes.push({ name: 'cs', materialized: false, sql: `SELECT uid, canvas_id, ${array(
      object(field('name', str('sn.name')), `'"api_canvas_step_id":' || ${str('canvas_step_id')}`, dateField('last_received', 't')),
    )} AS list FROM (SELECT uid, canvas_id, canvas_step_id, max(time) AS t FROM ev
        WHERE canvas_id IS NOT NULL AND canvas_step_id IS NOT NULL AND event_type IN (${receipt}) GROUP BY ALL) s
      ${nameJoin('sn', 'canvas_step', 's.canvas_step_id', 's.uid')} GROUP BY uid, canvas_id` });
    join('cv', `SELECT c.uid, ${array(object(
      field('name', str('cn.name')),
      `'"api_canvas_id":' || ${str('c.canvas_id')}`,
      dateField('last_received_message', 'last_received'), dateField('last_entered', 'last_entered'),
      field('variation_name', str('vn.name')),
      trueField('in_control', `in_control = 'true'`),
      dateField('last_exited', 'last_exited'),
      field('steps_received', 'cs.list'),
    ))} AS list FROM (
        SELECT uid, canvas_id,
          max(time) FILTER (WHERE event_type IN (${receipt})) AS last_received,
          max(time) FILTER (WHERE category = 'canvas_entry') AS last_entered,
          max(time) FILTER (WHERE category = 'canvas_exit') AS last_exited,
          arg_max(canvas_variation_id, time) FILTER (WHERE canvas_variation_id IS NOT NULL) AS variation,
          arg_max(json_extract_string(payload, '$.in_control_group'), time) FILTER (WHERE category = 'canvas_entry') AS in_control
        FROM ev WHERE canvas_id IS NOT NULL GROUP BY uid, canvas_id) c
      LEFT JOIN cs ON cs.uid = c.uid AND cs.canvas_id = c.canvas_id
      ${nameJoin('cn', 'canvas', 'c.canvas_id', 'c.uid')} ${nameJoin('vn', 'canvas_variation', 'c.variation', 'c.uid')}
      WHERE last_received IS NOT NULL OR last_entered IS NOT NULL GROUP BY c.uid`);
  }
  if (want('cards_clicked')) {
    join('cc', `SELECT uid, ${array(object(`'"name":' || ${str('coalesce(kn.name, k.card_id)')}`))} AS list
      FROM (SELECT DISTINCT uid, card_id FROM ev WHERE event_type = '${TYPE.cardClick}' AND card_id IS NOT NULL) k
      ${nameJoin('kn', 'card', 'k.card_id', 'k.uid')} GROUP BY uid`);
  }

  const created = `least(u.created_at, coalesce(act.first_event, u.created_at), coalesce(attrs.first_time, u.created_at))`;
  const parts: Record<string, string> = {
    created_at: dateField('created_at', created),
    external_id: field('external_id', str('ids.external_id')),
    user_aliases: field('user_aliases', 'ids.aliases'),
    braze_id: field('braze_id', str('u.braze_id')),
    random_bucket: `'"random_bucket":' || ${randomBucketSql('u.braze_id')}`,
    email: field('email', `coalesce(attrs.email, ${str('ids.email')})`),
    phone: field('phone', `coalesce(attrs.phone, ${str('ids.phone')})`),
    last_coordinates: field('last_coordinates', 'attrs.last_coordinates'),
    total_revenue: field('total_revenue', `round(act.revenue, 2)::VARCHAR`),
    uninstalled_at: `CASE WHEN act.last_uninstall IS NOT NULL AND act.last_uninstall >= coalesce(act.last_session, 0) THEN ${dateField('uninstalled_at', 'act.last_uninstall')} END`,
    custom_attributes: field('custom_attributes', 'attrs.custom_attributes'),
    custom_events: field('custom_events', 'ce.list'),
    purchases: field('purchases', 'pu.list'),
    devices: field('devices', 'dv.list'),
    push_tokens: field('push_tokens', 'pt.list'),
    apps: field('apps', 'ap.list'),
    campaigns_received: field('campaigns_received', 'cr.list'),
    canvases_received: field('canvases_received', 'cv.list'),
    cards_clicked: field('cards_clicked', 'cc.list'),
  };
  for (const a of TOP_LEVEL_ATTRIBUTES) parts[a] ??= field(a, `attrs."${a}"`);
  const selected = [...fields].filter((f) => parts[f] !== undefined);
  const from = `FROM m JOIN users u ON u.uid = m.uid ${joins.join(' ')}`;
  return { steps: ctes, parts, from, select: `SELECT m.ord, ${selected.length ? object(...selected.map((f) => parts[f])) : `'{}'`} AS line
    ${from}
    ORDER BY m.ord` };
}

import { createHash } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBBlobValue, DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { randomBucketSql, sqlString } from '@brazen/analytics';
import { USER_EXPORT_FIELDS } from '@brazen/contract';
import type { ExportProfiles, ProfileOptions, ProfileText, UserIdKind, Workspace } from '../types.ts';
import { RECEIPT_TYPES } from './segments.ts';
import { exportMembersSql } from './export-jobs.ts';
import { identitiesByValue, rows, rowsWhereIn } from './sql.ts';

/**
 * User export objects (the seed's "Sample User Export File Output") built in SQL, one JSON text per
 * user, with the least data possible: a field without a value, a false flag and an empty list are
 * left out. Sources: `users` and `identities` (ids, aliases), the `attributes` history (current
 * values), and the `events` (custom events, purchases, sessions by app, devices, push tokens,
 * campaigns and Canvases received, News Feed cards clicked).
 */

/** Attributes that are exported as top-level fields (SPEC §6; Braze's standard attributes). */
const TOP_LEVEL_ATTRIBUTES = [
  'first_name', 'last_name', 'email', 'dob', 'home_city', 'country', 'phone', 'language', 'time_zone', 'gender',
  'attributed_campaign', 'attributed_source', 'attributed_adgroup', 'attributed_ad', 'push_subscribe',
  'push_opted_in_at', 'email_subscribe',
];
/** Standard attributes that are never custom attributes. */
export const NOT_CUSTOM = new Set([
  ...TOP_LEVEL_ATTRIBUTES, 'current_location', 'last_coordinates', 'image_url', 'bio', 'facebook', 'twitter',
  'date_of_first_session', 'date_of_last_session', 'email_open_tracking_disabled', 'email_click_tracking_disabled',
  'marked_email_as_spam_at', 'subscription_groups', 'push_token_import', 'external_id', 'braze_id', 'user_alias',
]);

const TYPE = {
  emailOpen: 'users.messages.email.Open',
  emailClick: 'users.messages.email.Click',
  pushOpen: 'users.messages.pushnotification.Open',
  inAppClick: 'users.messages.inappmessage.Click',
  control: 'users.campaigns.EnrollInControl',
  token: 'users.behaviors.pushnotification.TokenStateChange',
  cardClick: 'users.messages.newsfeedcard.Click',
};

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
const inList = (values: readonly string[]) => values.map(sqlString).join(', ');

/** Names of apps, campaigns, variations, Canvases, steps and cards from the workspace definitions. */
export function workspaceNames(ws: Workspace): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  const add = (kind: string, id: unknown, name: unknown) => {
    if (typeof id === 'string' && typeof name === 'string') out.push([kind, id, name]);
  };
  for (const a of ws.apps ?? []) add('app', a.id, a.name);
  for (const c of ws.campaigns ?? []) {
    add('campaign', c.id, c.name);
    for (const [vid, m] of Object.entries((c.messages ?? {}) as Record<string, { name?: unknown }>)) add('variation', vid, m?.name);
  }
  for (const c of ws.canvases ?? []) {
    add('canvas', c.id, c.name);
    for (const v of (c.variants ?? []) as Array<{ id?: unknown; name?: unknown }>) add('canvas_variation', v.id, v.name);
    for (const s of (c.steps ?? []) as Array<{ id?: unknown; name?: unknown }>) add('canvas_step', s.id, s.name);
  }
  for (const c of ws.cards ?? []) add('card', c.id, c.name);
  return out;
}

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

/** A name: the workspace's, else the one the events carry (Currents records name what they concern). */
const nameJoin = (alias: string, kind: string, idColumn: string) =>
  `LEFT JOIN names ${alias} ON ${alias}.kind = '${kind}' AND ${alias}.id = ${idColumn}`;

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
const partsObject = (fields: readonly string[]) => (fields.length > 0 ? `'{' || concat_ws(',', ${fields.map((f) => `p."${f}"`).join(', ')}) || '}'` : `'{}'`);

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
  const receipt = inList(RECEIPT_TYPES);
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
  // Names of what the workspace does not define, from the events (one payload read per object).
  // Which ids those are comes from \`ev\` first: when the workspace defines them all, as it
  // should, no payload is read at all.
  const fromEvents = Object.entries(EVENT_NAMES).filter(([, n]) => want(...n.fields)).map(([kind, n]) =>
    `SELECT '${kind}' AS kind, e.${n.column} AS id, json_extract_string(any_value(e.payload), '$.${n.payloadField}') AS name
     FROM events e SEMI JOIN m ON e.uid = m.uid
     WHERE e.${n.column} IN (SELECT ${n.column} FROM ev WHERE ${n.column} NOT IN (SELECT id FROM ws_names WHERE kind = '${kind}'))${only('e', 'AND')}
     GROUP BY e.${n.column}`);
  ctes.push({ name: 'names', materialized: true, sql: `SELECT kind, id, name FROM ws_names${fromEvents.map((q) => ` UNION ALL ${q}`).join('')}` });

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
          FILTER (WHERE name NOT IN (${inList([...NOT_CUSTOM])}) ${customFilter} AND v <> 'null')), ','), '') || '}'` : 'NULL'} AS custom_attributes,
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
        FROM ev WHERE category = 'session_start' GROUP BY uid, app_id) s ${nameJoin('a', 'app', 's.app_id')}) GROUP BY uid`);
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
        WHERE j[1] IS NOT NULL GROUP BY uid, j[1]) t ${nameJoin('a', 'app', 't.app_id')}
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
      ${nameJoin('cn', 'campaign', 'c.campaign_id')} ${nameJoin('vn', 'variation', 'c.variation')}
      WHERE last_received IS NOT NULL OR in_control GROUP BY uid`);
  }
  if (want('canvases_received')) {
    ctes.push({ name: 'cs', materialized: false, sql: `SELECT uid, canvas_id, ${array(
      object(field('name', str('sn.name')), `'"api_canvas_step_id":' || ${str('canvas_step_id')}`, dateField('last_received', 't')),
    )} AS list FROM (SELECT uid, canvas_id, canvas_step_id, max(time) AS t FROM ev
        WHERE canvas_id IS NOT NULL AND canvas_step_id IS NOT NULL AND event_type IN (${receipt}) GROUP BY ALL) s
      ${nameJoin('sn', 'canvas_step', 's.canvas_step_id')} GROUP BY uid, canvas_id` });
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
      ${nameJoin('cn', 'canvas', 'c.canvas_id')} ${nameJoin('vn', 'canvas_variation', 'c.variation')}
      WHERE last_received IS NOT NULL OR last_entered IS NOT NULL GROUP BY c.uid`);
  }
  if (want('cards_clicked')) {
    join('cc', `SELECT uid, ${array(object(`'"name":' || ${str('coalesce(kn.name, k.card_id)')}`))} AS list
      FROM (SELECT DISTINCT uid, card_id FROM ev WHERE event_type = '${TYPE.cardClick}' AND card_id IS NOT NULL) k
      ${nameJoin('kn', 'card', 'k.card_id')} GROUP BY uid`);
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

/** Profiles of the users `brazeIds` name, in that order. Takes ownership of `conn` (a connection of
 * its own). With `keptOnes`, kept profiles are read when every one of them is kept and fresh. */
export async function userProfiles(conn: DuckDBConnection, ws: Workspace, brazeIds: string[], options: ProfileOptions, keptOnes = false): Promise<string[]> {
  try {
    if (brazeIds.length === 0) return [];
    const uidOf = new Map((await rowsWhereIn<{ braze_id: string; uid: number }>(conn, 'SELECT braze_id, uid FROM users WHERE braze_id', [...new Set(brazeIds)])).map((r) => [r.braze_id, r.uid]));
    const uids = brazeIds.map((id) => {
      const uid = uidOf.get(id);
      if (uid === undefined) throw new Error(`no user has braze_id ${id}`);
      return uid;
    });
    await loadNames(conn, ws);
    await conn.run(`CREATE OR REPLACE TEMP TABLE m (uid INTEGER, ord INTEGER)`);
    const app = await conn.createAppender('m', 'main', 'temp');
    uids.forEach((uid, ord) => {
      app.appendInteger(uid);
      app.appendInteger(ord);
      app.endRow();
    });
    app.closeSync();
    // Every one kept and fresh: read, not computed (computing scans every stored event, which on
    // a large store takes far longer than a request should).
    if (keptOnes && options.customAttributes === undefined && !options.fromEvents) {
      const due = await rows<{ n: number }>(conn, `SELECT count(*)::INTEGER AS n FROM (${keptProfilesDueSql('SELECT uid FROM m')})`);
      if (due[0]?.n === 0) {
        const fields = options.fields.filter((f) => KEPT_FIELDS.includes(f));
        // The uids as constants: the scan of the parts then reads only the vectors that hold them.
        const kept = await rows<{ line: string }>(
          conn,
          `SELECT ${partsObject(fields)} AS line FROM m JOIN (SELECT * FROM profile_parts WHERE uid IN (${[...new Set(uids)].join(', ')})) p ON p.uid = m.uid ORDER BY m.ord`,
        );
        if (kept.length === uids.length) return kept.map((r) => r.line);
      }
    }
    return (await rows<{ line: string }>(conn, profileSql(new Set(options.fields), options.customAttributes, undefined, uids))).map((r) => r.line);
  } finally {
    conn.closeSync();
  }
}

/**
 * Profiles of an export's members, batch by batch, on one connection of its own for the whole job:
 * the workspace names are loaded and the statement is prepared once. DuckDB joins each file's lines
 * (NDJSON, one line per user ending in a newline) into one value handed over as bytes, so that no
 * per-user string crosses into JS.
 */
export class ExportProfileReader implements ExportProfiles {
  private constructor(
    private readonly conn: DuckDBConnection,
    private readonly statement: DuckDBPreparedStatement,
  ) {}

  /** Takes ownership of `conn`: the profiles of the job's members, computed from the events. */
  static async open(conn: DuckDBConnection, ws: Workspace, jobId: string, options: ProfileOptions): Promise<ExportProfileReader> {
    try {
      const members = `SELECT uid, rn AS ord FROM (${exportMembersSql(jobId)}) WHERE rn >= $from AND rn < $to`;
      await loadNames(conn, ws);
      const profiles = profileSql(new Set(options.fields), options.customAttributes, members);
      // encode: the text's UTF-8 bytes (a cast to BLOB refuses any character beyond ASCII).
      const statement = await conn.prepare(
        `SELECT (ord - $from) // $per AS piece, count(*)::INTEGER AS users, encode(string_agg(line || chr(10), '' ORDER BY ord)) AS text
         FROM (${profiles}) GROUP BY piece ORDER BY piece`,
      );
      return new ExportProfileReader(conn, statement);
    } catch (error) {
      conn.closeSync();
      throw error;
    }
  }

  /** Most members per query; lowered (to whole pieces) when DuckDB runs out of memory. */
  private maxMembers = Infinity;

  async read(from: number, to: number, perPiece: number): Promise<Uint8Array[]> {
    const pieces: Uint8Array[] = [];
    for (let start = from; start < to;) {
      const end = Math.min(to, start + this.maxMembers);
      try {
        pieces.push(...(await this.query(start, end, perPiece)));
        start = end;
      } catch (error) {
        // DuckDB's memory limit is too low for this many profiles at once: take fewer per query from now on.
        const pieceCount = Math.ceil((end - start) / perPiece);
        if (!(error instanceof Error && error.message.startsWith('Out of Memory')) || pieceCount <= 1) throw error;
        this.maxMembers = Math.ceil(pieceCount / 2) * perPiece;
      }
    }
    return pieces;
  }

  /** Members whose lines DuckDB joins into one value: small parts of a file build faster (and
   * in less memory) than whole files of 5,000 users; they are joined in JS. */
  private static readonly PART = 500;

  private async query(from: number, to: number, perPiece: number): Promise<Uint8Array[]> {
    const part = perPiece % ExportProfileReader.PART === 0 ? ExportProfileReader.PART : perPiece;
    this.statement.bindInteger(this.statement.parameterIndex('from'), from);
    this.statement.bindInteger(this.statement.parameterIndex('to'), to);
    this.statement.bindInteger(this.statement.parameterIndex('per'), part);
    const result = await this.statement.stream();
    const parts: Uint8Array[] = [];
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const users = chunk.getColumnVector(1);
      const column = chunk.getColumnVector(2);
      for (let i = 0; i < chunk.rowCount; i++) {
        // Every member has a profile: a part short of users means some were lost on the way.
        const first = from + parts.length * part;
        const expected = Math.min(part, to - first);
        if (users.getItem(i) !== expected) {
          throw new Error(`members ${first} to ${first + expected - 1} of the export: ${String(users.getItem(i))} profiles found for ${expected} users`);
        }
        parts.push((column.getItem(i) as DuckDBBlobValue).bytes);
      }
    }
    if (parts.length !== Math.ceil((to - from) / part)) {
      throw new Error(`members ${from} to ${to - 1} of the export: ${parts.length} parts of profiles made for ${Math.ceil((to - from) / part)}`);
    }
    const perFile = perPiece / part;
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < parts.length; i += perFile) pieces.push(perFile === 1 ? parts[i] : Buffer.concat(parts.slice(i, i + perFile)));
    return pieces;
  }

  close(): void {
    this.statement.destroySync();
    this.conn.closeSync();
  }
}

/**
 * Kept profiles of an export's members: DuckDB writes each file's lines (the fields asked for,
 * joined from the kept parts) to a spool file with COPY, which streams in little memory, and the
 * file is handed over as it is, for the export to stream through its compression. Joining 5,000
 * lines into one value inside a query, as the reader above does, costs far more memory than DuckDB
 * accounts for.
 */
export class KeptProfileReader implements ExportProfiles {
  private constructor(
    private readonly conns: DuckDBConnection[],
    private readonly spool: string,
    private readonly select: string,
  ) {}

  /** Takes ownership of `conns` (each writes one file at a time: a file is too small for DuckDB
   * to spread over its threads, two side by side are not); spool files go to a folder made under
   * `spoolRoot`. */
  static async open(conns: DuckDBConnection[], jobId: string, options: ProfileOptions, spoolRoot: string): Promise<KeptProfileReader> {
    try {
      await mkdir(spoolRoot, { recursive: true });
      const spool = await mkdtemp(join(spoolRoot, 'export-'));
      const fields = options.fields.filter((f) => KEPT_FIELDS.includes(f));
      const select = `SELECT ${partsObject(fields)} AS line FROM (${exportMembersSql(jobId)}) m JOIN profile_parts p ON p.uid = m.uid
        WHERE m.rn >= $from AND m.rn < $to ORDER BY m.rn`;
      return new KeptProfileReader(conns, spool, select);
    } catch (error) {
      for (const conn of conns) conn.closeSync();
      throw error;
    }
  }

  private files = 0;

  async read(from: number, to: number, perPiece: number): Promise<ProfileText[]> {
    const ranges: Array<[number, number]> = [];
    for (let first = from; first < to; first += perPiece) ranges.push([first, Math.min(to, first + perPiece)]);
    const pieces = new Array<ProfileText>(ranges.length);
    let next = 0;
    await Promise.all(this.conns.map(async (conn) => {
      while (next < ranges.length) {
        const i = next++;
        pieces[i] = await this.piece(conn, ...ranges[i]);
      }
    }));
    return pieces;
  }

  private async piece(conn: DuckDBConnection, first: number, last: number): Promise<ProfileText> {
    const file = join(this.spool, `${this.files++}.ndjson`);
    const count = await copyLines(conn, this.select.replace('$from', String(first)).replace('$to', String(last)), file);
    if (count !== last - first) throw new Error(`members ${first} to ${last - 1} of the export: ${count} profiles found for ${last - first} users`);
    return { chunks: () => readAndRemove(file) };
  }

  close(): void {
    for (const conn of this.conns) conn.closeSync();
    rmSync(this.spool, { recursive: true, force: true }); // files not taken (a job cut short)
  }
}

/** A spool file's bytes, streamed (never whole in memory), then the file removed. */
async function* readAndRemove(file: string): AsyncGenerator<Uint8Array> {
  try {
    yield* createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
  } finally {
    await rm(file, { force: true });
  }
}

/** Lines that are read together: bytes `start` to `end` of one file, of which `slices` (offsets in
 * that range, newline included) are the lines wanted, in order. */
interface LineSpan {
  file: number;
  start: number;
  end: number;
  slices: number[];
}

/** Lines closer than this are read in one go, the bytes between them skipped. */
const SPAN_GAP = 16 * 1024;
/** A read stops growing at this size (a single longer line is read whole). */
const SPAN_MAX = 256 * 1024;

/** The reads that fetch lines `first` to `last` (exclusive) of `files`/`positions`/`lengths`. */
function lineSpans(files: number[], positions: number[], lengths: number[], first: number, last: number): LineSpan[] {
  const spans: LineSpan[] = [];
  let span: LineSpan | undefined;
  for (let i = first; i < last; i++) {
    const start = positions[i];
    const end = start + lengths[i] + 1;
    if (span && span.file === files[i] && start >= span.end && start - span.end <= SPAN_GAP && end - span.start <= SPAN_MAX) {
      span.slices.push(start - span.start, end - span.start);
      span.end = end;
    } else {
      span = { file: files[i], start, end, slices: [0, end - start] };
      spans.push(span);
    }
  }
  return spans;
}

/** The bytes of the spans' lines, read from the profile files in `dir`. A file that is shorter
 * than its lines say, or a line that does not end where it should, is an error. Two buffers are
 * used over and over (a chunk is good until the next is asked for): a 1M-user export would
 * otherwise leave a gigabyte of buffers for the garbage collector, which frees them late. */
async function* readSpans(dir: string, spans: LineSpan[]): AsyncGenerator<Uint8Array> {
  const handles = new Map<number, FileHandle>();
  let read: Buffer | undefined;
  let gathered: Buffer | undefined;
  try {
    for (const span of spans) {
      let handle = handles.get(span.file);
      if (!handle) {
        handle = await open(join(dir, profileFileName(span.file)), 'r');
        handles.set(span.file, handle);
      }
      const size = span.end - span.start;
      // A span is at most SPAN_MAX, unless it is one longer line.
      const bytes = size <= SPAN_MAX ? (read ??= Buffer.allocUnsafe(SPAN_MAX)).subarray(0, size) : Buffer.allocUnsafe(size);
      for (let got = 0; got < size;) {
        const { bytesRead } = await handle.read(bytes, got, size - got, span.start + got);
        if (bytesRead === 0) throw new Error(`profile line file ${profileFileName(span.file)} ends before byte ${span.end}`);
        got += bytesRead;
      }
      const { slices } = span;
      for (let k = 1; k < slices.length; k += 2) {
        if (bytes[slices[k] - 1] !== 0x0a) throw new Error(`profile line file ${profileFileName(span.file)} has no line ending at byte ${span.start + slices[k] - 1}`);
      }
      // Slices are in order and do not overlap: as many bytes wanted as read means no gap.
      let wanted = 0;
      for (let k = 0; k < slices.length; k += 2) wanted += slices[k + 1] - slices[k];
      if (wanted === size) {
        yield bytes;
        continue;
      }
      const out = wanted <= SPAN_MAX ? (gathered ??= Buffer.allocUnsafe(SPAN_MAX)).subarray(0, wanted) : Buffer.allocUnsafe(wanted);
      let at = 0;
      for (let k = 0; k < slices.length; k += 2) at += bytes.copy(out, at, slices[k], slices[k + 1]);
      yield out;
    }
  } finally {
    for (const handle of handles.values()) await handle.close();
  }
}

/**
 * An export of every field reads kept profiles from their line files: DuckDB gives, per batch of
 * members, where each member's line is (a few numbers a member), and the lines are streamed from
 * the files, neighbours read together. Nothing of the profile text passes through DuckDB.
 */
export class LineProfileReader implements ExportProfiles {
  /** Takes ownership of `conn`; `closed` is called once, on close. */
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly dir: string,
    private readonly jobId: string,
    private readonly closed: () => void,
  ) {}

  async read(from: number, to: number, perPiece: number): Promise<ProfileText[]> {
    const result = await this.conn.runAndReadAll(
      `SELECT l.file, l.pos::DOUBLE AS pos, l.len FROM (${exportMembersSql(this.jobId)}) m JOIN profile_lines l ON l.uid = m.uid
       WHERE m.rn >= ${from} AND m.rn < ${to} ORDER BY m.rn`,
    );
    const [files, positions, lengths] = result.getColumns() as [number[], number[], number[]];
    if (files.length !== to - from) throw new Error(`members ${from} to ${to - 1} of the export: ${files.length} profile lines found for ${to - from} users`);
    const pieces: ProfileText[] = [];
    for (let first = 0; first < files.length; first += perPiece) {
      const spans = lineSpans(files, positions, lengths, first, Math.min(files.length, first + perPiece));
      pieces.push({ chunks: () => readSpans(this.dir, spans) });
    }
    return pieces;
  }

  close(): void {
    this.conn.closeSync();
    this.closed();
  }
}

/** Writes the one-column rows of `query` to `path`, one line each, as they are; answers how many.
 * With no quote character DuckDB's CSV writer neither quotes nor escapes (and does not look for
 * what it would quote), and JSON text holds no raw line break. */
export async function copyLines(conn: DuckDBConnection, query: string, path: string): Promise<number> {
  const written = await conn.runAndReadAll(`COPY (${query}) TO ${sqlString(path)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')`);
  return Number(written.getRows()[0]?.[0] ?? 0);
}

/** braze_ids of the users named by each value (a device id is an identity of each user whose
 * records named it), oldest user first. */
export async function findUsers(conn: DuckDBConnection, kind: UserIdKind, values: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (values.length === 0) return out;
  // Every braze_id a user is known by is an identity (the one it was made with, and any a Currents
  // record linked to it through its external id).
  const found = (await identitiesByValue<{ kind: string; value: string; uid: number }>(conn, values, 'DISTINCT kind, value, uid', 'ORDER BY uid'))
    .filter((r) => r.kind === kind);
  const uids = [...new Set(found.map((r) => r.uid))];
  const brazeIds = new Map(uids.length === 0 ? [] : (await rows<{ uid: number; braze_id: string }>(conn, `SELECT uid, braze_id FROM users WHERE uid IN (${uids.join(', ')})`)).map((r) => [r.uid, r.braze_id]));
  for (const r of found) {
    const list = out.get(r.value) ?? [];
    list.push(brazeIds.get(r.uid)!);
    out.set(r.value, list);
  }
  return out;
}

import { CURRENTS_EVENT_TYPES } from '@brazen/contract';
import type { AttributeEntry, StoredEvent, StoredIdentity, StoredUser } from '../records.ts';
import { byCodePoint } from '../text-order.ts';
import { fieldText, lowerText } from '../currents/fields.ts';
import { aliasOfValue, randomBucket } from '../identity/keys.ts';
import { latestEntries } from '../attributes/fold.ts';
import { isCustomAttribute, TOP_LEVEL_ATTRIBUTES } from '../attributes/standard.ts';
import { doubleText, isoMillis, jsonString, memberText, roundDouble } from './json-text.ts';
import { NAMES_IN_RECORDS, type NameBook, type NamedKind } from './names.ts';

/**
 * The user export object (SPEC §6, the seed's "Sample User Export File Output") of one user, as the
 * JSON text every engine must write byte for byte. The least data possible: a field without a value,
 * a false flag and an empty list are left out. Lists are in the code-point order of their items'
 * text. Where several records tell one thing (a device's model, a push token's state), the latest
 * by time tells it, the first recorded among equals, skipping records that do not tell it.
 */

/** What is recorded of one user: every list holds that user's only, in the order recorded. */
export interface UserRecords {
  user: StoredUser;
  identities: readonly StoredIdentity[];
  attributes: readonly AttributeEntry[];
  events: readonly StoredEvent[];
}

export interface ExportSelection {
  /** Top-level fields (`fields_to_export`), in the order the object gives them; unknown ones are ignored. */
  fields: readonly string[];
  /** Only these custom attributes go into `custom_attributes` (all when absent). */
  customAttributes?: readonly string[];
}

/** Event types whose record means the user received a message: a send, or the impression of an
 * in-app message (which has no send). */
export const RECEIVED_TYPES: ReadonlySet<string> = new Set(
  CURRENTS_EVENT_TYPES.filter((t) => t.action === 'send' || (t.channel === 'in_app_message' && t.action === 'impression')).map((t) => t.eventType),
);

const TYPE = {
  emailOpen: 'users.messages.email.Open',
  emailClick: 'users.messages.email.Click',
  pushOpen: 'users.messages.pushnotification.Open',
  inAppClick: 'users.messages.inappmessage.Click',
  control: 'users.campaigns.EnrollInControl',
  token: 'users.behaviors.pushnotification.TokenStateChange',
  cardClick: 'users.messages.newsfeedcard.Click',
};

/** `{...}` of the parts that are present. */
const object = (...parts: Array<string | null>) => `{${parts.filter((p) => p !== null).join(',')}}`;
const field = (key: string, json: string | null) => (json === null ? null : `"${key}":${json}`);
const str = (text: string | null) => (text === null ? null : jsonString(text));
const date = (key: string, t: number | null) => (t === null ? null : `"${key}":"${isoMillis(t)}"`);
const flag = (key: string, on: boolean) => (on ? `"${key}":true` : null);
/** A JSON array of the items in the code-point order of their text; null when there are none. */
const list = (items: string[]) => (items.length === 0 ? null : `[${items.sort(byCodePoint).join(',')}]`);

const minOf = (values: Iterable<number>) => {
  let m: number | null = null;
  for (const v of values) if (m === null || v < m) m = v;
  return m;
};
const maxOf = (values: Iterable<number>) => {
  let m: number | null = null;
  for (const v of values) if (m === null || v > m) m = v;
  return m;
};
const firstByCodePoint = (values: string[]) => (values.length === 0 ? null : values.reduce((a, b) => (byCodePoint(b, a) < 0 ? b : a)));

/** The value the latest event tells (the first recorded among equal times), skipping events that tell none. */
function latestTold<T>(events: Iterable<StoredEvent>, told: (e: StoredEvent) => T | null): T | null {
  let at = -Infinity;
  let out: T | null = null;
  for (const e of events) {
    const v = told(e);
    if (v !== null && (out === null || e.time > at)) {
      at = e.time;
      out = v;
    }
  }
  return out;
}

/** Events grouped by a key, groups in the order first met. */
function groupBy<K>(events: Iterable<StoredEvent>, key: (e: StoredEvent) => K): Map<K, StoredEvent[]> {
  const groups = new Map<K, StoredEvent[]>();
  for (const e of events) {
    const k = key(e);
    const g = groups.get(k);
    if (g) g.push(e);
    else groups.set(k, [e]);
  }
  return groups;
}

/** Names by kind and id: the workspace's, else the one the user's first record of that id carries. */
function namer(book: NameBook, events: readonly StoredEvent[]): (kind: NamedKind, id: string | null) => string | null {
  return (kind, id) => {
    if (id === null) return null;
    const defined = book.get(kind)?.get(id);
    if (defined !== undefined) return defined;
    if (!(kind in NAMES_IN_RECORDS)) return null;
    const where = NAMES_IN_RECORDS[kind as keyof typeof NAMES_IN_RECORDS];
    // A record of it that carries no name (a conversion) does not take the name away.
    for (const e of events) {
      if (e[where.id] !== id) continue;
      const named = fieldText(e.payload, where.name);
      if (named !== null) return named;
    }
    return null;
  };
}

/** One part of the object per field: its `"key":value` text, or null when left out. */
type Parts = (records: UserRecords, name: ReturnType<typeof namer>, selection: ExportSelection) => Record<string, () => string | null>;

const parts: Parts = ({ user, identities, attributes, events }, name, selection) => {
  const ids = (kind: StoredIdentity['kind']) => identities.filter((i) => i.kind === kind).map((i) => i.value);
  const latest = latestEntries(attributes);
  /** An attribute's current value as JSON text; null when it has none. */
  const attribute = (n: string) => {
    const e = latest.get(n);
    return e === undefined || e.value === null ? null : JSON.stringify(e.value);
  };
  const of = (category: StoredEvent['category']) => events.filter((e) => e.category === category);
  const sessions = of('session_start');

  const counted = (category: StoredEvent['category']) => list(
    [...groupBy(of(category).filter((e) => e.name !== null), (e) => e.name!)].map(([n, g]) =>
      object(`"name":${jsonString(n)}`, date('first', minOf(g.map((e) => e.time))), date('last', maxOf(g.map((e) => e.time))), `"count":${g.length}`)),
  );
  const received = (g: readonly StoredEvent[]) => maxOf(g.filter((e) => RECEIVED_TYPES.has(e.eventType)).map((e) => e.time));

  const out: Record<string, () => string | null> = {
    created_at: () => date('created_at', minOf([user.createdAt, ...events.map((e) => e.time), ...attributes.map((a) => a.time)])),
    external_id: () => field('external_id', str(firstByCodePoint(ids('external_id')))),
    user_aliases: () => field('user_aliases', list(ids('alias').map((v) => {
      const a = aliasOfValue(v);
      return object(`"alias_name":${jsonString(a.alias_name)}`, `"alias_label":${jsonString(a.alias_label)}`);
    }))),
    braze_id: () => field('braze_id', jsonString(user.brazeId)),
    random_bucket: () => field('random_bucket', String(randomBucket(user.brazeId))),
    email: () => field('email', attribute('email') ?? str(firstByCodePoint(ids('email')))),
    phone: () => field('phone', attribute('phone') ?? str(firstByCodePoint(ids('phone')))),
    last_coordinates: () => {
      // Where the user was: [longitude, latitude] of `current_location`, or `last_coordinates` as set
      // (the greater text when both are set).
      const texts: string[] = [];
      const location = latest.get('current_location');
      if (location && location.value !== null) {
        const lon = memberText(location.value, 'longitude');
        const lat = memberText(location.value, 'latitude');
        if (lon !== null && lat !== null) texts.push(`[${lon},${lat}]`);
      }
      const coordinates = attribute('last_coordinates');
      if (coordinates !== null) texts.push(coordinates);
      return field('last_coordinates', texts.length === 0 ? null : texts.reduce((a, b) => (byCodePoint(b, a) > 0 ? b : a)));
    },
    total_revenue: () => {
      const purchases = of('purchase').filter((e) => e.revenue !== null);
      return purchases.length === 0 ? null : field('total_revenue', doubleText(roundDouble(purchases.reduce((sum, e) => sum + e.revenue!, 0), 2)));
    },
    uninstalled_at: () => {
      // Uninstalled unless a session came after the last uninstall (a reinstall).
      const last = maxOf(of('uninstall').map((e) => e.time));
      return last !== null && last >= (maxOf(sessions.map((e) => e.time)) ?? 0) ? date('uninstalled_at', last) : null;
    },
    custom_attributes: () => {
      const only = selection.customAttributes === undefined ? undefined : new Set(selection.customAttributes);
      const pairs = [...latest.values()]
        .filter((e) => isCustomAttribute(e.name) && (only === undefined || only.has(e.name)) && e.value !== null)
        .map((e) => `${jsonString(e.name)}:${JSON.stringify(e.value)}`);
      return field('custom_attributes', pairs.length === 0 ? null : `{${pairs.sort(byCodePoint).join(',')}}`);
    },
    custom_events: () => field('custom_events', counted('custom_event')),
    purchases: () => field('purchases', counted('purchase')),
    devices: () => field('devices', list([...groupBy(sessions.filter((e) => fieldText(e.payload, 'device_id') !== null), (e) => fieldText(e.payload, 'device_id')!)]
      .map(([device, g]) => {
        const p = latestTold(g, (e) => e.payload)!;
        const text = (f: string) => fieldText(p, f);
        const adId = str(text('ad_id'));
        const adKey = ({ ios_idfa: 'idfa', google_ad_id: 'google_ad_id', roku_ad_id: 'roku_ad_id' } as Record<string, string>)[text('ad_id_type') ?? ''];
        const tracking = text('ad_tracking_enabled');
        return object(
          field('model', str(text('device_model'))), field('os', str(text('os_version'))), field('carrier', str(text('carrier'))),
          `"device_id":${jsonString(device)}`, adKey === undefined ? null : field(adKey, adId),
          tracking === 'true' || tracking === 'false' ? `"ad_tracking_enabled":${tracking}` : null,
        );
      }))),
    push_tokens: () => field('push_tokens', list([...groupBy(events.filter((e) => e.eventType === TYPE.token && fieldText(e.payload, 'push_token') !== null), (e) => fieldText(e.payload, 'push_token')!)]
      .filter(([, g]) => !lowerText(latestTold(g, (e) => fieldText(e.payload, 'push_token_state_change_type')) ?? '').includes('remove'))
      .map(([token, g]) => object(
        field('app', str(name('app', latestTold(g, (e) => e.appId)))),
        field('platform', str(latestTold(g, (e) => e.platform))),
        `"token":${jsonString(token)}`,
        field('device_id', str(latestTold(g, (e) => fieldText(e.payload, 'push_token_device_id')))),
      )))),
    apps: () => field('apps', list([...groupBy(sessions, (e) => e.appId)].map(([app, g]) => object(
      field('name', str(name('app', app))),
      field('platform', str(latestTold(g, (e) => e.platform))),
      `"sessions":${g.length}`, date('first_used', minOf(g.map((e) => e.time))), date('last_used', maxOf(g.map((e) => e.time))),
    )))),
    campaigns_received: () => field('campaigns_received', list([...groupBy(events.filter((e) => e.campaignId !== null), (e) => e.campaignId!)]
      .map(([campaign, g]) => {
        const did = (type: string) => g.some((e) => e.eventType === type);
        const lastReceived = received(g);
        const inControl = did(TYPE.control);
        if (lastReceived === null && !inControl) return null;
        const [openedEmail, openedPush, clickedEmail, clickedInApp] = [did(TYPE.emailOpen), did(TYPE.pushOpen), did(TYPE.emailClick), did(TYPE.inAppClick)];
        const variation = latestTold(g, (e) => e.messageVariationId);
        return object(
          field('name', str(name('campaign', campaign))),
          date('last_received', lastReceived),
          openedEmail || openedPush || clickedEmail || clickedInApp
            ? `"engaged":${object(flag('opened_email', openedEmail), flag('opened_push', openedPush), flag('clicked_email', clickedEmail),
              flag('clicked_in_app_message', clickedInApp), flag('clicked_triggered_in_app_message', clickedInApp))}`
            : null,
          flag('converted', g.some((e) => e.category === 'campaign_conversion')),
          `"api_campaign_id":${jsonString(campaign)}`,
          field('variation_name', str(name('variation', variation))),
          field('variation_api_id', str(variation)),
          variation !== null || inControl ? `"in_control":${inControl}` : null,
        );
      })
      .filter((item) => item !== null))),
    canvases_received: () => field('canvases_received', list([...groupBy(events.filter((e) => e.canvasId !== null), (e) => e.canvasId!)]
      .map(([canvas, g]) => {
        const lastReceived = received(g);
        const lastEntered = maxOf(g.filter((e) => e.category === 'canvas_entry').map((e) => e.time));
        if (lastReceived === null && lastEntered === null) return null;
        const steps = [...groupBy(g.filter((e) => e.canvasStepId !== null && RECEIVED_TYPES.has(e.eventType)), (e) => e.canvasStepId!)]
          .map(([step, s]) => object(field('name', str(name('canvas_step', step))), `"api_canvas_step_id":${jsonString(step)}`, date('last_received', maxOf(s.map((e) => e.time)))));
        const variation = latestTold(g, (e) => e.canvasVariationId);
        const inControl = latestTold(g.filter((e) => e.category === 'canvas_entry'), (e) => fieldText(e.payload, 'in_control_group'));
        return object(
          field('name', str(name('canvas', canvas))),
          `"api_canvas_id":${jsonString(canvas)}`,
          date('last_received_message', lastReceived), date('last_entered', lastEntered),
          field('variation_name', str(name('canvas_variation', variation))),
          flag('in_control', inControl === 'true'),
          date('last_exited', maxOf(g.filter((e) => e.category === 'canvas_exit').map((e) => e.time))),
          field('steps_received', list(steps)),
        );
      })
      .filter((item) => item !== null))),
    cards_clicked: () => field('cards_clicked', list([...new Set(events.filter((e) => e.eventType === TYPE.cardClick && e.cardId !== null).map((e) => e.cardId!))]
      .map((card) => object(`"name":${jsonString(name('card', card) ?? card)}`)))),
  };
  for (const a of TOP_LEVEL_ATTRIBUTES) out[a] ??= () => field(a, attribute(a));
  return out;
};

/** The user's export object as JSON text: the fields asked for (each once), in the order asked. */
export function userExportText(records: UserRecords, book: NameBook, selection: ExportSelection): string {
  const made = parts(records, namer(book, records.events), selection);
  const texts: string[] = [];
  for (const f of new Set(selection.fields)) {
    const text = Object.hasOwn(made, f) ? made[f]() : null;
    if (text !== null) texts.push(text);
  }
  return `{${texts.join(',')}}`;
}

import type { AttributeRecord, EventRecord, UserIdKind, UserRef } from '@brazen/store';
import { prng } from '../naive.ts';
import { chance, generateWorkspace, int, pick, type Channel, type GeneratedWorkspace, type MessageSpec, type Random } from './workspace-gen.ts';

/**
 * Seeded random records for a generated workspace: Currents records of many event types and
 * /users/track attributes, events and purchases, of users named by braze_id, external id, alias,
 * email or phone; out of time order, in several batches, some sent again, some invalid.
 *
 * The records are a list of items in arrival order; a batching cuts it into deliveries. Two
 * batchings of the same items (`batches`, `otherBatching`) must give the same answers.
 */

export type Item =
  | { kind: 'currents'; record: unknown }
  | { kind: 'attribute'; value: AttributeRecord }
  | { kind: 'event' | 'purchase'; value: EventRecord };

/** A delivery: item indexes of one family (Currents or /users/track), in the order the store takes them. */
export interface Batch {
  items: number[];
  format: 'ndjson' | 'array';
}

export interface GeneratedData {
  ws: GeneratedWorkspace;
  items: Item[];
  batches: Batch[];
  /** Every value the records name a user by, by kind, and a few that name nobody. */
  identifiers: Record<UserIdKind, string[]>;
  /** Whether every user is made with a braze_id the records give (else some get one of the engine's own). */
  givenIds: boolean;
  /** The workspace's definitions are put before the item at this position (a batch boundary of every
   * batching); the items before it are stored in UTC without definitions. */
  definitionsAt: number;
}

interface GenUser {
  brazeId?: string;
  externalId?: string;
  alias?: { alias_name: string; alias_label: string };
  email?: string;
  phone?: string;
  devices: string[];
  app: string;
}

const PLATFORMS = ['ios', 'android', 'web', 'kindle', 'tvos', undefined];

/** Follow-up engagement event types of a message channel (the first is its receipt). */
const FLOWS: Record<Channel, string[]> = {
  email: ['email.Send', 'email.Delivery', 'email.Open', 'email.Open', 'email.Click', 'email.Bounce', 'email.Unsubscribe', 'email.MarkAsSpam', 'email.SoftBounce'],
  ios_push: ['pushnotification.Send', 'pushnotification.Open', 'pushnotification.InfluencedOpen', 'pushnotification.Bounce'],
  android_push: ['pushnotification.Send', 'pushnotification.Open', 'pushnotification.Bounce'],
  web_push: ['pushnotification.Send', 'pushnotification.Open'],
  sms: ['sms.Send', 'sms.CarrierSend', 'sms.Delivery', 'sms.Rejection', 'sms.DeliveryFailure', 'sms.ShortLinkClick', 'sms.InboundReceive', 'sms.InboundReceive'],
  webhook: ['webhook.Send', 'webhook.Failure'],
  trigger_in_app_message: ['inappmessage.Impression', 'inappmessage.Click', 'inappmessage.Click'],
  content_cards: ['contentcard.Send', 'contentcard.Impression', 'contentcard.Impression', 'contentcard.Click', 'contentcard.Dismiss'],
  whats_app: ['whatsapp.Send', 'whatsapp.Delivery', 'whatsapp.Read', 'whatsapp.Failure'],
};
const PUSH_PLATFORM: Partial<Record<Channel, string | undefined>> = { ios_push: 'ios', android_push: 'android', web_push: 'web' };

export function generateData(seed: number, options: { users?: number } = {}): GeneratedData {
  const ws = generateWorkspace(seed);
  const random = prng(seed * 7919 + 1);
  const givenIds = seed % 2 === 0;
  const users = makeUsers(random, ws, options.users ?? int(random, 25, 45), givenIds);
  const items: Item[] = [];
  let n = 0;
  const id = () => `rec-${seed}-${n++}`;
  const end = ws.start + ws.days * 86_400;
  /** A time in the period: mostly whole seconds, some at a local midnight or a quarter, some with fractions. */
  const time = (from = ws.start, to = end): number => {
    const t = from + Math.floor(random() * Math.max(1, to - from));
    const r = random();
    if (r < 0.05) return Math.floor(t / 900) * 900;
    if (r < 0.08) return t + 0.25;
    return t;
  };
  const currents = (record: Record<string, unknown>) => items.push({ kind: 'currents', record });
  const who = (u: GenUser): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if (u.brazeId) out.user_id = u.brazeId;
    if (u.externalId && (!u.brazeId || chance(random, 0.4))) out.external_user_id = u.externalId;
    return out;
  };
  const behavior = (type: string, u: GenUser, t: number, extra: Record<string, unknown> = {}) =>
    currents({ id: id(), event_type: `users.behaviors.${type}`, time: t, ...who(u), ...extra });

  // ---- behaviours of each user (Currents can name only users with a braze_id or an external id)
  for (const u of users.filter((x) => x.brazeId || x.externalId)) {
    for (let k = int(random, 0, 8); k > 0; k--) {
      const device = pick(random, u.devices);
      const platform = pick(random, PLATFORMS);
      behavior('app.SessionStart', u, time(), {
        app_id: chance(random, 0.9) ? u.app : pick(random, ws.apps), ...(platform ? { platform } : {}), device_id: device,
        device_model: pick(random, ['iPhone15,2', 'Pixel 8', 'SM-G991B']), os_version: pick(random, ['17.1', '14', '13']),
        ...(chance(random, 0.5) ? { ad_id: `ad-${device}`, ad_id_type: pick(random, ['ios_idfa', 'google_ad_id', 'roku_ad_id']), ad_tracking_enabled: chance(random, 0.5) } : {}),
        ...(chance(random, 0.3) ? { carrier: 'Carrier' } : {}),
      });
    }
    if (chance(random, 0.3)) behavior('app.FirstSession', u, time(), { app_id: u.app, device_id: pick(random, u.devices) });
    if (chance(random, 0.3)) behavior('app.SessionEnd', u, time(), { app_id: u.app, duration: 30 });
    for (let k = int(random, 0, 6); k > 0; k--) behavior('CustomEvent', u, time(), { name: pick(random, ws.eventNames), ...(chance(random, 0.7) ? { app_id: u.app } : {}) });
    for (let k = int(random, 0, 3); k > 0; k--) {
      behavior('Purchase', u, time(), {
        product_id: pick(random, ws.products), price: int(random, 0, 5000) / 100, app_id: u.app,
        ...(chance(random, 0.8) ? { currency: pick(random, ['USD', 'EUR', 'jpy']) } : {}), ...(chance(random, 0.4) ? { quantity: int(random, 1, 4) } : {}),
      });
    }
    if (chance(random, 0.2)) behavior('Uninstall', u, time(), { app_id: u.app, device_id: pick(random, u.devices) });
    if (chance(random, 0.15)) behavior('UpgradedApp', u, time(), { app_id: pick(random, ws.apps) });
    if (chance(random, 0.3)) {
      const token = `tok-${u.devices[0]}`;
      behavior('pushnotification.TokenStateChange', u, time(), { app_id: u.app, platform: 'ios', push_token: token, push_token_state_change_type: 'add', push_token_device_id: u.devices[0] });
      if (chance(random, 0.3)) behavior('pushnotification.TokenStateChange', u, time(), { app_id: u.app, push_token: token, push_token_state_change_type: 'remove' });
    }
    for (const card of ws.cards) {
      if (!chance(random, 0.3)) continue;
      const t = time();
      const ids = chance(random, 0.3) ? { card_id: `internal-${card}`, card_api_id: card } : { card_id: card };
      currents({ id: id(), event_type: 'users.messages.newsfeedcard.Impression', time: t, ...who(u), ...ids });
      if (chance(random, 0.5)) {
        currents({ id: id(), event_type: 'users.messages.newsfeedcard.Click', time: t + int(random, 0, 7200), ...who(u), ...ids });
        // A second click a few minutes later, mostly in the same unit: one unique click, two clicks.
        if (chance(random, 0.3)) currents({ id: id(), event_type: 'users.messages.newsfeedcard.Click', time: t + int(random, 7200, 7800), ...who(u), ...ids });
      }
    }
  }

  // ---- campaigns and Canvases: a receipt, then some of its channel's engagement
  const message = (u: GenUser, m: MessageSpec, t0: number, base: Record<string, unknown>) => {
    if (m.control) {
      currents({ id: id(), event_type: 'users.campaigns.EnrollInControl', time: t0, ...who(u), ...base });
      return;
    }
    const flow = FLOWS[m.channel];
    const platform = m.channel in PUSH_PLATFORM ? (chance(random, 0.85) ? PUSH_PLATFORM[m.channel] : pick(random, PLATFORMS)) : undefined;
    const steps = [flow[0], ...flow.slice(1).filter(() => chance(random, 0.45))];
    let t = t0;
    for (const step of steps) {
      const extra: Record<string, unknown> = { ...base, ...(platform ? { platform } : {}) };
      if (step === 'email.Open' && chance(random, 0.3)) extra.machine_open = 'true';
      if (step === 'pushnotification.Open' && chance(random, 0.4)) extra.button_string = 'Buy';
      if (step === 'inappmessage.Click' && chance(random, 0.6)) extra.button_id = pick(random, ['0', '1', '2']);
      if (step === 'sms.InboundReceive') Object.assign(extra, pick(random, [{ action: 'Unsubscribed', message_body: 'STOP' }, { message_body: ' help ' }, { message_body: 'hi' }]));
      currents({ id: id(), event_type: `users.messages.${step}`, time: t, ...who(u), ...extra });
      t += int(random, 0, 3 * 3600);
    }
  };
  const named = users.filter((x) => x.brazeId || x.externalId);
  for (const c of ws.campaigns) {
    for (const u of named.filter(() => chance(random, 0.5))) {
      for (let k = int(random, 1, 2); k > 0; k--) {
        const m = pick(random, c.messages);
        const send = c.sendIds.length > 0 && chance(random, 0.8) ? { send_id: pick(random, c.sendIds) } : {};
        message(u, m, time(), { campaign_id: c.id, ...(chance(random, 0.95) ? { message_variation_id: m.variation } : {}), ...send, campaign_name: `Events name ${c.id}` });
      }
      if (chance(random, 0.1)) currents({ id: id(), event_type: 'users.campaigns.Conversion', time: time(), ...who(u), campaign_id: c.id });
    }
  }
  for (const c of ws.canvases) {
    for (const u of named.filter(() => chance(random, 0.5))) {
      const t0 = time();
      const variant = pick(random, c.variants);
      currents({ id: id(), event_type: 'users.canvas.Entry', time: t0, ...who(u), canvas_id: c.id, canvas_variation_id: variant, in_control_group: chance(random, 0.1) });
      for (const step of c.steps.filter(() => chance(random, 0.7))) {
        const m = pick(random, step.messages);
        const variation = chance(random, 0.5) ? { canvas_step_message_variation_id: m.variation } : { message_variation_id: m.variation };
        message(u, m, t0 + int(random, 0, 86_400), { canvas_id: c.id, canvas_variation_id: variant, canvas_step_id: step.id, canvas_name: `Events ${c.id}`, ...variation });
      }
      if (chance(random, 0.3)) currents({ id: id(), event_type: 'users.canvas.exit.PerformedEvent', time: t0 + 90_000, ...who(u), canvas_id: c.id });
    }
  }

  // ---- /users/track
  let t = 0;
  const ref = (u: GenUser): UserRef => {
    const r: UserRef = {};
    if (u.brazeId) r.braze_id = u.brazeId;
    const others: Array<() => void> = [];
    if (u.externalId) others.push(() => (r.external_id = u.externalId));
    if (u.alias) others.push(() => (r.alias = u.alias));
    if (u.email) others.push(() => (r.email = u.email));
    if (u.phone) others.push(() => (r.phone = u.phone));
    for (const o of others) if (chance(random, u.brazeId ? 0.3 : 0.5)) o();
    if (Object.keys(r).length === 0) pick(random, others)();
    return r;
  };
  for (const u of users) {
    for (let k = int(random, 0, 4); k > 0; k--) {
      const values: Record<string, unknown> = {};
      const set = (name: string, value: unknown) => chance(random, 0.35) && (values[name] = value);
      set('first_name', pick(random, ['Ann', 'Bob', 'Zoë', null]));
      set('country', pick(random, ['US', 'FR', 'IN', null]));
      set('language', pick(random, ['en', 'fr']));
      set('gender', pick(random, ['F', 'M', 'O']));
      set('dob', '1990-05-17');
      set('email', u.email ?? null);
      if (u.phone) set('phone', u.phone);
      set('email_subscribe', pick(random, ['opted_in', 'subscribed', 'unsubscribed']));
      set('current_location', { latitude: 48.85, longitude: int(random, -180, 180) / 4 });
      set('plan', pick(random, ['gold', 'free', 'grün ☕']));
      set('level', int(random, 0, 9));
      set('score', int(random, 0, 100) / 8);
      set('tags', ['a', 'b'].filter(() => chance(random, 0.5)));
      set('vip', chance(random, 0.5));
      set('nested', { a: { b: int(random, 0, 3) } });
      const increments = chance(random, 0.2) ? { level: int(random, -2, 3) } : undefined;
      const arrayEdits = chance(random, 0.15) ? { tags: { add: ['c'], remove: ['a'] } } : undefined;
      items.push({
        kind: 'attribute',
        value: { user: ref(u), time: time(), values, ...(increments ? { increments } : {}), ...(arrayEdits ? { arrayEdits } : {}), ...(chance(random, 0.1) ? { updateExistingOnly: true } : {}) },
      });
    }
    for (let k = int(random, 0, 2); k > 0; k--) {
      const name = pick(random, ws.eventNames);
      items.push({ kind: 'event', value: { id: `track-${seed}-${t++}`, eventType: 'users.behaviors.CustomEvent', time: time(), user: ref(u), ...(chance(random, 0.5) ? { appId: u.app } : {}), name, payload: { name, properties: { k: 1 } } } });
    }
    if (chance(random, 0.4)) {
      const product = pick(random, ws.products);
      const price = int(random, 1, 900) / 100;
      const currency = pick(random, ['USD', 'EUR', 'JPY']);
      const quantity = int(random, 1, 3);
      items.push({
        kind: 'purchase',
        value: { id: `track-${seed}-${t++}`, eventType: 'users.behaviors.Purchase', time: time(), user: ref(u), appId: u.app, name: product, price, currency, quantity, payload: { product_id: product, price, currency, quantity } },
      });
    }
  }
  // Attributes of users nobody else names, to be made only if they exist (they do not).
  items.push({ kind: 'attribute', value: { user: { external_id: `ghost-${seed}` }, time: time(), values: { first_name: 'Ghost' }, updateExistingOnly: true } });

  spoil(random, items);
  const order = arrival(random, items);
  const batches = cut(random, order);
  const definitionsAt = batches.length < 2 ? 0 : Math.min(...batches[Math.floor(batches.length / 2)].items);
  return { ws, items: order, batches, identifiers: identifiersOf(users, seed), givenIds, definitionsAt };
}

function makeUsers(random: Random, ws: GeneratedWorkspace, count: number, givenIds: boolean): GenUser[] {
  const users: GenUser[] = [];
  for (let i = 0; i < count; i++) {
    const anonymous = !givenIds && chance(random, 0.4);
    const u: GenUser = {
      devices: [`dev-${ws.seed}-${i}a`, ...(chance(random, 0.3) ? [`dev-${ws.seed}-${i}b`] : [])],
      app: pick(random, ws.apps),
    };
    if (!anonymous) u.brazeId = `b${ws.seed}-${String(i).padStart(3, '0')}`;
    if (anonymous || chance(random, 0.6)) u.externalId = `x-${i}`;
    if (chance(random, 0.3)) u.alias = { alias_name: `alias-${i}`, alias_label: pick(random, ['crm', 'shop']) };
    if (chance(random, 0.5)) u.email = `user${i}@example.com`;
    if (chance(random, 0.2)) u.phone = `+1555${String(i).padStart(4, '0')}`;
    // An anonymous user with neither an external id nor an alias is named by its email.
    if (anonymous && !u.externalId && !u.alias) u.email ??= `anon${i}@example.com`;
    users.push(u);
  }
  // Some users share an email (an email may name several).
  for (let i = 0; i + 1 < users.length; i += 7) {
    if (users[i].email && chance(random, 0.6)) users[i + 1].email = users[i].email;
  }
  return users;
}

/** Makes some records invalid, and sends some again (some under the same id with other content). */
function spoil(random: Random, items: Item[]): void {
  const currents = items.filter((i): i is Extract<Item, { kind: 'currents' }> => i.kind === 'currents');
  for (const item of currents) {
    const r = item.record as Record<string, unknown>;
    const x = random();
    if (x < 0.004) item.record = pick(random, [[1, 2], 'text', 42]);
    else if (x < 0.008) delete r.id;
    else if (x < 0.012) r.event_type = 'users.behaviors.NoSuchThing';
    else if (x < 0.016) r.time = 'soon';
    else if (x < 0.02) { delete r.user_id; delete r.external_user_id; }
    else if (x < 0.024 && r.event_type === 'users.behaviors.CustomEvent') delete r.name;
    else if (x < 0.03 && r.event_type === 'users.behaviors.Purchase') Object.assign(r, pick(random, [{ currency: 'GBP' }, { quantity: 0 }, { price: 'free' }, { product_id: null }]));
  }
  for (const item of currents) {
    if (chance(random, 0.06)) items.push({ kind: 'currents', record: structuredClone(item.record) });
    else if (chance(random, 0.01) && !Array.isArray(item.record) && typeof item.record === 'object' && item.record !== null) {
      const r = item.record as Record<string, unknown>;
      if ('id' in r) items.push({ kind: 'currents', record: { ...r, time: Number(r.time) + 3600 } });
    }
  }
}

const itemTime = (i: Item): number => (i.kind === 'currents' ? Number((i.record as { time?: unknown })?.time) || 0 : i.value.time);

/**
 * Arrival order: roughly by time with much noise, or shuffled, or newest first; Currents records and
 * /users/track objects each in that order, coming in turns (a stretch of one, then of the other).
 */
function arrival(random: Random, items: Item[]): Item[] {
  const mode = int(random, 0, 2);
  const noise = 5 * 86_400;
  const ordered = (list: Item[]) => list
    .map((item, i) => ({ item, key: mode === 0 ? itemTime(item) + random() * noise : mode === 1 ? random() : -itemTime(item) - i * 1e-6 }))
    .sort((a, b) => a.key - b.key).map((k) => k.item);
  const currents = ordered(items.filter((i) => i.kind === 'currents'));
  const track = ordered(items.filter((i) => i.kind !== 'currents'));
  const out: Item[] = [];
  while (currents.length > 0 || track.length > 0) {
    out.push(...currents.splice(0, int(random, 60, 300)));
    out.push(...track.splice(0, int(random, 20, 120)));
  }
  return out;
}

const family = (i: Item) => (i.kind === 'currents' ? 'currents' : 'track');
const TRACK_ORDER = { attribute: 0, event: 1, purchase: 2, currents: 3 } as const;

/** Deliveries of consecutive items of one family; a /users/track batch holds attributes, then events, then purchases. */
function cut(random: Random, items: Item[]): Batch[] {
  const batches: Batch[] = [];
  let i = 0;
  while (i < items.length) {
    const f = family(items[i]);
    const size = f === 'currents' ? int(random, 20, 200) : int(random, 10, 75);
    const list: number[] = [];
    while (i < items.length && list.length < size && family(items[i]) === f) list.push(i++);
    if (f === 'track') list.sort((a, b) => TRACK_ORDER[items[a].kind] - TRACK_ORDER[items[b].kind] || a - b);
    batches.push({ items: list, format: chance(random, 0.7) ? 'ndjson' : 'array' });
  }
  return batches;
}

/** Another batching of the same deliveries: each cut in two, consecutive Currents bodies joined
 * (but not across `definitionsAt`). */
export function otherBatching({ items, batches, definitionsAt }: Pick<GeneratedData, 'items' | 'batches' | 'definitionsAt'>, seed: number): Batch[] {
  const random = prng(seed ^ 0x5eed);
  const split: Batch[] = batches.flatMap((b) => {
    if (b.items.length < 2 || chance(random, 0.3)) return [b];
    const at = int(random, 1, b.items.length - 1);
    return [{ items: b.items.slice(0, at), format: b.format }, { items: b.items.slice(at), format: chance(random, 0.5) ? 'ndjson' : 'array' }];
  });
  const out: Batch[] = [];
  for (const b of split) {
    const last = out.at(-1);
    const joinable = last && family(items[last.items[0]]) === 'currents' && family(items[b.items[0]]) === 'currents' && Math.min(...b.items) !== definitionsAt;
    if (last && joinable && chance(random, 0.4)) last.items = [...last.items, ...b.items];
    else out.push({ ...b });
  }
  return out;
}

function identifiersOf(users: GenUser[], seed: number): Record<UserIdKind, string[]> {
  const values = (f: (u: GenUser) => string | undefined) => [...new Set(users.map(f).filter((v): v is string => v !== undefined))];
  return {
    braze_id: [...values((u) => u.brazeId), `b${seed}-none`],
    external_id: [...values((u) => u.externalId), `ghost-${seed}`],
    alias: values((u) => (u.alias ? `${u.alias.alias_name}\u001f${u.alias.alias_label}` : undefined)),
    email: [...values((u) => u.email), 'nobody@example.com'],
    phone: values((u) => u.phone),
    device_id: [...new Set(users.flatMap((u) => u.devices))],
  };
}

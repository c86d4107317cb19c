import type { SegmentFilter } from '@brazen/analytics';
import type { Workspace } from '@brazen/store';
import { prng } from '../naive.ts';

/**
 * A seeded random workspace document (SPEC §5): a time zone (DST ones, half- and quarter-hour
 * offsets), apps, campaigns with multivariate and multichannel messages and conversion behaviours,
 * Canvases with variants and steps, segments whose filters use every leaf kind, cards and currency
 * rates. The records generator (records-gen.ts) draws its records from the same pools.
 */

export type Random = ReturnType<typeof prng> & {};

export const ZONES = ['UTC', 'America/New_York', 'Europe/Paris', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/St_Johns'];
/** First days of the periods (UTC): each holds a DST change in some zone, or a year's end. */
const STARTS = ['2024-10-20', '2024-03-01', '2024-03-25', '2024-09-28', '2024-12-20'];
/** Channels of a campaign message definition, as /campaigns/details names them. */
export const CHANNELS = ['email', 'ios_push', 'android_push', 'web_push', 'sms', 'webhook', 'trigger_in_app_message', 'content_cards', 'whats_app'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface MessageSpec {
  variation: string;
  channel: Channel;
  control: boolean;
}
export interface CampaignSpec {
  id: string;
  messages: MessageSpec[];
  sendIds: string[];
}
export interface CanvasSpec {
  id: string;
  variants: string[];
  steps: Array<{ id: string; messages: MessageSpec[] }>;
}

export interface GeneratedWorkspace {
  seed: number;
  zone: string;
  /** Epoch seconds of the first day's midnight, UTC. */
  start: number;
  days: number;
  /** The instant "now" queries use (after every record). */
  now: number;
  workspace: Workspace;
  apps: string[];
  campaigns: CampaignSpec[];
  canvases: CanvasSpec[];
  cards: string[];
  /** Custom event names: ASCII, accents, CJK, an astral character (code-point order differs from UTF-16's). */
  eventNames: string[];
  products: string[];
  currencies: string[];
  segments: Array<{ id: string; filter: SegmentFilter }>;
  customAttributes: string[];
}

export const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)];
export const int = (random: Random, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
export const chance = (random: Random, p: number): boolean => random() < p;

const WINDOWS = [1800, 3600, 7200, 86_400, 3 * 86_400];

function conversionBehaviors(random: Random, g: Pick<GeneratedWorkspace, 'apps' | 'products' | 'eventNames'>): unknown[] {
  const out: unknown[] = [];
  for (let i = int(random, 0, 4); i > 0; i--) {
    const window = pick(random, WINDOWS);
    switch (int(random, 0, 7)) {
      case 0: out.push({ type: 'Makes Any Purchase', window }); break;
      case 1: out.push({ type: 'Makes Specific Purchase', window, product: pick(random, g.products) }); break;
      case 2: out.push({ type: 'Performs Custom Event', window, custom_event_name: pick(random, g.eventNames) }); break;
      case 3: out.push({ type: 'Starts Session', window, app_ids: chance(random, 0.5) ? [pick(random, g.apps)] : null }); break;
      case 4: out.push({ type: 'Upgrades App', window, app_ids: chance(random, 0.5) ? [pick(random, g.apps)] : [] }); break;
      case 5: out.push({ type: 'Opens Email', window }); break;
      case 6: out.push({ type: 'Clicks Email', window }); break;
      default: out.push({ type: 'Unknown Behaviour', window }); // matches nothing, keeps its index
    }
  }
  return out;
}

function messages(random: Random, prefix: string): MessageSpec[] {
  const out: MessageSpec[] = [];
  const count = int(random, 1, 4);
  for (let i = 0; i < count; i++) out.push({ variation: `${prefix}-v${i}`, channel: pick(random, CHANNELS), control: false });
  if (chance(random, 0.4)) out.push({ variation: `${prefix}-ctl`, channel: out[0].channel, control: true });
  return out;
}

const messageDefs = (list: MessageSpec[], random: Random) => Object.fromEntries(list.map((m) => [m.variation, {
  channel: m.channel, ...(chance(random, 0.8) ? { name: `Name of ${m.variation}` } : {}), ...(m.control ? { type: 'control' } : {}),
}]));

const ATTRIBUTE_NAMES = ['country', 'first_name', 'language', 'plan', 'level', 'score', 'tags', 'vip', 'nested'];

function attributeLeaf(random: Random): SegmentFilter {
  const attribute = pick(random, ATTRIBUTE_NAMES);
  const op = pick(random, ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists', 'not_exists'] as const);
  if (op === 'exists' || op === 'not_exists') return { attribute, op };
  const scalars = ['US', 'FR', 'gold', 'Ann', 'a', 3, 7.5, 0, true, false];
  if (op === 'in') return { attribute, op, value: [pick(random, scalars), pick(random, scalars)] };
  let value = pick(random, scalars);
  if ((op === 'contains' || op.startsWith('g') || op.startsWith('l')) && typeof value === 'boolean') value = 'M';
  return { attribute, op, value };
}

const countOp = (random: Random) => pick(random, ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const);
const withinDays = (random: Random) => (chance(random, 0.6) ? { within_days: int(random, 1, 30) } : {});

function leaf(random: Random, g: GeneratedWorkspace): SegmentFilter {
  switch (int(random, 0, 6)) {
    case 0: return attributeLeaf(random);
    case 1: return { custom_event: pick(random, g.eventNames), op: countOp(random), count: int(random, 0, 3), ...withinDays(random) };
    case 2: return { purchased: chance(random, 0.5) ? null : pick(random, g.products), op: countOp(random), count: int(random, 0, 2), ...withinDays(random) };
    case 3: return { last_session_within_days: int(random, 1, 20) };
    case 4: return { session_count: { op: countOp(random), value: int(random, 0, 4) } };
    case 5: return { received_campaign: pick(random, g.campaigns).id, ...withinDays(random) };
    default: {
      const lo = int(random, 0, 9999);
      const hi = int(random, lo, 9999);
      return { random_bucket: chance(random, 0.3) ? { gte: lo } : chance(random, 0.5) ? { lte: hi } : { gte: lo, lte: hi } };
    }
  }
}

function filterTree(random: Random, g: GeneratedWorkspace, depth: number): SegmentFilter {
  if (depth === 0 || chance(random, 0.45)) return leaf(random, g);
  const kind = int(random, 0, 2);
  if (kind === 2) return { not: filterTree(random, g, depth - 1) };
  const list = Array.from({ length: int(random, 1, 3) }, () => filterTree(random, g, depth - 1));
  return kind === 0 ? { and: list } : { or: list };
}

export function generateWorkspace(seed: number): GeneratedWorkspace {
  const random = prng(seed);
  const zone = pick(random, ZONES);
  const start = Date.parse(`${pick(random, STARTS)}T00:00:00Z`) / 1000;
  const days = int(random, 12, 24);
  const g: GeneratedWorkspace = {
    seed, zone, start, days, now: start + (days + 1) * 86_400,
    workspace: { apps: [], campaigns: [], canvases: [], segments: [], cards: [] },
    apps: Array.from({ length: int(random, 1, 3) }, (_, i) => `app-${i + 1}`),
    campaigns: [], canvases: [],
    cards: Array.from({ length: int(random, 1, 3) }, (_, i) => `card-${i + 1}`),
    eventNames: ['Played', 'played', 'Level Up', 'Café ☕', '注册', '😀 smile', '\uFF5Etilde'].filter(() => chance(random, 0.8)).concat(['Opened']),
    products: ['sku-1', 'sku-2', 'Gem Pack', 'ünï'].filter(() => chance(random, 0.8)).concat(['coin']),
    currencies: ['USD', 'EUR', 'JPY'],
    segments: [],
    customAttributes: ATTRIBUTE_NAMES.filter((a) => !['country', 'first_name', 'language'].includes(a)),
  };
  for (let i = int(random, 1, 4); i > 0; i--) {
    const id = `cmp-${i}`;
    const list = messages(random, id);
    const api = chance(random, 0.4);
    g.campaigns.push({ id, messages: list, sendIds: api ? [`${id}-send-a`, `${id}-send-b`] : [] });
    g.workspace.campaigns.push({
      id, ...(chance(random, 0.8) ? { name: `Campaign ${i}` } : {}), is_api_campaign: api, messages: messageDefs(list, random),
      conversion_behaviors: conversionBehaviors(random, g),
    });
  }
  for (let i = int(random, 0, 2); i > 0; i--) {
    const id = `cnv-${i}`;
    const variants = Array.from({ length: int(random, 1, 3) }, (_, k) => `${id}-kv${k}`);
    const steps = Array.from({ length: int(random, 1, 3) }, (_, k) => ({ id: `${id}-st${k}`, messages: messages(random, `${id}-st${k}`).filter((m) => !m.control) }));
    g.canvases.push({ id, variants, steps });
    g.workspace.canvases.push({
      id, name: `Canvas ${i}`, variants: variants.map((v) => ({ id: v, ...(chance(random, 0.7) ? { name: `Variant ${v}` } : {}) })),
      steps: steps.map((s) => ({ id: s.id, ...(chance(random, 0.7) ? { name: `Step ${s.id}` } : {}), messages: messageDefs(s.messages, random) })),
      conversion_behaviors: conversionBehaviors(random, g),
    });
  }
  g.workspace.apps = g.apps.map((id) => ({ id, ...(chance(random, 0.8) ? { name: `App ${id}` } : {}) }));
  g.workspace.cards = g.cards.map((id) => ({ id, name: `Card ${id}` }));
  g.workspace.time_zone = zone;
  g.workspace.currency_rates = { EUR: 1.0873, JPY: 0.0067 };
  for (let i = 0; i < 8; i++) {
    const filter = filterTree(random, g, 3);
    g.segments.push({ id: `seg-${i}`, filter });
    g.workspace.segments.push({ id: `seg-${i}`, name: `Segment ${i}`, filter, analytics_tracking_enabled: true });
  }
  return g;
}

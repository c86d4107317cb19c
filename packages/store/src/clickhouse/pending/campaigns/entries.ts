import { CONTROL_CHANNEL } from '../engagement/index.ts';
import { conversionFigures, type ConversionCount } from '../conversions/figures.ts';
import { seriesChannelOfDefinition, variationCounters, type ActionCount } from './fields.ts';

/**
 * Builds the `messages` object and the conversion figures of `/campaigns/data_series`,
 * `/sends/data_series` and the Canvas step breakdowns from per-day counts.
 */

/** Events of one (day, part, variation, channel, action), and distinct users when tracked, as a
 * store answers them. The same key may come in several rows, to be summed. */
export interface MessageCount {
  day: number;
  part: string;
  variation: string;
  /** Series channel (`email`, `ios_push`, `trigger_in_app_message`, `control`, ...); '' with
   * action `recipient` for the distinct recipients of the whole campaign; `canvas` for entries. */
  channel: string;
  action: string;
  n: number;
  u: number;
}

/** A message variation from a definition's `messages`. */
export interface VariationDef {
  id: string;
  /** Series channel where the entry is listed (a control is listed in its channel's array). */
  channel: string;
  name?: string;
  control: boolean;
}

export type Entry = Record<string, string | number>;
export type ChannelEntries = Record<string, Entry[]>;

/** Variations of a definition's `messages` (message variation id → message). */
export function definedVariations(messages: unknown): VariationDef[] {
  if (typeof messages !== 'object' || messages === null) return [];
  const list = Object.entries(messages as Record<string, Record<string, unknown>>);
  const firstChannel = list
    .map(([, m]) => (m?.type === 'control' ? undefined : seriesChannelOfDefinition(str(m?.channel))))
    .find((c) => c !== undefined);
  return list.map(([id, m]) => {
    const control = m?.type === 'control';
    const channel = seriesChannelOfDefinition(str(m?.channel)) ?? firstChannel ?? 'trigger_in_app_message';
    return { id, channel, name: str(m?.name), control };
  });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const key = (variation: string, channel: string) => `${variation}\u0000${channel}`;

/**
 * One day's (or one window's) entries per channel. `counts` and `conversions` are already
 * restricted to that day and part. Variations with no definition but with data get an entry too.
 * `conversionCount` is the number of conversion behaviours (figures beyond it are left out).
 */
export function channelEntries(
  variations: VariationDef[],
  counts: MessageCount[],
  conversions: ConversionCount[],
  conversionCount: number,
): ChannelEntries {
  // variation → data channel → action → counts (and → conversion rows).
  const byKey = new Map<string, Map<string, Map<string, ActionCount>>>();
  for (const c of counts) {
    if (c.channel === '') continue;
    let channels = byKey.get(c.variation);
    if (!channels) byKey.set(c.variation, (channels = new Map()));
    let actions = channels.get(c.channel);
    if (!actions) channels.set(c.channel, (actions = new Map()));
    const prev = actions.get(c.action);
    if (prev) {
      prev.n += c.n;
      prev.u += c.u;
    } else actions.set(c.action, { n: c.n, u: c.u });
  }
  const convByKey = new Map<string, Map<string, ConversionCount[]>>();
  for (const c of conversions) {
    let channels = convByKey.get(c.variation);
    if (!channels) convByKey.set(c.variation, (channels = new Map()));
    const list = channels.get(c.channel);
    if (list) list.push(c);
    else channels.set(c.channel, [c]);
  }
  // (variation, data channel, listed channel): defined ones first, then any seen only in this day's
  // data (callers usually pass them already: variationsWithData).
  const seen = new Set(variations.map(dataKey));
  const pairs = [...byKey, ...convByKey].map(([variation, channels]) => [variation, channels.keys()] as const);
  const slots = [...variations, ...unseenVariations(pairs, seen, variations)].map((v) => ({
    variation: v.id, dataChannel: v.control ? CONTROL_CHANNEL : v.channel, channel: v.channel, name: v.name,
  }));
  const out: ChannelEntries = {};
  for (const s of slots) {
    const entry: Entry = { variation_name: s.name ?? s.variation, variation_api_id: s.variation };
    variationCounters(s.dataChannel, byKey.get(s.variation)?.get(s.dataChannel) ?? NO_COUNTS, entry);
    conversionFigures(convByKey.get(s.variation)?.get(s.dataChannel) ?? [], conversionCount, undefined, entry);
    (out[s.channel] ??= []).push(entry);
  }
  return out;
}

const NO_COUNTS: ReadonlyMap<string, ActionCount> = new Map();

/**
 * The defined variations plus every (variation, channel) seen in the window's data, so that each
 * day of a series lists the same entries.
 */
export function variationsWithData(variations: VariationDef[], counts: MessageCount[], conversions: ConversionCount[]): VariationDef[] {
  // (variation, channel) pairs of the rows: few, repeated over many rows (no key string a row).
  const pairs = new Map<string, Set<string>>();
  for (const rows of [counts, conversions]) {
    for (const r of rows) {
      if (r.channel === '') continue;
      const channels = pairs.get(r.variation);
      if (channels) channels.add(r.channel);
      else pairs.set(r.variation, new Set([r.channel]));
    }
  }
  return [...variations, ...unseenVariations(pairs, new Set(variations.map(dataKey)), variations)];
}

/** The key of a variation's data: its id and the channel its rows carry (`control` for a control). */
const dataKey = (v: VariationDef) => key(v.id, v.control ? CONTROL_CHANNEL : v.channel);

/**
 * Variations for the (variation, data channel) pairs of the data whose key is not in `seen`, in
 * key order: named as defined when the id is, and a control listed in its variation's channel.
 */
function unseenVariations(
  pairs: Iterable<readonly [string, Iterable<string>]>,
  seen: ReadonlySet<string>,
  variations: VariationDef[],
): VariationDef[] {
  const unseen = new Set<string>();
  for (const [variation, channels] of pairs) {
    for (const channel of channels) {
      const k = key(variation, channel);
      if (!seen.has(k)) unseen.add(k);
    }
  }
  if (unseen.size === 0) return [];
  const defined = new Map(variations.map((v) => [v.id, v]));
  return [...unseen].sort().map((k) => {
    const [id, channel] = k.split('\u0000');
    const def = defined.get(id);
    return channel === CONTROL_CHANNEL
      ? { id, channel: def?.channel ?? 'trigger_in_app_message', name: def?.name, control: true }
      : { id, channel, name: def?.name, control: false };
  });
}

/** Rows grouped by one of their fields, in the order the values first come. */
export function groupBy<T, K extends keyof T>(rows: T[], field: K): Map<T[K], T[]> {
  const out = new Map<T[K], T[]>();
  for (const r of rows) {
    const list = out.get(r[field]);
    if (list) list.push(r);
    else out.set(r[field], [r]);
  }
  return out;
}

/** Groups rows by day. */
export const byDay = <T extends { day: number }>(rows: T[]): Map<number, T[]> => groupBy(rows, 'day');

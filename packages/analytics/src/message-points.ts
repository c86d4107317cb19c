import {
  CONTROL_CHANNEL, receiptAction, seriesChannelOfDefinition, variationCounters, type ActionCount,
} from './campaign-series.ts';
import { conversionFields } from './conversions.ts';

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

/** Conversions of behaviour `idx` (0–3; -1 carries revenue) on one day, as a store answers them;
 * rows of one key are summed. */
export interface ConversionCount {
  day: number;
  part: string;
  variation: string;
  channel: string;
  idx: number;
  /** Conversions whose converting event fell on `day`. */
  conversions: number;
  /** Conversions whose receipt fell on `day`. */
  byReceipt: number;
  /** Revenue (USD) of purchases on `day` credited to the source. */
  revenue: number;
}

/** A message variation from a definition's `messages`. */
export interface VariationDef {
  id: string;
  /** Series channel where the entry is listed (a control is listed in its channel's array). */
  channel: string;
  name?: string;
  control: boolean;
}

export type Figures = Record<string, number>;
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
  const byKey = new Map<string, Map<string, ActionCount>>();
  for (const c of counts) {
    if (c.channel === '') continue;
    const k = key(c.variation, c.channel);
    let actions = byKey.get(k);
    if (!actions) byKey.set(k, (actions = new Map()));
    const prev = actions.get(c.action) ?? { n: 0, u: 0 };
    actions.set(c.action, { n: prev.n + c.n, u: prev.u + c.u });
  }
  const convByKey = new Map<string, ConversionCount[]>();
  for (const c of conversions) {
    const k = key(c.variation, c.channel);
    const list = convByKey.get(k) ?? [];
    list.push(c);
    convByKey.set(k, list);
  }
  // (variation, data channel, listed channel): defined ones first, then any seen only in data.
  const slots: Array<{ variation: string; dataChannel: string; channel: string; name?: string }> = [];
  const seen = new Set<string>();
  for (const v of variations) {
    const dataChannel = v.control ? CONTROL_CHANNEL : v.channel;
    seen.add(key(v.id, dataChannel));
    slots.push({ variation: v.id, dataChannel, channel: v.channel, name: v.name });
  }
  // Variations seen only in this day's data (callers usually pass them already: variationsWithData).
  const unseen = [...byKey.keys(), ...convByKey.keys()].filter((k) => !seen.has(k));
  if (unseen.length > 0) {
    const defined = new Map(variations.map((v) => [v.id, v]));
    for (const k of [...new Set(unseen)].sort()) {
      const [variation, dataChannel] = k.split('\u0000');
      const def = defined.get(variation);
      const channel = dataChannel === CONTROL_CHANNEL ? (def?.channel ?? 'trigger_in_app_message') : dataChannel;
      slots.push({ variation, dataChannel, channel, name: def?.name });
    }
  }
  const out: ChannelEntries = {};
  for (const s of slots) {
    const k = key(s.variation, s.dataChannel);
    const entry: Entry = { variation_name: s.name ?? s.variation, variation_api_id: s.variation };
    Object.assign(entry, variationCounters(s.dataChannel, byKey.get(k) ?? new Map()));
    Object.assign(entry, conversionFigures(convByKey.get(k) ?? [], conversionCount));
    (out[s.channel] ??= []).push(entry);
  }
  return out;
}

/** `revenue`, `conversions`, `conversions_by_send_time`, `conversions1`, ... summed over rows. */
export function conversionFigures(rows: ConversionCount[], conversionCount: number, byReceiptName = '_by_send_time'): Figures {
  const out: Figures = { revenue: 0 };
  for (let i = 0; i < Math.max(1, conversionCount); i++) {
    const f = conversionFields(i);
    out[f.byConversion] = 0;
    out[f.byConversion + byReceiptName] = 0;
  }
  for (const r of rows) {
    if (r.idx < 0) {
      out.revenue += r.revenue;
      continue;
    }
    if (r.idx >= Math.max(1, conversionCount)) continue;
    const f = conversionFields(r.idx);
    out[f.byConversion] += r.conversions;
    out[f.byConversion + byReceiptName] += r.byReceipt;
  }
  out.revenue = Math.round(out.revenue * 100) / 100;
  return out;
}

/**
 * The defined variations plus every (variation, channel) seen in the window's data, so that each
 * day of a series lists the same entries.
 */
export function variationsWithData(variations: VariationDef[], counts: MessageCount[], conversions: ConversionCount[]): VariationDef[] {
  const out = [...variations];
  const seen = new Set(variations.map((v) => key(v.id, v.control ? CONTROL_CHANNEL : v.channel)));
  const defined = new Map(variations.map((v) => [v.id, v]));
  const found = new Set<string>();
  for (const rows of [counts, conversions]) {
    for (const r of rows) if (r.channel !== '') found.add(key(r.variation, r.channel));
  }
  for (const k of [...found].filter((x) => !seen.has(x)).sort()) {
    if (seen.has(k)) continue;
    seen.add(k);
    const [id, channel] = k.split('\u0000');
    const def = defined.get(id);
    if (channel === CONTROL_CHANNEL) out.push({ id, channel: def?.channel ?? 'trigger_in_app_message', name: def?.name, control: true });
    else out.push({ id, channel, name: def?.name, control: false });
  }
  return out;
}

/** Groups rows by day. */
export function byDay<T extends { day: number }>(rows: T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const list = out.get(r.day);
    if (list) list.push(r);
    else out.set(r.day, [r]);
  }
  return out;
}

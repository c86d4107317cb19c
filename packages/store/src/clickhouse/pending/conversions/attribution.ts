import type { RecordedData, StoredEvent } from '../records.ts';
import { CANVAS_CHANNEL, engagementRows, type EngagementRow, type MessageSource } from '../engagement/index.ts';
import type { MessageStatsQuery } from '../campaigns/types.ts';
import { localDayOf } from '../series/days.ts';
import { byCodePoint } from '../series/order.ts';
import {
  SAME_MESSAGE_KINDS, behaviorsByObject, conversionKind, type ConversionDefinitions, type ConversionKind, type ConversionSpec,
} from './behaviors.ts';
import type { ConversionCount } from './figures.ts';

/**
 * Conversion attribution (SPEC §3): which receipts converted, when, and which receipt a purchase's
 * revenue is credited to. See behaviors.ts for the rule in words.
 */

/** A receipt that starts conversion windows: a receipt row (send, in-app impression, control
 * enrolment) or a Canvas entry. Receipts equal in every field (a send recorded twice under two ids)
 * are one. */
export type ConversionReceipt = Pick<EngagementRow, 'src' | 'obj' | 'part' | 'variation' | 'channel' | 'send' | 'user' | 'time'>;

/** A conversion of behaviour `idx` (the first matching event after a receipt), or with `idx` -1 a
 * purchase credited to the receipt. */
export interface ConversionMatch extends Omit<ConversionReceipt, 'time'> {
  idx: number;
  receiptTime: number;
  /** The converting event's (or the purchase's) time. */
  time: number;
  /** USD of the credited purchase (idx -1); null for conversions. */
  revenue: number | null;
}

export function conversionReceipts(data: RecordedData): ConversionReceipt[] {
  const seen = new Set<string>();
  const out: ConversionReceipt[] = [];
  for (const e of data.events) {
    for (const r of engagementRows(e)) {
      if (!r.receipt && r.channel !== CANVAS_CHANNEL) continue;
      const receipt = { src: r.src, obj: r.obj, part: r.part, variation: r.variation, channel: r.channel, send: r.send, user: r.user, time: r.time };
      const key = JSON.stringify(receipt);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(receipt);
    }
  }
  return out;
}

/** The behaviours that apply to a receipt: its campaign's, or its Canvas's (for entries and steps). */
const behaviorKey = (src: MessageSource, obj: string) => `${src === 'step' ? 'canvas' : src}\u0000${obj}`;

function matches(spec: ConversionSpec, receipt: ConversionReceipt, e: StoredEvent): boolean {
  if (e.time < receipt.time || e.time > receipt.time + spec.window) return false;
  if (spec.name !== null && e.name !== spec.name) return false;
  if (spec.appIds !== null && (e.appId === null || !spec.appIds.includes(e.appId))) return false;
  if (SAME_MESSAGE_KINDS.includes(spec.kind) && (e.campaignId ?? e.canvasId) !== receipt.obj) return false;
  return true;
}

/** Every conversion and credited purchase of the recorded data under the workspace's behaviours. */
export function conversionMatches(data: RecordedData, ws: ConversionDefinitions): ConversionMatch[] {
  const behaviors = behaviorsByObject(ws);
  // The events each user could convert by, by kind, in time order.
  const byUser = new Map<string, Map<ConversionKind, StoredEvent[]>>();
  for (const e of data.events) {
    const kind = conversionKind(e);
    if (kind === undefined) continue;
    let kinds = byUser.get(e.user);
    if (!kinds) byUser.set(e.user, (kinds = new Map()));
    const list = kinds.get(kind);
    if (list) list.push(e);
    else kinds.set(kind, [e]);
  }
  for (const kinds of byUser.values()) for (const list of kinds.values()) list.sort((a, b) => a.time - b.time);

  const out: ConversionMatch[] = [];
  const receipts = conversionReceipts(data);
  for (const r of receipts) {
    const { time: receiptTime, ...rest } = r;
    // Per behaviour index, the earliest matching event (two definitions of one id may both list an index).
    const first = new Map<number, number>();
    for (const spec of behaviors.get(behaviorKey(r.src, r.obj)) ?? []) {
      const hit = byUser.get(r.user)?.get(spec.kind)?.find((e) => matches(spec, r, e));
      const earlier = first.get(spec.index);
      if (hit && (earlier === undefined || hit.time < earlier)) first.set(spec.index, hit.time);
    }
    for (const [idx, time] of [...first].sort((a, b) => a[0] - b[0])) out.push({ ...rest, idx, receiptTime, time, revenue: null });
  }
  out.push(...creditedPurchases(data, receipts, behaviors, byUser));
  return out;
}

/**
 * Each purchase inside a primary (index 0) window of receipts of one campaign, Canvas or step is
 * credited once, to the latest of those receipts; receipts at the same time go by variation, then
 * channel, then send (code-point order).
 */
function creditedPurchases(
  data: RecordedData,
  receipts: ConversionReceipt[],
  behaviors: Map<string, ConversionSpec[]>,
  byUser: Map<string, Map<ConversionKind, StoredEvent[]>>,
): ConversionMatch[] {
  const groups = new Map<string, ConversionReceipt[]>();
  for (const r of receipts) {
    const key = JSON.stringify([r.src, r.obj, r.part, r.user]);
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  const out: ConversionMatch[] = [];
  for (const group of groups.values()) {
    const { src, obj, user } = group[0];
    const primary = (behaviors.get(behaviorKey(src, obj)) ?? []).filter((s) => s.index === 0);
    if (primary.length === 0) continue;
    for (const purchase of byUser.get(user)?.get('purchase') ?? []) {
      let best: ConversionReceipt | undefined;
      for (const r of group) {
        if (!primary.some((s) => purchase.time >= r.time && purchase.time <= r.time + s.window)) continue;
        if (best === undefined || laterReceipt(r, best)) best = r;
      }
      if (best === undefined) continue;
      const { time: receiptTime, ...rest } = best;
      out.push({ ...rest, idx: -1, receiptTime, time: purchase.time, revenue: purchase.revenue });
    }
  }
  return out;
}

function laterReceipt(a: ConversionReceipt, b: ConversionReceipt): boolean {
  if (a.time !== b.time) return a.time > b.time;
  return (byCodePoint(a.variation, b.variation) || byCodePoint(a.channel, b.channel) || byCodePoint(a.send, b.send)) < 0;
}

/**
 * Conversions and revenue per local day of each query (the store port's `conversionStats`): by the
 * day of the converting event (`conversions`, revenue) and by the day of the receipt (`byReceipt`),
 * summed per (day, part, variation, channel, idx); rows that sum to nothing are left out.
 */
export function conversionStats(
  data: RecordedData, ws: ConversionDefinitions, zone: string, queries: readonly MessageStatsQuery[],
): ConversionCount[][] {
  const all = conversionMatches(data, ws);
  const dayOf = localDayOf(zone);
  return queries.map((q) => {
    const scope = q.scope ?? '';
    const sums = new Map<string, ConversionCount>();
    const add = (day: number, m: ConversionMatch, conversions: number, byReceipt: number, revenue: number) => {
      if (day < q.fromDay || day > q.toDay) return;
      const key = JSON.stringify([day, m.part, m.variation, m.channel, m.idx]);
      let row = sums.get(key);
      if (!row) sums.set(key, (row = { day, part: m.part, variation: m.variation, channel: m.channel, idx: m.idx, conversions: 0, byReceipt: 0, revenue: 0 }));
      row.conversions += conversions;
      row.byReceipt += byReceipt;
      row.revenue += revenue;
    };
    for (const m of all) {
      if (m.src !== q.src || m.obj !== q.obj || (scope !== '' && m.send !== scope)) continue;
      if (m.idx >= 0) {
        add(dayOf(m.time), m, 1, 0, 0);
        add(dayOf(m.receiptTime), m, 0, 1, 0);
      } else add(dayOf(m.time), m, 0, 0, m.revenue ?? 0);
    }
    return [...sums.values()].filter((r) => r.conversions !== 0 || r.byReceipt !== 0 || Math.abs(r.revenue) > 1e-9);
  });
}

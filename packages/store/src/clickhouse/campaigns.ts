/**
 * Campaign, send, Canvas and card engagement, and conversions, from the records of the users who
 * received them (the rules: `messageStats`, `conversionStats`, `receiptSpan`, `seriesDays`,
 * `cardStats`), computed slice by slice of those users on each shard and added up: a user's rows
 * are all on one shard, so distinct users of disjoint slices add.
 */
import type { CardStatRow, CardStatsQuery, ConversionStatRow, MessageSource, MessageStatRow, MessageStatsQuery, ReceiptSpan, SeriesDays } from '../campaign-types.ts';
import type { Workspace } from '../types.ts';
import type { EngineContext } from './context.ts';
import { cardStats, conversionStats, messageStats, receiptSpan, seriesDays } from '@brazen/analytics';
import { mapSlices } from './slices.ts';
import { join, sql, type Sql } from './sql.ts';

/** Events of the campaigns and Canvases named (the users who have one are the ones that count). */
const ofObjects = (objs: readonly string[]): Sql => {
  const list = join([...new Set(objs)].map((o) => sql`${o}`));
  return sql`campaign_id IN (${list}) OR canvas_id IN (${list})`;
};

const zoneOf = (doc: Workspace) => doc.time_zone ?? 'UTC';

/** Rows of each query from every slice (rows of one key are summed by the reader). */
function concat<T>(parts: T[][][], queries: number): T[][] {
  return Array.from({ length: queries }, (_, i) => parts.flatMap((p) => p[i]));
}

export async function engagementStats(ctx: EngineContext, ws: string, doc: Workspace, queries: MessageStatsQuery[]): Promise<MessageStatRow[][]> {
  if (queries.length === 0) return [];
  const filter = ofObjects(queries.map((q) => q.obj));
  const parts = await mapSlices(ctx, ws, (data) => messageStats(data, zoneOf(doc), queries), { having: filter, events: filter, eventsOnly: true });
  return concat(parts, queries.length);
}

export async function conversions(ctx: EngineContext, ws: string, doc: Workspace, queries: MessageStatsQuery[]): Promise<ConversionStatRow[][]> {
  if (queries.length === 0) return [];
  // Every event of a recipient may convert: only the recipients are chosen.
  const parts = await mapSlices(ctx, ws, (data) => conversionStats(data, doc, zoneOf(doc), queries), { having: ofObjects(queries.map((q) => q.obj)), eventsOnly: true });
  return concat(parts, queries.length);
}

const earliest = (values: Array<number | null>) => values.reduce<number | null>((m, v) => (v === null ? m : m === null ? v : Math.min(m, v)), null);
const latest = (values: Array<number | null>) => values.reduce<number | null>((m, v) => (v === null ? m : m === null ? v : Math.max(m, v)), null);

export async function receipts(ctx: EngineContext, ws: string, src: MessageSource, obj: string, send?: string): Promise<ReceiptSpan> {
  const filter = ofObjects([obj]);
  const spans = await mapSlices(ctx, ws, (data) => receiptSpan(data, src, obj, send), { having: filter, events: filter, eventsOnly: true });
  return { first: earliest(spans.map((s) => s.first)), last: latest(spans.map((s) => s.last)) };
}

export async function engagementDays(ctx: EngineContext, ws: string, doc: Workspace, src: MessageSource, obj: string, scope: string): Promise<SeriesDays> {
  const filter = ofObjects([obj]);
  const days = await mapSlices(ctx, ws, (data) => seriesDays(data, zoneOf(doc), src, obj, scope), { having: filter, events: filter, eventsOnly: true });
  return { first: earliest(days.map((d) => d.first)), last: latest(days.map((d) => d.last)) };
}

export async function cardEngagement(ctx: EngineContext, ws: string, q: CardStatsQuery): Promise<CardStatRow[]> {
  // The card may be named in the payload (card_api_id): every card event is read, the rule picks.
  const filter = sql`category = 'feed_card'`;
  const parts = await mapSlices(ctx, ws, (data) => cardStats(data, q), { having: filter, events: filter, eventsOnly: true });
  const byUnit = new Map<number, CardStatRow>();
  for (const row of parts.flat()) {
    const sum = byUnit.get(row.unit) ?? { unit: row.unit, impressions: 0, clicks: 0, uniqueImpressions: 0, uniqueClicks: 0 };
    sum.impressions += row.impressions;
    sum.clicks += row.clicks;
    sum.uniqueImpressions += row.uniqueImpressions;
    sum.uniqueClicks += row.uniqueClicks;
    byUnit.set(row.unit, sum);
  }
  return [...byUnit.values()].sort((a, b) => a.unit - b.unit);
}

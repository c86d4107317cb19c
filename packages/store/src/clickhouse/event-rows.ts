/** Stored events as rows of `events_local`, and back. */
import type { StoredEvent } from '@brazen/analytics';
import type { EngineContext } from './context.ts';
import { COUNTER_KIND_OF_CATEGORY } from './pending/index.ts';
import { insertLocal, type TsvValue } from './shards.ts';
import { join, sql } from './sql.ts';

export const EVENT_COLUMNS = [
  'ws', 'user', 'id', 'seq', 'event_type', 'category', 'time', 'app_id', 'name', 'campaign_id', 'message_variation_id',
  'canvas_id', 'canvas_variation_id', 'canvas_step_id', 'send_id', 'card_id', 'platform', 'price', 'currency', 'quantity',
  'revenue', 'device_id', 'counter', 'payload',
] as const;

/** An event to store: the event, its arrival number, and its payload as JSON text. */
export interface EventToStore {
  event: StoredEvent;
  seq: number;
  /** The payload's JSON (the record's own line, when it was not changed). */
  payloadText?: string;
}

export function eventRow(ws: string, e: EventToStore): TsvValue[] {
  const v = e.event;
  return [
    ws, v.user, v.id, e.seq, v.eventType, v.category, v.time, v.appId, v.name, v.campaignId, v.messageVariationId,
    v.canvasId, v.canvasVariationId, v.canvasStepId, v.sendId, v.cardId, v.platform, v.price, v.currency, v.quantity,
    v.revenue, v.deviceId, COUNTER_KIND_OF_CATEGORY[v.category] ?? '', e.payloadText ?? JSON.stringify(v.payload),
  ];
}

export async function writeEvents(ctx: EngineContext, node: number, ws: string, events: readonly EventToStore[]): Promise<void> {
  await insertLocal(ctx.db, node, 'events_local', EVENT_COLUMNS, events.map((e) => eventRow(ws, e)));
}

/** Of the ids given, those stored (on any shard). */
export async function storedIds(ctx: EngineContext, ws: string, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 20_000) {
    const rows = await ctx.db.query<{ id: string }>(
      sql`SELECT DISTINCT id FROM ${ctx.db.table('event_ids')} WHERE ws = ${ws} AND id IN (${join(ids.slice(i, i + 20_000).map((id) => sql`${id}`))})`,
    );
    for (const r of rows) found.add(r.id);
  }
  return found;
}

/** Selected columns of `events` back as StoredEvents. */
export const EVENT_SELECT = sql`user, id, event_type, category, time, app_id, name, campaign_id, message_variation_id, canvas_id,
  canvas_variation_id, canvas_step_id, send_id, card_id, platform, price, currency, quantity, revenue, device_id, payload`;

export interface EventRecordRow {
  user: string;
  id: string;
  event_type: string;
  category: string;
  time: number;
  app_id: string | null;
  name: string | null;
  campaign_id: string | null;
  message_variation_id: string | null;
  canvas_id: string | null;
  canvas_variation_id: string | null;
  canvas_step_id: string | null;
  send_id: string | null;
  card_id: string | null;
  platform: string | null;
  price: number | null;
  currency: string | null;
  quantity: number | null;
  revenue: number | null;
  device_id: string | null;
  payload: string;
}

export function storedEvent(r: EventRecordRow): StoredEvent {
  return {
    id: r.id, eventType: r.event_type, category: r.category as StoredEvent['category'], time: r.time, user: r.user,
    appId: r.app_id, name: r.name, campaignId: r.campaign_id, messageVariationId: r.message_variation_id, canvasId: r.canvas_id,
    canvasVariationId: r.canvas_variation_id, canvasStepId: r.canvas_step_id, sendId: r.send_id, cardId: r.card_id,
    platform: r.platform, price: r.price, currency: r.currency, quantity: r.quantity, revenue: r.revenue, deviceId: r.device_id,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
  };
}

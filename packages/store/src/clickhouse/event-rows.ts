/** Stored events as rows of `events_local`, and back. */
import type { StoredEvent } from '@brazen/analytics';
import type { EngineContext } from './context.ts';
import { COUNTER_KIND_OF_CATEGORY } from '@brazen/analytics';
import { insertText, tsvField, TsvWriter } from './shards.ts';
import type { Probe } from './probe.ts';
import { sql } from './sql.ts';

export const EVENT_COLUMNS = [
  'ws', 'user', 'id', 'seq', 'event_type', 'category', 'time', 'app_id', 'name', 'campaign_id', 'message_variation_id',
  'canvas_id', 'canvas_variation_id', 'canvas_step_id', 'send_id', 'card_id', 'platform', 'price', 'currency', 'quantity',
  'revenue', 'device_id', 'counter', 'payload',
] as const;

/** An event to store: the event, its user, its arrival number, and its payload as JSON text. */
export interface EventToStore {
  event: Omit<StoredEvent, 'user'>;
  user: string;
  seq: number;
  /** The payload's JSON as UTF-8 bytes (the record's own NDJSON line, a view of the request's body,
   * when it was not changed); else the payload is serialised here. */
  payloadBytes?: Uint8Array;
}

/** The event's row, TabSeparated, into `out` (written straight, not through an array: a batch has
 * 100,000 of them; the payload's bytes are copied once, from the request's body). */
export function writeEventRow(out: TsvWriter, ws: string, e: EventToStore): void {
  const v = e.event;
  const t = tsvField;
  out.text(`${t(ws)}\t${t(e.user)}\t${t(v.id)}\t${e.seq}\t${t(v.eventType)}\t${t(v.category)}\t${t(v.time)}\t${t(v.appId)}\t${t(v.name)}\t`
    + `${t(v.campaignId)}\t${t(v.messageVariationId)}\t${t(v.canvasId)}\t${t(v.canvasVariationId)}\t${t(v.canvasStepId)}\t${t(v.sendId)}\t`
    + `${t(v.cardId)}\t${t(v.platform)}\t${t(v.price)}\t${t(v.currency)}\t${t(v.quantity)}\t${t(v.revenue)}\t${t(v.deviceId)}\t`
    + `${t(COUNTER_KIND_OF_CATEGORY[v.category] ?? '')}\t${e.payloadBytes ? '' : `${t(JSON.stringify(v.payload))}\n`}`);
  if (e.payloadBytes) {
    out.field(e.payloadBytes);
    out.byte(0x0a);
  }
}

export async function writeEvents(ctx: EngineContext, node: number, ws: string, events: readonly EventToStore[]): Promise<void> {
  const out = new TsvWriter(events.reduce((n, e) => n + 400 + (e.payloadBytes?.length ?? 0) * 2, 0));
  for (const e of events) writeEventRow(out, ws, e);
  await insertText(ctx.db, node, 'events_local', EVENT_COLUMNS, out.done());
}

/** Of the ids given, those stored (on any shard); `probe` is a session on the first node. */
export async function storedIds(ctx: EngineContext, ws: string, ids: readonly string[], probe: Probe): Promise<Set<string>> {
  const found = new Set<string>();
  if (ids.length === 0) return found;
  const table = await probe.table([['id', 'String']], ids.map((id) => [id]));
  // Ids of the same hash come back too (a chance match): only the batch's own are kept.
  const rows = await probe.query<{ id: string }>(
    sql`SELECT DISTINCT id FROM ${ctx.db.table('event_ids')} WHERE ws = ${ws} AND h GLOBAL IN (SELECT cityHash64(id) FROM ${table})`,
  );
  const wanted = new Set(ids);
  for (const r of rows) if (wanted.has(r.id)) found.add(r.id);
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

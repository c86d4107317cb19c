import { CURRENTS_EVENT_TYPES, type CurrentsCategory } from '@brazen/contract';
import type { StoredEvent } from '../records.ts';
import { fieldText, textAsDouble, textAsInteger, upperText } from './fields.ts';

/**
 * The rules a Currents record must pass to be stored, and what is stored of it (SPEC §4). A record
 * that breaks one is rejected on its own, with the message of the FIRST rule it breaks, in this
 * order; an engine that checks records in its own language generates its checks from these
 * (DuckDB: `ERRORS_SQL` in `duckdb/currents-sql.ts`), so that the same record gets the same words.
 */

/** Category of each Currents event type of the catalogue. */
export const CURRENTS_CATEGORIES: ReadonlyMap<string, CurrentsCategory> = new Map(CURRENTS_EVENT_TYPES.map((t) => [t.eventType, t.category]));

/**
 * The times a record may have, epoch seconds: from 1970 up to (not including) 2100-01-01. A time
 * outside is a mistake (milliseconds sent as seconds, a negative offset), never an event, and stored
 * it would put the record in a day no series asks for.
 */
export const CURRENTS_TIME_RANGE = { from: 0, before: 4_102_444_800 } as const;

export const CURRENTS_MESSAGES = {
  notAnObject: 'record must be a JSON object',
  noId: 'id is required',
  noEventType: 'event_type is required',
  unknownEventType: (eventType: string) => `event_type "${eventType}" is not a Braze Currents event type`,
  timeNotANumber: 'time must be a number of epoch seconds',
  timeOutOfRange: `time must be epoch seconds from ${CURRENTS_TIME_RANGE.from} (1970) up to ${CURRENTS_TIME_RANGE.before} (2100), not included`,
  noUser: 'user_id or external_user_id is required',
  noName: 'name is required for a custom event',
  noProductId: 'product_id is required for a purchase',
  priceNotANumber: 'price must be a number',
  badQuantity: 'quantity must be a positive integer',
  noRate: (currency: string) => `currency "${currency}" has no exchange rate: add currency_rates.${currency} to the workspace`,
} as const;

/** USD value of one unit of each currency, upper-cased codes (USD is 1 unless the workspace says otherwise). */
export type CurrencyRates = ReadonlyMap<string, number>;

export function currencyRates(workspaceRates: Readonly<Record<string, number>> | undefined): CurrencyRates {
  const rates = new Map<string, number>([['USD', 1]]);
  for (const [currency, usd] of Object.entries(workspaceRates ?? {})) rates.set(upperText(currency), usd);
  return rates;
}

/** USD value of a purchase: price × quantity (1 when absent) × the rate of its currency (USD when
 * absent); null when the currency has no rate. */
export function purchaseRevenue(price: number, quantity: number | null, currency: string | null, rates: CurrencyRates): number | null {
  const usd = rates.get(currency ?? 'USD');
  return typeof usd === 'number' ? price * (quantity ?? 1) * usd : null;
}

/** A valid record: the event to store and how it names its user (`''`: not named that way). */
export interface CurrentsRecord {
  event: Omit<StoredEvent, 'user'>;
  userId: string;
  externalUserId: string;
}

export type CurrentsReading = { record: CurrentsRecord; error?: undefined } | { error: string; record?: undefined };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A record checked against the rules, in their order, and normalised when it passes them all. */
export function readCurrentsRecord(value: unknown, rates: CurrencyRates): CurrentsReading {
  const m = CURRENTS_MESSAGES;
  if (!isObject(value)) return { error: m.notAnObject };
  const text = (field: string) => fieldText(value, field);
  const id = text('id');
  if (id === null || id === '') return { error: m.noId };
  const eventType = text('event_type');
  if (eventType === null) return { error: m.noEventType };
  const category = CURRENTS_CATEGORIES.get(eventType);
  if (category === undefined) return { error: m.unknownEventType(eventType) };
  const time = textAsDouble(text('time'));
  if (time === null) return { error: m.timeNotANumber };
  if (!(time >= CURRENTS_TIME_RANGE.from && time < CURRENTS_TIME_RANGE.before)) return { error: m.timeOutOfRange };
  // An empty id names nobody: a record naming its user only so would be stored without one.
  const userId = text('user_id') ?? '';
  const externalUserId = text('external_user_id') ?? '';
  if (userId === '' && externalUserId === '') return { error: m.noUser };
  const name = text('name');
  const productId = text('product_id');
  if (category === 'custom_event' && name === null) return { error: m.noName };
  if (category === 'purchase' && productId === null) return { error: m.noProductId };
  const price = textAsDouble(text('price'));
  if (category === 'purchase' && price === null) return { error: m.priceNotANumber };
  const quantityText = text('quantity');
  const quantity = textAsInteger(quantityText);
  if (quantityText !== null && (quantity === null || quantity < 1)) return { error: m.badQuantity };
  const currencyText = text('currency');
  const currency = currencyText === null ? null : upperText(currencyText);
  let revenue: number | null = null;
  if (category === 'purchase') {
    revenue = purchaseRevenue(price!, quantity, currency, rates);
    if (revenue === null) return { error: m.noRate(currency ?? 'USD') };
  }
  return {
    record: {
      userId,
      externalUserId,
      event: {
        id, eventType, category, time,
        appId: text('app_id'),
        name: category === 'purchase' ? productId : name,
        campaignId: text('campaign_id'),
        messageVariationId: text('message_variation_id'),
        canvasId: text('canvas_id'),
        canvasVariationId: text('canvas_variation_id'),
        canvasStepId: text('canvas_step_id'),
        sendId: text('send_id'),
        cardId: text('card_id'),
        platform: text('platform'),
        price, currency, quantity, revenue,
        deviceId: text('device_id'),
        payload: value,
      },
    },
  };
}

/** The records of one request: the valid ones to store (the first of each id, in request order)
 * with their position, and the rejected ones by position. */
export interface CurrentsBatch {
  records: Array<{ index: number; record: CurrentsRecord }>;
  errors: Array<{ index: number; message: string }>;
  /** Valid records left out because an earlier one of the request had their id. */
  repeated: number;
}

export function currentsBatch(values: readonly unknown[], rates: CurrencyRates): CurrentsBatch {
  const batch: CurrentsBatch = { records: [], errors: [], repeated: 0 };
  const ids = new Set<string>();
  values.forEach((value, index) => {
    const reading = readCurrentsRecord(value, rates);
    if (reading.error !== undefined) batch.errors.push({ index, message: reading.error });
    else if (ids.has(reading.record.event.id)) batch.repeated += 1;
    else {
      ids.add(reading.record.event.id);
      batch.records.push({ index, record: reading.record });
    }
  });
  return batch;
}

/** An event or purchase of /users/track, normalised by the server (its currency upper-cased). */
export interface TrackedEvent {
  id: string;
  eventType: string;
  time: number;
  appId?: string | null;
  name?: string | null;
  price?: number | null;
  currency?: string | null;
  quantity?: number | null;
  payload: Readonly<Record<string, unknown>>;
}

/** A /users/track event as stored: a Currents CustomEvent, or a Purchase (named by its product id). */
export function trackedEvent(e: TrackedEvent, rates: CurrencyRates): Omit<StoredEvent, 'user'> {
  const category: CurrentsCategory = e.eventType === 'users.behaviors.Purchase' ? 'purchase' : 'custom_event';
  return {
    id: e.id, eventType: e.eventType, category, time: e.time,
    appId: e.appId ?? null, name: e.name ?? null,
    campaignId: null, messageVariationId: null, canvasId: null, canvasVariationId: null, canvasStepId: null, sendId: null, cardId: null, platform: null,
    price: e.price ?? null, currency: e.currency ?? null, quantity: e.quantity ?? null,
    revenue: category === 'purchase' ? purchaseRevenue(e.price ?? 0, e.quantity ?? null, e.currency ?? null, rates) : null,
    deviceId: null,
    payload: e.payload,
  };
}

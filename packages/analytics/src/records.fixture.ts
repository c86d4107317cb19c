import { currentsEventType } from '@brazen/contract';
import type { AttributeEntry, RecordedData, StoredEvent, StoredUser } from './records.ts';

/**
 * Records for the tests of the rules: an event with only the fields a test names, and data
 * assembled from lists. Not part of the package's API.
 */

/** Epoch seconds of an ISO instant (`2024-03-01T10:00:00Z`). */
export const at = (iso: string): number => Date.parse(iso) / 1000;

let nextId = 0;

/** A stored event of `eventType` by `user` at `time`; the category comes from the Currents catalogue. */
export function event(eventType: string, user: string, time: number, fields: Partial<StoredEvent> = {}): StoredEvent {
  const category = currentsEventType(eventType)?.category ?? 'other';
  return {
    id: `e${++nextId}`, eventType, category, time, user, appId: null, name: null, campaignId: null, messageVariationId: null,
    canvasId: null, canvasVariationId: null, canvasStepId: null, sendId: null, cardId: null, platform: null, price: null,
    currency: null, quantity: null, revenue: null, deviceId: null, payload: {}, ...fields,
  };
}

/** The data of these events and attributes; every user they name exists from `createdAt` (default: their first record). */
export function recorded(events: StoredEvent[], attributes: AttributeEntry[] = [], users: StoredUser[] = []): RecordedData {
  const made = new Map(users.map((u) => [u.brazeId, u]));
  const first = new Map<string, number>();
  for (const r of [...events, ...attributes]) first.set(r.user, Math.min(first.get(r.user) ?? Infinity, r.time));
  for (const [user, time] of first) if (!made.has(user)) made.set(user, { brazeId: user, createdAt: time });
  return { users: [...made.values()], identities: [], events, attributes };
}

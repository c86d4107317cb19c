import type { CurrentsCategory } from '@brazen/contract';

/**
 * The recorded data of a workspace as Braze's rules read it: users, the events they did or were
 * sent, and their attribute history. Every rule of this package is a function of these (and of the
 * workspace document); engines keep them however they like, and the reference engine keeps exactly
 * these arrays.
 */

/** A stored event: a Currents record, or an event or purchase of /users/track. */
export interface StoredEvent {
  /** The record's id (Currents `id`); unique in a workspace. */
  id: string;
  /** Currents event type, e.g. `users.behaviors.app.SessionStart`. */
  eventType: string;
  category: CurrentsCategory;
  /** Epoch seconds (fractions allowed). */
  time: number;
  /** The braze_id of the user. */
  user: string;
  appId: string | null;
  /** The custom event's name, or the product id of a purchase. */
  name: string | null;
  campaignId: string | null;
  messageVariationId: string | null;
  canvasId: string | null;
  canvasVariationId: string | null;
  canvasStepId: string | null;
  sendId: string | null;
  cardId: string | null;
  platform: string | null;
  price: number | null;
  currency: string | null;
  quantity: number | null;
  /** USD value of a purchase: price × quantity (1 when absent) × the currency's rate; null otherwise. */
  revenue: number | null;
  deviceId: string | null;
  /** The record as received (Avro's JSON encoding unwrapped). */
  payload: Readonly<Record<string, unknown>>;
}

/** A user: the braze_id it is known by in exports, and when the store first made it. */
export interface StoredUser {
  brazeId: string;
  /** Epoch seconds. */
  createdAt: number;
}

/** An identity of a user: every braze_id, external id, alias (`name\u001flabel`), email, phone and
 * device id a user was named by. */
export interface StoredIdentity {
  kind: 'braze_id' | 'external_id' | 'alias' | 'email' | 'phone' | 'device_id';
  value: string;
  user: string;
}

/** One attribute value set on a user; the current value is the latest by (time, seq). */
export interface AttributeEntry {
  user: string;
  name: string;
  /** The value as set (JSON); null unsets. */
  value: unknown;
  /** Epoch seconds. */
  time: number;
  /** Order of arrival: breaks ties of `time`. */
  seq: number;
}

/** Everything recorded in a workspace. */
export interface RecordedData {
  readonly users: readonly StoredUser[];
  readonly identities: readonly StoredIdentity[];
  readonly events: readonly StoredEvent[];
  readonly attributes: readonly AttributeEntry[];
}

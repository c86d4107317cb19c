import { ApiError } from '../errors.ts';

/**
 * Braze's Custom Currents connector (the "Custom HTTP connector") POSTs batches of up to 100 events,
 * `{"events": [event, ...]}`, and retries a batch that is not answered with a 2xx. An event is a
 * Currents record nested:
 *
 *   {"event_type": "users.behaviors.Purchase", "id": "...", "time": 1700000000,
 *    "user": {"user_id": "...", "external_user_id": "...", "device_id": "...", "timezone": "..."},
 *    "properties": {"app_id": "...", "product_id": "...", "price": 3.14, "purchase_properties": {...}}}
 *
 * The record Currents writes to storage for the same event is flat: `user` and `properties` spread
 * into it; a custom event's `custom_properties` and a purchase's `purchase_properties` are its
 * `properties`, a JSON-encoded string (compared field by field against the real samples of
 * Appboy/currents-examples, where the Custom HTTP and Avro samples of a type hold the same event).
 */

/** The nested objects that hold a custom event's or a purchase's own properties, by name. */
const OWN_PROPERTIES = ['custom_properties', 'purchase_properties'] as const;

export interface ConnectorRecords {
  /** The flat records, one NDJSON line each, in batch order. */
  ndjson: string;
  /** The position in `events` of each line. */
  positions: number[];
  /** Events that cannot be flattened (an event that is not an object, a `user` that is not one). */
  errors: Array<{ index: number; message: string }>;
}

/** The events of a connector body, or a 400 naming what is wrong with it. */
export function connectorEvents(body: Buffer): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ApiError(400, `body is not valid JSON (${(error as Error).message}): send {"events": [...]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, 'body must be a JSON object {"events": [...]}');
  }
  const events = (parsed as Record<string, unknown>).events;
  if (!Array.isArray(events)) throw new ApiError(400, 'events is required and must be an array of Currents events');
  return events;
}

/** The flat Currents record of one connector event (what `/currents` and the storage files hold). */
export function flattenConnectorEvent(event: Record<string, unknown>): Record<string, unknown> {
  const { user, properties, ...top } = event;
  for (const [name, value] of [['user', user], ['properties', properties]] as const) {
    if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
      throw new EventShapeError(`${name} must be an object`);
    }
  }
  const record: Record<string, unknown> = { ...(properties as Record<string, unknown> | undefined) };
  for (const name of OWN_PROPERTIES) {
    if (!(name in record)) continue;
    const own = record[name];
    delete record[name];
    if (own !== null && own !== undefined) record.properties = typeof own === 'string' ? own : JSON.stringify(own);
  }
  // The event's own fields (event_type, id, time) and the user's identity win over a property of the same name.
  return Object.assign(record, user as Record<string, unknown> | undefined, top);
}

class EventShapeError extends Error {}

/** The records of a batch as NDJSON; events that cannot be flattened are left out and listed. */
export function connectorRecords(events: unknown[]): ConnectorRecords {
  const lines: string[] = [];
  const positions: number[] = [];
  const errors: ConnectorRecords['errors'] = [];
  events.forEach((event, index) => {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      errors.push({ index, message: `events[${index}] must be a JSON object` });
      return;
    }
    try {
      lines.push(JSON.stringify(flattenConnectorEvent(event as Record<string, unknown>)));
      positions.push(index);
    } catch (error) {
      if (!(error instanceof EventShapeError)) throw error;
      errors.push({ index, message: `events[${index}].${error.message}` });
    }
  });
  return { ndjson: lines.join('\n'), positions, errors };
}

/**
 * How many connector batches may be on their way to the store at once. Past that the store's writer
 * is behind, and a new batch is answered 429 with `Retry-After` (Braze sends it again; a 4xx other
 * than 429 it would drop); a closing server answers 503.
 */
export class ConnectorAdmission {
  private pending = 0;
  private closing = false;

  constructor(readonly maxPending: number) {}

  /** Takes a place for one batch, or throws the 429/503 to answer; call the result when stored. */
  admit(): () => void {
    if (this.closing) throw new ApiError(503, 'brazen is shutting down: send the batch again later');
    if (this.pending >= this.maxPending) {
      throw new ApiError(429, `brazen is storing ${this.pending} batches already: send this one again in a moment`);
    }
    this.pending += 1;
    let left = false;
    return () => {
      if (!left) this.pending -= 1;
      left = true;
    };
  }

  close(): void {
    this.closing = true;
  }
}

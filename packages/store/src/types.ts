import type { UserReference } from '@brazen/analytics';
export type * from './campaign-types.ts';
export type * from './segment-types.ts';

/** The records and documents brazen keeps, as every engine takes and gives them (see ports.ts). */

/** How a user is named in an ingested object. At least one field is set. */
export type UserRef = UserReference;

/** One behaviour or engagement event, normalised. `payload` keeps the record as received. */
export interface EventRecord {
  id: string;
  eventType: string;
  /** Epoch seconds. */
  time: number;
  user: UserRef;
  appId?: string | null;
  /** Custom event name, or product id for purchases. */
  name?: string | null;
  price?: number | null;
  currency?: string | null;
  quantity?: number | null;
  payload: Record<string, unknown>;
}

export interface AttributeRecord {
  user: UserRef;
  /** Epoch seconds. */
  time: number;
  /** Standard and custom attributes to set, values already resolved (no `inc`/`add` operators). */
  values: Record<string, unknown>;
  /** Increments of numeric custom attributes, applied to the stored value. */
  increments?: Record<string, number>;
  /** Array custom attribute edits applied to the stored value. */
  arrayEdits?: Record<string, { add?: unknown[]; remove?: unknown[] }>;
  updateExistingOnly?: boolean;
}

export interface TrackBatch {
  attributes: AttributeRecord[];
  events: EventRecord[];
  purchases: EventRecord[];
}

export interface RejectedObject {
  /** Which array of the request (`attributes`, `events`, `purchases`) or `currents`. */
  type: string;
  index: number;
  message: string;
}

export interface TrackResult {
  attributesProcessed: number;
  eventsProcessed: number;
  purchasesProcessed: number;
  errors: RejectedObject[];
}

export interface CurrentsResult {
  /** Records newly stored. */
  stored: number;
  /** Records whose id was already stored (or repeated in the same request): not counted again. */
  duplicates: number;
  errors: RejectedObject[];
}

export type { CounterKind } from '@brazen/analytics';

/** A custom attribute as recorded: its name and the first value it was given (not null), which is
 * what Braze types a custom attribute by. */
export interface CustomAttributeSample {
  name: string;
  /** The value as stored (parsed JSON). */
  firstValue: unknown;
}

export interface ApiKeyRecord {
  name: string;
  /** The workspace the key belongs to (and the only one it sees). */
  workspace: string;
  /** SHA-256 of the key, hex. The key itself is never stored. */
  hash: string;
  permissions: string[];
  createdAt: string;
}

/** The workspace document of SPEC §5. Definitions are kept as given. */
export interface Workspace {
  time_zone?: string;
  apps: Array<{ id: string; name?: string; platform?: string; [k: string]: unknown }>;
  campaigns: Array<Record<string, unknown>>;
  canvases: Array<Record<string, unknown>>;
  segments: Array<Record<string, unknown>>;
  cards: Array<Record<string, unknown>>;
  currency_rates?: Record<string, number>;
  [k: string]: unknown;
}

/** An object of a bucket whose records were all imported (the import ledger). */
export interface ImportedObject {
  /** `s3://BUCKET/KEY`. */
  url: string;
  etag: string;
  /** Records read from it (stored, already stored and rejected alike). */
  records: number;
  /** Epoch seconds. */
  importedAt: number;
}

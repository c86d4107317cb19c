import type {
  CardStatRow, CardStatsQuery, ConversionStatRow, MessageSource, MessageStatRow, MessageStatsQuery, ReceiptSpan, SeriesDays,
} from './campaign-types.ts';

export type * from './campaign-types.ts';
import type { SegmentFilter } from '@brazen/analytics';
import type { ExportJob, ExportJobPatch, ExportProfiles, ProfileOptions, RefreshOptions, SegmentInstant, UserIdKind } from './segment-types.ts';
export type * from './segment-types.ts';

/** The Store is the only part of brazen that knows how data is kept. Routes and analytics speak to it
 * in Braze's vocabulary (events, users, daily activity); each engine decides how to answer fast. */

/** How a user is named in an ingested object. At least one field is set. */
export interface UserRef {
  braze_id?: string;
  external_id?: string;
  alias?: { alias_name: string; alias_label: string };
  email?: string;
  phone?: string;
}

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

/** A Currents request body, kept as bytes: the store parses it itself (it is the hot path). */
export interface CurrentsBody {
  /** Path of a file holding the body. */
  file: string;
  format: 'ndjson' | 'array';
}

export type CounterKind = 'session' | 'custom_event' | 'purchase' | 'uninstall';

export interface CounterQuery {
  kind: CounterKind;
  /** Event name or product id; all when absent. */
  name?: string;
  appId?: string;
  /** Epoch seconds, inclusive. */
  from: number;
  /** Epoch seconds, exclusive. */
  to: number;
  /** Starts (epoch seconds, ascending) of contiguous units covering [from, to): when given, the
   * store may answer one total per unit, its `start` the unit's start, instead of every bucket. */
  unitStarts?: number[];
  /** When the units are local days of `zone`: their day numbers (days since 1970-01-01), parallel
   * to `unitStarts`, so that a store keeping daily totals in that zone can read those instead. */
  unitDays?: { zone: string; days: number[] };
}

/** Totals of one 15-minute UTC bucket (every time zone offset in use is a multiple of 15 minutes). */
export interface CounterBucket {
  /** Epoch seconds of the bucket's start. */
  start: number;
  count: number;
  quantity: number;
  revenue: number;
}

export const BUCKET_SECONDS = 900;

export type DailyMetric = 'dau' | 'mau' | 'new_users';

export interface DailyQuery {
  metric: DailyMetric;
  appId?: string;
  /** Local calendar days of the workspace time zone, `YYYY-MM-DD`, inclusive. */
  fromDay: string;
  toDay: string;
}

/** A custom attribute as recorded: its name and the first value it was given (not null), which is
 * what Braze types a custom attribute by. */
export interface CustomAttributeSample {
  name: string;
  /** The value as stored (parsed JSON). */
  firstValue: unknown;
}

export interface ApiKeyRecord {
  name: string;
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

export interface Store {
  readonly engine: string;
  close(): Promise<void>;

  ingestCurrents(body: CurrentsBody): Promise<CurrentsResult>;
  track(batch: TrackBatch): Promise<TrackResult>;

  counterSeries(q: CounterQuery): Promise<CounterBucket[]>;
  /** One value per local day from fromDay to toDay that has data; missing days are zero. */
  dailySeries(q: DailyQuery): Promise<Map<string, number>>;
  /** Custom event names, alphabetical. */
  eventNames(offset: number, limit: number): Promise<string[]>;
  /** Purchased product ids, alphabetical. */
  productIds(offset: number, limit: number): Promise<string[]>;
  /** Every custom attribute ever given a value other than null (standard attributes excluded),
   * ordered by name in code-point order. */
  customAttributeSamples(): Promise<CustomAttributeSample[]>;
  /** Whether a custom event or product of that name was ever recorded. */
  hasCounterName(kind: 'custom_event' | 'purchase', name: string): Promise<boolean>;

  /** Every stored event of a user, oldest first (for profiles and tests). */
  userEvents(user: UserRef): Promise<EventRecord[]>;
  /** Current attribute values of a user, or undefined when nobody has that identity. */
  userAttributes(user: UserRef): Promise<Record<string, unknown> | undefined>;
  countEvents(): Promise<number>;

  /** Campaign, send, Canvas and step engagement counts per local day (SPEC §3), the rows of each
   * query (several series are read at once: a Canvas and its steps). A key may come in several rows
   * (deltas not compacted yet): callers sum them. */
  messageStats(queries: MessageStatsQuery[]): Promise<MessageStatRow[][]>;
  /** Conversions and revenue per local day, from the definitions' conversion behaviours (the rows
   * of each query). */
  conversionStats(queries: MessageStatsQuery[]): Promise<ConversionStatRow[][]>;
  /** First and last receipt of a campaign (or Canvas entry), optionally of one send id. */
  receiptSpan(src: MessageSource, obj: string, send?: string): Promise<ReceiptSpan>;
  /** First and last local day with message events of a campaign, Canvas or send (`scope`). */
  seriesDays(src: MessageSource, obj: string, scope: string): Promise<SeriesDays>;
  /** News Feed card impressions and clicks per unit. */
  cardStats(q: CardStatsQuery): Promise<CardStatRow[]>;

  /** Members of a segment now (data up to and including `at`, epoch seconds). */
  segmentSize(filter: SegmentFilter | undefined, at: number): Promise<number>;
  /** Size at each instant: counting data strictly before it (the end of a day, i.e. the next
   * day's midnight) or up to and including it (`inclusive`, for now). */
  segmentSizes(filter: SegmentFilter | undefined, instants: SegmentInstant[]): Promise<number[]>;
  /** Like counterSeries, restricted to the users in the segment as of `at`. */
  segmentCounterSeries(q: CounterQuery, filter: SegmentFilter | undefined, at: number): Promise<CounterBucket[]>;
  /** uids named by each identifier value (email and phone may name several users). */
  findUsers(kind: UserIdKind, values: string[]): Promise<Map<string, number[]>>;
  /** User export objects (JSON text, least data possible), in the order of `uids`. */
  userProfiles(uids: number[], options: ProfileOptions): Promise<string[]>;
  createExportJob(job: ExportJob): Promise<void>;
  updateExportJob(id: string, patch: ExportJobPatch): Promise<void>;
  exportJobs(): Promise<ExportJob[]>;
  /** Takes the job's member list (ordered by uid) as of `at`; replaces an earlier, partial one. */
  snapshotExportMembers(jobId: string, filter: SegmentFilter | undefined, at: number): Promise<number>;
  /**
   * Brings kept profiles up to date, in batches: those of the job's members, or of every user
   * without a job. Returns how many users' profiles were computed. A server does it while idle, so
   * that an export reads profiles instead of computing them from the events.
   */
  refreshProfiles(jobId?: string, options?: RefreshOptions): Promise<number>;
  /** Reads the profiles of the job's members batch by batch; close it when done. */
  openExportProfiles(jobId: string, options: ProfileOptions): Promise<ExportProfiles>;
  dropExportMembers(jobId: string): Promise<void>;
  /** A random secret kept in the store, for signing download URLs (made on first use). */
  exportSecret(): Promise<string>;

  getWorkspace(): Promise<Workspace>;
  putWorkspace(ws: Workspace): Promise<void>;

  addApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKey(hash: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, oldest first (for listing: the caller shows no hash). */
  listApiKeys(): Promise<ApiKeyRecord[]>;
}

export class StoreError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown[],
  ) {
    super(message);
  }
}

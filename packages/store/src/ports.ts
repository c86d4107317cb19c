import type {
  ActivityQuery, CounterName, CounterQuery, SegmentFilter, UnitTotals,
} from '@brazen/analytics';
import type {
  CardStatRow, CardStatsQuery, ConversionStatRow, MessageSource, MessageStatRow, MessageStatsQuery, ReceiptSpan, SeriesDays,
} from './campaign-types.ts';
import type { ExportJob, ExportJobPatch, ExportProfiles, ProfileOptions, RefreshOptions, SegmentInstant, UserIdKind } from './segment-types.ts';
import type { ApiKeyRecord, CurrentsResult, CustomAttributeSample, ImportedObject, TrackBatch, TrackResult, Workspace } from './types.ts';

/**
 * The port: what the server needs of an engine, in Braze's vocabulary, cut by concern.
 *
 * - `AnalyticsData`: the records of one workspace and every figure computed from them;
 * - `Catalog`: what Braze keeps in its dashboard for a workspace (the definitions document), its
 *   export jobs and secrets;
 * - `KeyCatalog`: API keys of every workspace (a key names its workspace);
 * - optional capabilities (`KeptProfiles`) that an engine may lack: absent, never a silent no-op.
 *
 * Users are named by their braze_id (never an engine's row number); bodies reach an engine as bytes;
 * errors are `StoreError`s with a code, which the server alone maps to an HTTP status.
 */

export type {
  SeriesUnits, CounterQuery, UnitTotals, ActivityMetric, ActivityQuery, CounterName,
} from '@brazen/analytics';

/** A Currents body as received, NDJSON or a JSON array of records: its bytes, whole or streamed
 * (a large file is never read whole into memory). */
export interface CurrentsBody {
  bytes: Uint8Array | AsyncIterable<Uint8Array>;
  format: 'ndjson' | 'array';
  /** The same bytes in a file, left in place until the ingestion settles (its caller deletes it):
   * an engine that reads bodies from files reads this one where it is instead of copying `bytes`. */
  file?: string;
}

/** The records of one workspace, and the figures Braze computes from them (SPEC §3, §6). */
export interface AnalyticsData {
  // ---- ingestion (SPEC §4)
  ingestCurrents(body: CurrentsBody): Promise<CurrentsResult>;
  track(batch: TrackBatch): Promise<TrackResult>;
  /** Records stored (Currents records, /users/track events and purchases). */
  recordCount(): Promise<number>;

  // ---- series
  /** One total per unit of `q.units`, in their order. */
  counterSeries(q: CounterQuery): Promise<UnitTotals[]>;
  /** One value per day of `q.days`, in their order. */
  activitySeries(q: ActivityQuery): Promise<number[]>;
  /** Custom event names or product ids ever recorded, in code-point order. */
  names(kind: CounterName, offset: number, limit: number): Promise<string[]>;
  hasName(kind: CounterName, name: string): Promise<boolean>;
  /** Every custom attribute ever given a value other than null (standard attributes excluded), with
   * the first such value, in code-point order of the name. */
  customAttributeSamples(): Promise<CustomAttributeSample[]>;

  // ---- campaigns, sends, Canvases, cards
  /** Engagement counts per local day, the rows of each query; rows of one key are summed by the reader. */
  messageStats(queries: MessageStatsQuery[]): Promise<MessageStatRow[][]>;
  /** Conversions and revenue per local day from the definitions' conversion behaviours. */
  conversionStats(queries: MessageStatsQuery[]): Promise<ConversionStatRow[][]>;
  /** First and last receipt of a campaign (or Canvas entry), optionally of one send id. */
  receiptSpan(src: MessageSource, obj: string, send?: string): Promise<ReceiptSpan>;
  /** First and last local day with message events of a campaign, Canvas or send (`scope`). */
  seriesDays(src: MessageSource, obj: string, scope: string): Promise<SeriesDays>;
  cardStats(q: CardStatsQuery): Promise<CardStatRow[]>;

  // ---- segments
  /** Members at each instant (data strictly before it, or up to and including it when `inclusive`). */
  segmentSizes(filter: SegmentFilter | undefined, instants: SegmentInstant[]): Promise<number[]>;
  /** Like counterSeries, for the users in the segment as of `at` (epoch seconds, inclusive). */
  segmentCounterSeries(q: CounterQuery, filter: SegmentFilter | undefined, at: number): Promise<UnitTotals[]>;

  // ---- users and user exports
  /** braze_ids of the users each identifier names (an email or phone may name several). */
  findUsers(kind: UserIdKind, values: string[]): Promise<Map<string, string[]>>;
  /** User export objects (JSON text, least data possible), in the order of `brazeIds`. */
  userProfiles(brazeIds: string[], options: ProfileOptions): Promise<string[]>;
  /** Takes the job's members as of `at` (in braze_id order); replaces an earlier, partial snapshot. */
  snapshotExportMembers(jobId: string, filter: SegmentFilter | undefined, at: number): Promise<number>;
  openExportProfiles(jobId: string, options: ProfileOptions): Promise<ExportProfiles>;
  dropExportMembers(jobId: string): Promise<void>;
}

/** One workspace's definitions, export jobs and secrets. */
export interface Catalog {
  getWorkspace(): Promise<Workspace>;
  /** Stores the document; the engine brings whatever it derives from it (days in the time zone,
   * conversion behaviours, names in kept profiles) in line before this resolves. */
  putWorkspace(ws: Workspace): Promise<void>;
  createExportJob(job: ExportJob): Promise<void>;
  updateExportJob(id: string, patch: ExportJobPatch): Promise<void>;
  exportJobs(): Promise<ExportJob[]>;
  /** A random secret kept for `purpose` (made on first use), e.g. for signing download URLs. */
  secret(purpose: string): Promise<string>;
  /** The import ledger: bucket objects whose records are all stored, those whose URL starts with `prefix`. */
  importedObjects(prefix: string): Promise<ImportedObject[]>;
  /** Enters an object in the import ledger once every record of it is stored. */
  recordImportedObject(object: ImportedObject): Promise<void>;
}

/** API keys of every workspace; each key names its workspace. */
export interface KeyCatalog {
  addApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKey(hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(workspace: string): Promise<ApiKeyRecord[]>;
  /** Removes the workspace's keys but those whose hash is in `keep`; returns how many went. */
  removeApiKeys(workspace: string, keep: readonly string[]): Promise<number>;
}

/** Optional: export objects kept ready as data comes in, so that an export reads instead of computing. */
export interface KeptProfiles {
  /** Brings kept profiles up to date, in batches; returns how many were computed. */
  refresh(options?: RefreshOptions): Promise<number>;
}

/** Optional: tracked segments' histories kept as data comes in, so that segment sizes (and the
 * series restricted to a segment) read instead of computing. */
export interface KeptSegments {
  /** Brings kept segments up to date with the data and the definitions (new ones computed in full);
   * returns how many were brought up to date. */
  refresh(options?: RefreshOptions): Promise<number>;
}

/** One workspace as the server sees it. */
export interface WorkspaceStore {
  readonly name: string;
  readonly data: AnalyticsData;
  readonly catalog: Catalog;
  /** Present only when the engine keeps profiles. */
  readonly keptProfiles?: KeptProfiles;
  /** Present only when the engine keeps segments. */
  readonly keptSegments?: KeptSegments;
}

export const DEFAULT_WORKSPACE = 'default';

/** Names a workspace may take: they name folders and tables, so plain lower-case ASCII. */
export const WORKSPACE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Names a snapshot may take. */
export const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface WorkspaceInfo {
  name: string;
  /** ISO 8601; absent for `default`, which is as old as its data folder. */
  createdAt?: string;
}

export interface SnapshotInfo {
  name: string;
  /** ISO 8601. */
  createdAt: string;
  /** Records the workspace held when it was saved. */
  records: number;
  /** Room the snapshot takes. */
  bytes: number;
}

/**
 * Optional: a workspace brought back to a known state between tests (SPEC §10). A workspace is its
 * records, users, definitions document and export jobs; its API keys are not part of it (a reset
 * or a restore never changes who may call). After a reset or a restore, `Store.workspace(name)`
 * gives the workspace anew: a `WorkspaceStore` taken before must not be used again.
 */
export interface WorkspaceStates {
  /** Empties the workspace: records, users, export jobs; its definitions too when `definitions`
   * (the time zone stays: it is the workspace's, not a definition). */
  reset(workspace: string, options: { definitions: boolean }): Promise<void>;
  /** Saves the workspace as `snapshot` (replacing a snapshot of that name); `replaced` says so. */
  saveSnapshot(workspace: string, snapshot: string): Promise<SnapshotInfo & { replaced: boolean }>;
  /** The workspace's snapshots, by name. */
  snapshots(workspace: string): Promise<SnapshotInfo[]>;
  /** Puts the workspace back as it was saved; `not_found` for an unknown snapshot. */
  restoreSnapshot(workspace: string, snapshot: string): Promise<void>;
  deleteSnapshot(workspace: string, snapshot: string): Promise<void>;
}

/** An engine opened on a `--store` URL: one or more workspaces, and the keys of all of them. */
export interface Store {
  readonly engine: string;
  readonly keys: KeyCatalog;
  /** The named workspace (`default` for a data folder made before workspaces had names); a
   * StoreError `not_found` when there is none of that name. */
  workspace(name?: string): WorkspaceStore;
  /** Every workspace, `default` first, then by name. */
  workspaces(): Promise<WorkspaceInfo[]>;
  /** Makes an empty workspace holding `doc` as its definitions; `conflict` when the name is taken,
   * `invalid_input` when it does not match WORKSPACE_NAME. */
  createWorkspace(name: string, doc: Workspace): Promise<WorkspaceStore>;
  /** Reset and snapshots, when the engine has them. */
  readonly states?: WorkspaceStates;
  close(): Promise<void>;
}

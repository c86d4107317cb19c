import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { CURRENTS_EVENT_TYPES } from '@brazen/contract';
import { workspaceNames, type SegmentFilter } from '@brazen/analytics';
import type {
  CardStatRow, CardStatsQuery, ConversionStatRow, MessageSource, MessageStatRow, MessageStatsQuery, ReceiptSpan, SeriesDays,
} from '../campaign-types.ts';
import type { ApiKeyRecord, CurrentsResult, CustomAttributeSample, ImportedObject, TrackBatch, TrackResult, Workspace } from '../types.ts';
import type {
  ActivityQuery, AnalyticsData, Catalog, CounterName, CounterQuery, CurrentsBody, KeyCatalog, Store, UnitTotals, WorkspaceInfo, WorkspaceStore,
} from '../ports.ts';
import { DEFAULT_WORKSPACE } from '../ports.ts';
import type { ExportJob, ExportJobPatch, ExportProfiles, ProfileOptions, RefreshOptions, SegmentInstant, UserIdKind } from '../segment-types.ts';
import { StoreError } from '../errors.ts';
import * as apiKeys from './api-keys.ts';
import * as campaigns from './campaigns.ts';
import * as cards from './cards.ts';
import { customAttributeSamples } from './custom-attributes.ts';
import { attachWhenFree, CATALOG, Db } from './db.ts';
import * as exportJobs from './export-jobs.ts';
import * as importLedger from './import-ledger.ts';
import { GroupCommit } from './group-commit.ts';
import { Ingest, type SpooledBody } from './ingest.ts';
import { KeptProfileStore } from './kept-profiles.ts';
import { KeptSegmentStore } from './kept-segments.ts';
import { PendingRollups } from './pending-rollups.ts';
import * as profiles from './profiles.ts';
import { Rollups, totalsPerUnit, WorkspaceSettings } from './rollups.ts';
import { IDENTITY_INDEX_DDL, SCHEMA } from './schema.ts';
import * as segments from './segments.ts';
import { fillTempTable, one } from './sql.ts';
import { readingAfter, TrackLog } from './track-log.ts';
import { Users } from './users.ts';
import type { WriteSteps } from './write-steps.ts';

export interface DuckDbStoreOptions {
  /** Folder holding `brazen.duckdb`; `:memory:` for a throwaway store. */
  dataDir: string;
  /** Epoch milliseconds; injected by tests. */
  now?: () => number;
  /** DuckDB's memory limit, e.g. `256MB` (DuckDB's default: 80% of the RAM). */
  memoryLimit?: string;
  /** Stale marks of kept profiles are folded once this many were appended, or as many as there
   * are users if more (default 100,000; tests lower it). */
  foldStaleMarksAt?: number;
  /** Lines per kept compressed block of profile lines (default 250; tests lower it). */
  profileBlockLines?: number;
  /** The conversion tables are rewritten in time order once they hold this many rows, and again
   * each time they double (default 1,000,000; tests lower it). */
  sortConversionsAt?: number;
  /** Told before a one-time upgrade of a folder made by an earlier version that reads its stored
   * data (it may take a while on a big folder: 35 s on the 1M-user demo). */
  onUpgrade?: (what: string) => void;
  /** Tracked segments' histories kept (kept-segments.ts; default true): false answers segment sizes
   * and segment-restricted series from the records on every request, as before they were kept
   * (`BRAZEN_KEPT_SEGMENTS=off` for the commands). */
  keptSegments?: boolean;
  /** Users per batch of a tracked segment's history computed in full (default: as many as the
   * memory limit holds the records of; tests lower it). */
  segmentHistoryBatchUsers?: number;
  /** One workspace of several (engine.ts): the file is attached to their shared DuckDB instance
   * under `catalog`, and detached on close. */
  shared?: { instance: DuckDBInstance; catalog: string; workspace: string };
}

/** A DuckDB instance with brazen's settings (`memoryLimit`: DuckDB's, e.g. `1GB`). */
export function newDuckDbInstance(memoryLimit?: string): Promise<DuckDBInstance> {
  // A checkpoint rewrites every changed table and index: with DuckDB's default (16 MB of WAL) an
  // ingestion batch of a few MB each set one off. Every commit is durable regardless: in the WAL,
  // or, for full row groups (below), in the data file with the WAL naming them.
  const settings: Record<string, string> = { checkpoint_threshold: '256MB' };
  if (memoryLimit) settings.memory_limit = memoryLimit;
  return DuckDBInstance.create(':memory:', settings);
}

/** Rows per row group of the data file (DuckDB's default is 122,880); see `DuckDbStore.open`. */
const ROW_GROUP_SIZE = 32_768;

const fileBytes = (body: SpooledBody): number => {
  try {
    return statSync(body.file).size;
  } catch {
    return 0; // the staging read reports a missing file
  }
};

const EMPTY_WORKSPACE: Workspace = { apps: [], campaigns: [], canvases: [], segments: [], cards: [] };

/** Reads of the rollups: each first waits for the rollups of every Currents record acknowledged
 * before it (pending-rollups.ts), so a record a client was told is stored is counted by the series
 * it asks next. */
const ROLLUP_READERS = ['counterSeries', 'activitySeries', 'names', 'hasName', 'messageStats', 'conversionStats', 'receiptSpan', 'seriesDays'] as const;

/** What waits for the /users/track requests acknowledged before it (track-log.ts). */
const TRACK_READERS = [
  'ingestCurrents', 'recordCount', 'counterSeries', 'activitySeries', 'names', 'hasName', 'customAttributeSamples',
  'messageStats', 'conversionStats', 'receiptSpan', 'seriesDays', 'cardStats', 'segmentSizes', 'segmentCounterSeries',
  'findUsers', 'userProfiles', 'snapshotExportMembers', 'openExportProfiles', 'refresh', 'putWorkspace',
] as const;

/**
 * The embedded default: one DuckDB file, one writer at a time, reads on their own connections. This
 * class is the engine's face to the port; the work is in its rooms: `ingest.ts` (batches), `users.ts`
 * (identities), `rollups.ts` (counters, activity), `campaigns.ts` (engagement and conversions),
 * `segments.ts`, `profiles.ts` and `kept-profiles.ts` (user exports), `export-jobs.ts`.
 */
export class DuckDbStore implements Store, AnalyticsData, Catalog, KeyCatalog {
  readonly engine = 'duckdb';
  readonly keys: KeyCatalog = this;
  private readonly settings = new WorkspaceSettings();
  private readonly kept: KeptProfileStore;
  private readonly keptSegments: KeptSegmentStore;
  private readonly users: Users;
  private readonly rollups: Rollups;
  private readonly pending: PendingRollups;
  private readonly ingest: Ingest;
  private readonly currents: GroupCommit<SpooledBody, CurrentsResult>;
  private readonly trackLog: TrackLog;
  private readonly own: WorkspaceStore;

  private constructor(
    private readonly db: Db,
    private readonly options: DuckDbStoreOptions,
  ) {
    const now = options.now ?? Date.now;
    this.kept = new KeptProfileStore(db, {
      dataDir: options.dataDir,
      foldStaleMarksAt: options.foldStaleMarksAt ?? 100_000,
      linesPerBlock: options.profileBlockLines,
      users: () => this.users.nextUid,
      workspace: () => this.getWorkspace(),
    });
    this.keptSegments = new KeptSegmentStore(db, {
      workspace: () => this.getWorkspace(), zone: () => this.settings.zone, now, historyBatchUsers: options.segmentHistoryBatchUsers,
    });
    this.users = new Users(db, this.kept, now);
    this.rollups = new Rollups(db, this.settings, this.kept, { sortConversionsAt: options.sortConversionsAt ?? campaigns.SORT_CONVERSIONS_AT });
    this.pending = new PendingRollups(db, this.rollups);
    this.ingest = new Ingest(db, this.users, this.rollups, this.kept, this.settings, this.pending);
    // One staging read per group, so a group holds bodies of one format (a mix is rare).
    // The rollups of a group's records are made on the writer's same turn, once it is answered.
    this.currents = new GroupCommit(db, (group) => this.ingest.storeCurrents(group), (b) => b.format, fileBytes, () => this.pending.afterGroup());
    this.trackLog = new TrackLog(db, (group, within) => this.ingest.storeTrack(group, within), now, () => this.keptSegments.changed(),
      options.dataDir === ':memory:' ? undefined : options.dataDir);
    // Reads (and writes that must come after) see every /users/track request acknowledged before them.
    // (Wrapped second, so waited for first, as a read sees a request's records before their rollups.)
    readingAfter(this, ROLLUP_READERS, () => this.pending.settled());
    readingAfter(this, TRACK_READERS, () => this.trackLog.caughtUp());
    this.own = {
      name: options.shared?.workspace ?? DEFAULT_WORKSPACE, data: this, catalog: this, keptProfiles: this.kept,
      ...(options.keptSegments === false ? {} : { keptSegments: this.keptSegments }),
    };
  }

  /** Its one workspace; several workspaces in one folder are engine.ts's. */
  workspace(name: string = this.own.name): WorkspaceStore {
    if (name !== this.own.name) throw new StoreError('not_found', `workspace ${name} does not exist`);
    return this.own;
  }

  async workspaces(): Promise<WorkspaceInfo[]> {
    return [{ name: this.own.name }];
  }

  async createWorkspace(): Promise<WorkspaceStore> {
    throw new StoreError('capability_missing', 'this store holds one workspace: open the folder through the duckdb engine (openStore) to hold several');
  }

  static async open(options: DuckDbStoreOptions): Promise<DuckDbStore> {
    let path = ':memory:';
    if (options.dataDir !== ':memory:') {
      mkdirSync(options.dataDir, { recursive: true });
      path = join(options.dataDir, 'brazen.duckdb');
    }
    const instance = options.shared?.instance ?? (await newDuckDbInstance(options.memoryLimit));
    const catalog = options.shared?.catalog ?? CATALOG;
    // The data file is attached rather than opened, for its row group size (an option of ATTACH
    // only, not kept in the file). DuckDB writes each full row group of a transaction's appends
    // straight into the file, compressed, and only the rest into the WAL, which a checkpoint then
    // writes again. In row groups of 32,768 rows a /currents request of 100k records leaves 1-2 MB
    // of WAL instead of ~47 MB: 10M events over HTTP 34,950 against 30,241 events/s. Smaller
    // groups leave more blocks partly filled: that folder took 899 MB against 692 (16,384 rows: as
    // fast, 1,021 MB). A new file takes the format of DuckDB 1.2, the first with zstd for text:
    // event ids and payloads compress to a third of the size they take otherwise, and faster. A
    // file made before keeps the format it was made with (its events table has no zstd columns).
    const attachOptions = [`ROW_GROUP_SIZE ${ROW_GROUP_SIZE}`];
    if (path === ':memory:' || !existsSync(path)) attachOptions.push(`STORAGE_VERSION 'v1.2.0'`);
    const first = await instance.connect();
    await attachWhenFree(first, path, catalog, attachOptions);
    first.closeSync();
    const store = new DuckDbStore(await Db.open(instance, catalog, options.shared && { path }), options);
    // Spool files of exports and bodies cut by a crash are of no use any more.
    rmSync(store.kept.spoolDir, { recursive: true, force: true });
    mkdirSync(store.kept.spoolDir, { recursive: true });
    await store.init();
    return store;
  }

  private async init(): Promise<void> {
    const { writer } = this.db;
    const onUpgrade = this.options.onUpgrade ?? (() => undefined);
    for (const ddl of SCHEMA) await writer.run(ddl);
    await this.pending.prepare();
    if (!(await one(writer, `SELECT 1 FROM duckdb_indexes() WHERE database_name = current_database() AND index_name = 'identities_value'`))
      && (await one(writer, `SELECT 1 FROM identities LIMIT 1`))) {
      onUpgrade('indexing the identities');
    }
    await writer.run(IDENTITY_INDEX_DDL);
    await exportJobs.migrateExportMembers(writer);
    await writer.run(importLedger.IMPORT_LEDGER_DDL);
    await fillTempTable(writer, 'event_types', { event_type: 'VARCHAR', category: 'VARCHAR' },
      CURRENTS_EVENT_TYPES.map((t) => [t.eventType, t.category]));

    const ws = await this.getWorkspace();
    this.settings.apply(ws);
    await this.settings.load(this.db);
    await this.users.load();
    await this.ingest.load();
    await campaigns.createCampaignTables(writer);
    await this.kept.prepare();
    await this.keptSegments.prepare();
    await this.db.serialized(() => campaigns.syncCampaignRollups(writer, ws, this.settings.zone));
    await this.db.serialized(() => this.rollups.prepareCounters());
    await this.db.serialized(() => this.users.prepareDeviceIdentities(onUpgrade));
    const built = await one<{ value: string }>(writer, `SELECT value FROM meta WHERE key = 'activity_zone'`);
    if (built && built.value !== this.settings.zone) await this.db.serialized(() => this.rollups.rebuildActivity());
    else this.rollups.deferActivity();
    // Currents records a crash left acknowledged but not rolled up (a rebuild above cannot have
    // counted them: a workspace change rolls them up before it stores the change).
    await this.pending.drainLeftovers();
    // What a crash left acknowledged and not applied is applied now.
    await this.trackLog.open();
  }

  /** `checkpoint: false` when the file is about to be thrown away (a workspace reset or restored). */
  async close(checkpoint = true): Promise<void> {
    await this.trackLog.close();
    await this.db.serialized(async () => undefined);
    await this.kept.close();
    await this.keptSegments.close();
    await this.db.close(checkpoint);
  }

  // ---------------------------------------------------------------- ingestion

  /** Resolves once the Currents body called before the current one is queued. */
  private currentsArrival: Promise<void> = Promise.resolve();

  async ingestCurrents(body: CurrentsBody): Promise<CurrentsResult> {
    // DuckDB parses a body from a file, several times faster than JavaScript could. Bodies are
    // written side by side but queued in the order they were given (a later one must not take an
    // id before an earlier one).
    const turn = this.currentsArrival;
    let queued = () => {};
    this.currentsArrival = new Promise((resolve) => (queued = resolve));
    // A body the caller holds in a file is read where it is; any other is written to the spool.
    const spooled = body.file === undefined;
    const file = body.file ?? join(this.kept.spoolDir, `currents-${randomUUID()}.json`);
    try {
      try {
        if (spooled) {
          const started = performance.now();
          mkdirSync(this.kept.spoolDir, { recursive: true });
          if (body.bytes instanceof Uint8Array) await writeFile(file, body.bytes);
          else await pipeline(Readable.from(body.bytes), createWriteStream(file));
          this.db.steps.add('spool (beside the writer)', performance.now() - started);
        }
      } finally {
        await turn;
      }
      const stored = this.currents.submit({ file, format: body.format });
      queued();
      return await stored;
    } finally {
      this.keptSegments.changed();
      queued();
      if (spooled) await unlink(file).catch(() => undefined);
    }
  }

  /** Where the writer's time went since the store opened (DuckDB only; the benchmark prints it). */
  get writeSteps(): WriteSteps {
    return this.db.steps;
  }

  /** The longest time from a Currents group's acknowledgement to the commit of its rollups, ms (the
   * benchmark prints it). */
  get rollupLagMs(): number {
    return this.pending.maxLagMs;
  }

  /** Acknowledged once durable in the log, applied in the background (track-log.ts). */
  async track(batch: TrackBatch): Promise<TrackResult> {
    await this.trackLog.append(batch);
    return {
      attributesProcessed: batch.attributes.length,
      eventsProcessed: batch.events.length,
      purchasesProcessed: batch.purchases.length,
      errors: [],
    };
  }

  /** Milliseconds from each /users/track acknowledgement to its application, kept from now on (the
   * benchmark's). */
  trackLags(): number[] {
    return (this.trackLog.lags ??= []);
  }

  async recordCount(): Promise<number> {
    const r = await one<{ n: number }>(this.db.reader, `SELECT count(*)::DOUBLE AS n FROM events`);
    return r?.n ?? 0;
  }

  // ---------------------------------------------------------------- series

  counterSeries(q: CounterQuery): Promise<UnitTotals[]> {
    return this.rollups.counterSeries(q);
  }

  activitySeries(q: ActivityQuery): Promise<number[]> {
    return this.rollups.activitySeries(q);
  }

  names(kind: CounterName, offset: number, limit: number): Promise<string[]> {
    return this.rollups.names(kind, offset, limit);
  }

  hasName(kind: CounterName, name: string): Promise<boolean> {
    return this.rollups.hasName(kind, name);
  }

  customAttributeSamples(): Promise<CustomAttributeSample[]> {
    return customAttributeSamples(this.db.reader);
  }

  // ---------------------------------------------------------------- campaigns, sends, Canvases, cards

  messageStats(queries: MessageStatsQuery[]): Promise<MessageStatRow[][]> {
    return campaigns.messageStats(this.db.reader, queries);
  }

  conversionStats(queries: MessageStatsQuery[]): Promise<ConversionStatRow[][]> {
    return campaigns.conversionStats(this.db.reader, queries);
  }

  receiptSpan(src: MessageSource, obj: string, send?: string): Promise<ReceiptSpan> {
    return campaigns.receiptSpan(this.db.reader, src, obj, send);
  }

  seriesDays(src: MessageSource, obj: string, scope: string): Promise<SeriesDays> {
    return campaigns.seriesDays(this.db.reader, src, obj, scope);
  }

  cardStats(q: CardStatsQuery): Promise<CardStatRow[]> {
    return cards.cardStats(this.db.reader, q);
  }

  // ---------------------------------------------------------------- segments, users, user exports

  async segmentSizes(filter: SegmentFilter | undefined, instants: SegmentInstant[]): Promise<number[]> {
    const kept = this.options.keptSegments === false ? undefined : await this.keptSegments.sizes(filter, instants);
    return kept ?? segments.segmentSizes(await this.db.connect(), filter, instants);
  }

  async segmentCounterSeries(q: CounterQuery, filter: SegmentFilter | undefined, at: number): Promise<UnitTotals[]> {
    const kept = this.options.keptSegments === false ? undefined : await this.keptSegments.counterSeries(q, filter, at);
    return kept ?? totalsPerUnit(q.units.list, await segments.segmentCounterSeries(this.db.reader, q, filter, at));
  }

  findUsers(kind: UserIdKind, values: string[]): Promise<Map<string, string[]>> {
    return profiles.findUsers(this.db.reader, kind, values);
  }

  async userProfiles(brazeIds: string[], options: ProfileOptions): Promise<string[]> {
    return profiles.userProfiles(await this.db.connect(), await this.getWorkspace(), brazeIds, options, this.kept.kept);
  }

  async snapshotExportMembers(jobId: string, filter: SegmentFilter | undefined, at: number): Promise<number> {
    const kept = this.options.keptSegments === false ? undefined : await this.keptSegments.membersSql(filter, at);
    return this.db.serialized(() => exportJobs.snapshotExportMembers(this.db.writer, jobId, filter, at, kept));
  }

  openExportProfiles(jobId: string, options: ProfileOptions): Promise<ExportProfiles> {
    return this.kept.openExportProfiles(jobId, options);
  }

  dropExportMembers(jobId: string): Promise<void> {
    return this.db.serialized(() => exportJobs.dropExportMembers(this.db.writer, jobId));
  }

  /** Kept profiles of every user brought up to date (the KeptProfiles capability, also reachable
   * through `workspace().keptProfiles`). */
  refresh(options: RefreshOptions = {}): Promise<number> {
    return this.kept.refresh(options);
  }

  // ---------------------------------------------------------------- catalog

  async getWorkspace(): Promise<Workspace> {
    const r = await one<{ doc: string }>(this.db.reader, `SELECT doc FROM workspace WHERE id = 1`);
    return r ? (JSON.parse(r.doc) as Workspace) : structuredClone(EMPTY_WORKSPACE);
  }

  async putWorkspace(ws: Workspace): Promise<void> {
    await this.db.serialized(async () => {
      // A change below may rebuild rollups from every stored record: the pending ones are rolled up
      // first, so that they are not rolled up again after it.
      await this.pending.drainNow();
      // Kept profiles name apps, campaigns, Canvases and cards: new names make them all stale
      // (marked before the new names are stored, so that a crash between cannot keep old ones).
      if (JSON.stringify(workspaceNames(ws)) !== JSON.stringify(workspaceNames(await this.getWorkspace()))) {
        await this.kept.markAllStale();
      }
      await this.db.writer.run(`INSERT OR REPLACE INTO workspace VALUES (1, $doc)`, { doc: JSON.stringify(ws) });
      const zoneBefore = this.settings.zone;
      this.settings.apply(ws);
      await this.settings.load(this.db);
      if (this.settings.zone !== zoneBefore) await this.rollups.rebuildActivity();
      await campaigns.syncCampaignRollups(this.db.writer, ws, this.settings.zone);
    });
    if (this.options.keptSegments !== false) this.keptSegments.defined(ws);
  }

  createExportJob(job: ExportJob): Promise<void> {
    return this.db.serialized(() => exportJobs.createExportJob(this.db.writer, job));
  }

  updateExportJob(id: string, patch: ExportJobPatch): Promise<void> {
    return this.db.serialized(() => exportJobs.updateExportJob(this.db.writer, id, patch));
  }

  exportJobs(): Promise<ExportJob[]> {
    return exportJobs.exportJobs(this.db.reader);
  }

  secret(purpose: string): Promise<string> {
    return this.db.serialized(() => exportJobs.secret(this.db.writer, purpose));
  }

  addApiKey(key: ApiKeyRecord): Promise<void> {
    return this.db.serialized(() => apiKeys.addApiKey(this.db.writer, key));
  }

  findApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    return apiKeys.findApiKey(this.db.reader, hash);
  }

  listApiKeys(workspace: string): Promise<ApiKeyRecord[]> {
    return apiKeys.listApiKeys(this.db.reader, workspace);
  }

  removeApiKeys(workspace: string, keep: readonly string[]): Promise<number> {
    return this.db.serialized(async () => {
      await fillTempTable(this.db.writer, 'kept_keys', { hash: 'VARCHAR' }, keep.map((hash) => [hash]));
      const removed = await this.db.writer.run(`DELETE FROM api_keys WHERE workspace = $workspace AND hash NOT IN (SELECT hash FROM kept_keys)`, { workspace });
      return removed.rowsChanged;
    });
  }

  // ---------------------------------------------------------------- import ledger

  importedObjects(prefix: string): Promise<ImportedObject[]> {
    return importLedger.importedObjects(this.db.reader, prefix);
  }

  recordImportedObject(object: ImportedObject): Promise<void> {
    return this.db.serialized(() => importLedger.recordImportedObject(this.db.writer, object));
  }
}


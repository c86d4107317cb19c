import { randomBytes } from 'node:crypto';
import {
  activityValues, byCodePoint, cardStats, conversionStats, counterTotals, customAttributeSamples, IdentityDirectory, identityKey, messageStats,
  receiptSpan, recordedNames, segmentCounterTotals, segmentMembers, segmentSizes, seriesDays, type SegmentFilter,
} from '@brazen/analytics';
import { StoreError } from '../errors.ts';
import { checkPage } from '../page.ts';
import { DEFAULT_WORKSPACE } from '../ports.ts';
import type {
  ActivityQuery, AnalyticsData, Catalog, CounterName, CounterQuery, CurrentsBody, KeyCatalog, Store, UnitTotals, WorkspaceInfo, WorkspaceStore,
} from '../ports.ts';
import type { Engine, EngineOptions } from '../registry.ts';
import type {
  ApiKeyRecord, CardStatRow, CardStatsQuery, ConversionStatRow, CurrentsResult, CustomAttributeSample, ExportJob, ExportJobPatch,
  ExportProfiles, ImportedObject, MessageSource, MessageStatRow, MessageStatsQuery, ProfileOptions, ReceiptSpan, SegmentInstant, SeriesDays,
  TrackBatch, TrackResult, UserIdKind, Workspace,
} from '../types.ts';
import { ingestCurrents, track } from './ingest.ts';
import { exportProfiles, profileTexts } from './profiles.ts';
import { emptyState, loadState, saveState, type ReferenceState } from './state.ts';

const EMPTY_WORKSPACE: Workspace = { apps: [], campaigns: [], canvases: [], segments: [], cards: [] };

/** The workspace's time zone, which local days are counted in. */
const zoneOf = (ws: Workspace): string => ws.time_zone ?? 'UTC';

/**
 * The reference engine: the recorded data as arrays in memory (kept as JSON in a folder between runs),
 * every answer computed from them by the rules of `@brazen/analytics`, from scratch, each time. Slow
 * and obviously right: the oracle every other engine is compared with. It keeps no profiles
 * (`KeptProfiles` is absent). Each call runs to its end before another touches the arrays (nothing
 * awaits in between), so concurrent calls each get their own answer.
 */
export class ReferenceStore implements Store, AnalyticsData, Catalog, KeyCatalog {
  readonly engine = 'reference';
  readonly keys: KeyCatalog = this;
  private readonly defaultWorkspace: WorkspaceStore = { name: DEFAULT_WORKSPACE, data: this, catalog: this };

  private constructor(
    private readonly state: ReferenceState,
    /** Where the state is kept; undefined in memory. */
    private readonly dir: string | undefined,
    private readonly now: () => number,
  ) {}

  static open(dir: string | undefined, options: EngineOptions = {}): ReferenceStore {
    return new ReferenceStore(dir === undefined ? emptyState() : loadState(dir), dir, options.now ?? Date.now);
  }

  workspace(name: string = DEFAULT_WORKSPACE): WorkspaceStore {
    if (name !== DEFAULT_WORKSPACE) throw new StoreError('invalid_input', `workspace ${name} does not exist`);
    return this.defaultWorkspace;
  }

  /** One workspace: the oracle answers as one workspace does (no reset or snapshots either). */
  async workspaces(): Promise<WorkspaceInfo[]> {
    return [{ name: DEFAULT_WORKSPACE }];
  }

  async createWorkspace(name: string): Promise<WorkspaceStore> {
    throw new StoreError('capability_missing', `the reference engine holds one workspace (default): workspace ${name} cannot be made`);
  }

  async close(): Promise<void> {
    if (this.dir !== undefined) saveState(this.dir, this.state);
  }

  // ---------------------------------------------------------------- ingestion

  ingestCurrents(body: CurrentsBody): Promise<CurrentsResult> {
    return ingestCurrents(this.state, body, this.now() / 1000);
  }

  async track(batch: TrackBatch): Promise<TrackResult> {
    return track(this.state, batch, this.now() / 1000);
  }

  async recordCount(): Promise<number> {
    return this.state.events.length;
  }

  async customAttributeSamples(): Promise<CustomAttributeSample[]> {
    return customAttributeSamples(this.state.attributes);
  }

  // ---------------------------------------------------------------- series, campaigns, segments
  // Each figure is the analytics rule of the same name over the recorded data (see analytics' index).

  async counterSeries(q: CounterQuery): Promise<UnitTotals[]> {
    return counterTotals(this.state, q);
  }

  async activitySeries(q: ActivityQuery): Promise<number[]> {
    return activityValues(this.state, q, await this.zone());
  }

  async names(kind: CounterName, offset: number, limit: number): Promise<string[]> {
    checkPage(offset, limit);
    return recordedNames(this.state, kind).slice(offset, offset + limit);
  }

  async hasName(kind: CounterName, name: string): Promise<boolean> {
    return recordedNames(this.state, kind).includes(name);
  }

  async messageStats(queries: MessageStatsQuery[]): Promise<MessageStatRow[][]> {
    return messageStats(this.state, await this.zone(), queries);
  }

  async conversionStats(queries: MessageStatsQuery[]): Promise<ConversionStatRow[][]> {
    const ws = await this.getWorkspace();
    return conversionStats(this.state, ws, zoneOf(ws), queries);
  }

  async receiptSpan(src: MessageSource, obj: string, send?: string): Promise<ReceiptSpan> {
    return receiptSpan(this.state, src, obj, send);
  }

  async seriesDays(src: MessageSource, obj: string, scope: string): Promise<SeriesDays> {
    return seriesDays(this.state, await this.zone(), src, obj, scope);
  }

  async cardStats(q: CardStatsQuery): Promise<CardStatRow[]> {
    return cardStats(this.state, q);
  }

  async segmentSizes(filter: SegmentFilter | undefined, instants: SegmentInstant[]): Promise<number[]> {
    return segmentSizes(this.state, filter, instants);
  }

  async segmentCounterSeries(q: CounterQuery, filter: SegmentFilter | undefined, at: number): Promise<UnitTotals[]> {
    return segmentCounterTotals(this.state, q, filter, at);
  }

  private async zone(): Promise<string> {
    return zoneOf(await this.getWorkspace());
  }

  /** braze_ids of the segment's members as of `at` (inclusive), in braze_id order. */
  private members(filter: SegmentFilter | undefined, at: number): string[] {
    return segmentMembers(this.state, filter, { at, inclusive: true }).sort(byCodePoint);
  }

  // ---------------------------------------------------------------- users and user exports

  async findUsers(kind: UserIdKind, values: string[]): Promise<Map<string, string[]>> {
    const dir = new IdentityDirectory(this.state.users, this.state.identities);
    const out = new Map<string, string[]>();
    for (const value of values) {
      const users = dir.users(identityKey(kind, value));
      if (users.length > 0) out.set(value, users);
    }
    return out;
  }

  async userProfiles(brazeIds: string[], options: ProfileOptions): Promise<string[]> {
    return profileTexts(this.state, await this.getWorkspace(), brazeIds, options);
  }

  async snapshotExportMembers(jobId: string, filter: SegmentFilter | undefined, at: number): Promise<number> {
    const members = this.members(filter, at);
    this.state.exportMembers[jobId] = members;
    return members.length;
  }

  async openExportProfiles(jobId: string, options: ProfileOptions): Promise<ExportProfiles> {
    const ws = await this.getWorkspace();
    return exportProfiles(() => ({ data: this.state, ws, members: this.state.exportMembers[jobId] ?? [] }), options);
  }

  async dropExportMembers(jobId: string): Promise<void> {
    delete this.state.exportMembers[jobId];
  }

  // ---------------------------------------------------------------- catalog

  async getWorkspace(): Promise<Workspace> {
    return structuredClone(this.state.workspace ?? EMPTY_WORKSPACE);
  }

  async putWorkspace(ws: Workspace): Promise<void> {
    this.state.workspace = structuredClone(ws);
  }

  async createExportJob(job: ExportJob): Promise<void> {
    this.state.exportJobs.push(structuredClone(job));
  }

  async updateExportJob(id: string, patch: ExportJobPatch): Promise<void> {
    const i = this.state.exportJobs.findIndex((j) => j.id === id);
    if (i === -1) throw new Error(`no export job ${id}`);
    this.state.exportJobs[i] = { ...this.state.exportJobs[i], ...structuredClone(patch) };
  }

  async exportJobs(): Promise<ExportJob[]> {
    // Oldest first: by the time of the request, then in the order the jobs were made.
    return structuredClone(this.state.exportJobs).sort((a, b) => a.createdAt - b.createdAt);
  }

  async secret(purpose: string): Promise<string> {
    return (this.state.secrets[purpose] ??= randomBytes(32).toString('hex'));
  }

  async importedObjects(prefix: string): Promise<ImportedObject[]> {
    return structuredClone(this.state.imported.filter((o) => o.url.startsWith(prefix)))
      .sort((a, b) => byCodePoint(a.url, b.url) || a.importedAt - b.importedAt);
  }

  /** One entry per (URL, ETag): a key rewritten is another object. */
  async recordImportedObject(object: ImportedObject): Promise<void> {
    this.state.imported = [...this.state.imported.filter((o) => o.url !== object.url || o.etag !== object.etag), structuredClone(object)];
  }

  async addApiKey(key: ApiKeyRecord): Promise<void> {
    this.state.keys = [...this.state.keys.filter((k) => k.hash !== key.hash), structuredClone(key)];
  }

  async findApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    return structuredClone(this.state.keys.find((k) => k.hash === hash));
  }

  async removeApiKeys(workspace: string, keep: readonly string[]): Promise<number> {
    const before = this.state.keys.length;
    this.state.keys = this.state.keys.filter((k) => k.workspace !== workspace || keep.includes(k.hash));
    return before - this.state.keys.length;
  }

  async listApiKeys(workspace: string): Promise<ApiKeyRecord[]> {
    return structuredClone(this.state.keys.filter((k) => k.workspace === workspace))
      .sort((a, b) => byCodePoint(a.createdAt, b.createdAt) || byCodePoint(a.name, b.name));
  }
}

/** `reference:PATH`: state kept as JSON in the folder PATH (read on open, written on close);
 * `reference::memory:` keeps nothing. */
export const referenceEngine: Engine = {
  name: 'reference',
  example: 'reference:PATH',
  async open(url: string, options: EngineOptions): Promise<Store> {
    const dir = url.replace(/^reference:(\/\/)?/i, '');
    if (dir === '') throw new StoreError('invalid_input', `--store ${url} names no folder: write reference:PATH or reference::memory:`);
    return ReferenceStore.open(dir === ':memory:' ? undefined : dir, options);
  },
};

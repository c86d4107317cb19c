import { randomBytes } from 'node:crypto';
import { byCodePoint, customAttributeSamples, IdentityDirectory, identityKey, type SegmentFilter } from '@brazen/analytics';
import { StoreError } from '../errors.ts';
import { DEFAULT_WORKSPACE } from '../ports.ts';
import type {
  ActivityQuery, AnalyticsData, Catalog, CounterName, CounterQuery, CurrentsBody, KeyCatalog, Store, UnitTotals, WorkspaceStore,
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

/** A figure whose rule has not landed in `@brazen/analytics` yet: the engine lacks it, and says so. */
const lacks = (what: string): never => {
  throw new StoreError('capability_missing', `the reference engine does not compute ${what} yet`);
};

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

  async counterSeries(_q: CounterQuery): Promise<UnitTotals[]> {
    return lacks('counter series');
  }

  async activitySeries(_q: ActivityQuery): Promise<number[]> {
    return lacks('activity series');
  }

  async names(_kind: CounterName, _offset: number, _limit: number): Promise<string[]> {
    return lacks('names of custom events and products');
  }

  async hasName(_kind: CounterName, _name: string): Promise<boolean> {
    return lacks('names of custom events and products');
  }

  async messageStats(_queries: MessageStatsQuery[]): Promise<MessageStatRow[][]> {
    return lacks('message engagement');
  }

  async conversionStats(_queries: MessageStatsQuery[]): Promise<ConversionStatRow[][]> {
    return lacks('conversions');
  }

  async receiptSpan(_src: MessageSource, _obj: string, _send?: string): Promise<ReceiptSpan> {
    return lacks('receipt spans');
  }

  async seriesDays(_src: MessageSource, _obj: string, _scope: string): Promise<SeriesDays> {
    return lacks('series days');
  }

  async cardStats(_q: CardStatsQuery): Promise<CardStatRow[]> {
    return lacks('card stats');
  }

  async segmentSizes(_filter: SegmentFilter | undefined, _instants: SegmentInstant[]): Promise<number[]> {
    return lacks('segment sizes');
  }

  async segmentCounterSeries(_q: CounterQuery, _filter: SegmentFilter | undefined, _at: number): Promise<UnitTotals[]> {
    return lacks('segment counter series');
  }

  /** braze_ids of the segment's members as of `at`, in braze_id order. */
  private members(filter: SegmentFilter | undefined, _at: number): string[] {
    if (filter !== undefined) lacks('segment members');
    return this.state.users.map((u) => u.brazeId).sort(byCodePoint);
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

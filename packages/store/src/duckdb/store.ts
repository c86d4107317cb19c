import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance, type DuckDBConnection, type DuckDBAppender } from '@duckdb/node-api';
import { CURRENTS_EVENT_TYPES } from '@brazen/contract';
import { ActivityIndex, binIntoUnits, dayLabel, dayNumber, type ActivityTuple } from '@brazen/analytics';
import type {
  CardStatRow, CardStatsQuery, ConversionStatRow, MessageSource, MessageStatRow, MessageStatsQuery, ReceiptSpan, SeriesDays,
} from '../campaign-types.ts';
import type {
  ApiKeyRecord, AttributeRecord, CurrentsResult, EventRecord, TrackBatch, TrackResult, UserRef, Workspace,
} from '../types.ts';
import type {
  ActivityQuery, AnalyticsData, Catalog, CounterName, CounterQuery, CurrentsBody, KeptProfiles, KeyCatalog, Store, UnitTotals, WorkspaceStore,
} from '../ports.ts';
import { DEFAULT_WORKSPACE } from '../ports.ts';
import { StoreError } from '../errors.ts';
import type { Engine, EngineOptions } from '../registry.ts';
import { DAILY_FROM_USER_DAYS, sessionDaysSql } from './activity-sql.ts';
import {
  compactCountersSql, countersSql, DEVICE_IDENTITIES_FROM_EVENTS_SQL, DEVICE_IDENTITIES_SQL, ERRORS_SQL, GROUP_COUNTS_SQL, EVENTS_FROM_INS_SQL, INS_SQL, KEEP_SQL, REFS_SQL,
  STORED_HASHES_SQL, stageSql, storedDuplicatesSql,
} from './currents-sql.ts';
import { COUNTER_DAYS_DDL, COUNTERS_DDL, IDENTITY_INDEX_DDL, SCHEMA } from './schema.ts';
import * as campaigns from './campaigns.ts';
import * as segments from './segments.ts';
import * as profiles from './profiles.ts';
import * as exportJobs from './export-jobs.ts';
import type { SegmentFilter } from '@brazen/analytics';
import type { ExportJob, ExportJobPatch, ExportProfiles, ProfileOptions, RefreshOptions, SegmentInstant, UserIdKind } from '../segment-types.ts';
import { appendRows, fillTempTable, identitiesByValue, literal, one, rows, tuplesOf } from './sql.ts';
import { identityKeys, newBrazeId, type IdentityKey } from './identity.ts';
import { customAttributeSamples } from './custom-attributes.ts';
import type { CustomAttributeSample } from '../types.ts';

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
  /** The conversion tables are rewritten in time order once they hold this many rows, and again
   * each time they double (default 1,000,000; tests lower it). */
  sortConversionsAt?: number;
  /** Told before a one-time upgrade of a folder made by an earlier version that reads its stored
   * data (it may take a while on a big folder: 35 s on the 1M-user demo). */
  onUpgrade?: (what: string) => void;
}

/** The name or app of a counter row that totals every name or every app. */
const ALL = '\u0001';

/** Connections for reads. */
const READERS = 4;
/** The name the data file is attached under, and the default database of every connection. */
const CATALOG = 'brazen';
/** Rows per row group of the data file (DuckDB's default is 122,880); see `DuckDbStore.open`. */
const ROW_GROUP_SIZE = 32_768;

/** At most this many waiting requests, and this many bytes of bodies, are committed together. */
const MAX_GROUP = 64;
const MAX_GROUP_BYTES = 64 * 1024 * 1024;

/** A Currents body as DuckDB reads it: a file of the store's own spool folder. */
interface SpooledBody {
  file: string;
  format: 'ndjson' | 'array';
}

const fileBytes = (body: SpooledBody): number => {
  try {
    return statSync(body.file).size;
  } catch {
    return 0; // the staging read reports a missing file
  }
};

interface Waiting<I, O> {
  input: I;
  bytes: number;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

const EMPTY_WORKSPACE: Workspace = { apps: [], campaigns: [], canvases: [], segments: [], cards: [] };

/** The embedded default: one DuckDB file, one writer at a time, reads on their own connection. */
export class DuckDbStore implements Store, AnalyticsData, Catalog, KeyCatalog, KeptProfiles {
  readonly engine = 'duckdb';
  readonly keys: KeyCatalog = this;
  private readonly defaultWorkspace: WorkspaceStore = { name: DEFAULT_WORKSPACE, data: this, catalog: this, keptProfiles: this };

  workspace(name: string = DEFAULT_WORKSPACE): WorkspaceStore {
    if (name !== DEFAULT_WORKSPACE) throw new StoreError('invalid_input', `workspace ${name} does not exist`);
    return this.defaultWorkspace;
  }

  private writeChain: Promise<unknown> = Promise.resolve();
  private readonly activity = new ActivityIndex();
  private nextUid = 1;
  private attributeSeq = 0;
  private zone = 'UTC';
  private rates: Record<string, number> = {};

  private constructor(
    private readonly instance: DuckDBInstance,
    /** A new connection whose default database is the data file. */
    private readonly connect: () => Promise<DuckDBConnection>,
    private readonly writer: DuckDBConnection,
    /** Reads go round these, so that the queries of concurrent requests (and the two of one
     * campaign series, the four of a Canvas breakdown) run side by side on DuckDB's threads. */
    private readonly readers: DuckDBConnection[],
    private readonly now: () => number,
  ) {}

  static async open(options: DuckDbStoreOptions): Promise<DuckDbStore> {
    let path = ':memory:';
    if (options.dataDir !== ':memory:') {
      mkdirSync(options.dataDir, { recursive: true });
      path = join(options.dataDir, 'brazen.duckdb');
    }
    // A checkpoint rewrites every changed table and index: with DuckDB's default (16 MB of WAL) an
    // ingestion batch of a few MB each set one off. Every commit is durable regardless: in the WAL,
    // or, for full row groups (below), in the data file with the WAL naming them.
    const settings: Record<string, string> = { checkpoint_threshold: '256MB' };
    if (options.memoryLimit) settings.memory_limit = options.memoryLimit;
    const instance = await DuckDBInstance.create(':memory:', settings);
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
    const connect = async () => {
      const conn = await instance.connect();
      await conn.run(`USE ${CATALOG}`);
      return conn;
    };
    const first = await instance.connect();
    await first.run(`ATTACH ${literal(path)} AS ${CATALOG} (${attachOptions.join(', ')})`);
    first.closeSync();
    const writer = await connect();
    const readers = await Promise.all(Array.from({ length: READERS }, connect));
    const store = new DuckDbStore(instance, connect, writer, readers, options.now ?? Date.now);
    store.foldStaleMarksAt = options.foldStaleMarksAt ?? store.foldStaleMarksAt;
    store.sortConversionsAt = options.sortConversionsAt ?? store.sortConversionsAt;
    store.onUpgrade = options.onUpgrade ?? (() => undefined);
    if (options.dataDir !== ':memory:') {
      // Spool files of exports cut by a crash are of no use any more.
      store.spoolDir = join(options.dataDir, 'spool');
      rmSync(store.spoolDir, { recursive: true, force: true });
      mkdirSync(store.spoolDir, { recursive: true });
      store.profileDir = join(options.dataDir, 'profiles');
      mkdirSync(store.profileDir, { recursive: true });
    } else {
      store.profileDir = mkdtempSync(join(tmpdir(), 'brazen-profiles-'));
      store.profileDirIsTemp = true;
    }
    await store.init();
    return store;
  }

  private nextReader = 0;
  /** Where exports spool their files, and Currents bodies wait for DuckDB to read them (the data
   * folder's `spool/`, emptied at start). */
  private spoolDir = join(tmpdir(), 'brazen-spool');
  /** Where kept profiles are written as lines (the data folder's `profiles/`; a temporary folder,
   * removed on close, for a store in memory). */
  private profileDir = '';
  private profileDirIsTemp = false;
  /** The number the next profile line file takes. */
  private nextProfileFile = 1;
  /** Exports reading profile line files: while any is, no file is deleted. */
  private lineReaders = 0;

  private get reader(): DuckDBConnection {
    this.nextReader = (this.nextReader + 1) % this.readers.length;
    return this.readers[this.nextReader];
  }

  private async init(): Promise<void> {
    for (const ddl of SCHEMA) await this.writer.run(ddl);
    if (!(await one(this.writer, `SELECT 1 FROM duckdb_indexes() WHERE index_name = 'identities_value'`))
      && (await one(this.writer, `SELECT 1 FROM identities LIMIT 1`))) {
      this.onUpgrade('indexing the identities');
    }
    await this.writer.run(IDENTITY_INDEX_DDL);
    await exportJobs.migrateExportMembers(this.writer);
    await fillTempTable(this.writer, 'event_types', { event_type: 'VARCHAR', category: 'VARCHAR' },
      CURRENTS_EVENT_TYPES.map((t) => [t.eventType, t.category]));

    const ws = await this.getWorkspace();
    this.applyWorkspaceSettings(ws);
    await this.loadRates();
    const max = await one<{ uid: number | null; seq: bigint | null }>(
      this.writer,
      `SELECT (SELECT max(uid) FROM users) AS uid, (SELECT max(seq) FROM attributes) AS seq`,
    );
    this.nextUid = (max?.uid ?? 0) + 1;
    this.attributeSeq = Number(max?.seq ?? 0);
    await campaigns.createCampaignTables(this.writer);
    await this.prepareKeptProfiles();
    await this.serialized(() => campaigns.syncCampaignRollups(this.writer, ws, this.zone));
    await this.serialized(() => this.prepareCounters());
    await this.serialized(() => this.prepareDeviceIdentities());
    const built = await one<{ value: string }>(this.writer, `SELECT value FROM meta WHERE key = 'activity_zone'`);
    if (built && built.value !== this.zone) await this.serialized(() => this.rebuildActivity());
    else await this.loadActivity();
  }

  private applyWorkspaceSettings(ws: Workspace): void {
    this.zone = ws.time_zone ?? 'UTC';
    this.rates = { USD: 1, ...(ws.currency_rates ?? {}) };
  }

  private async loadRates(): Promise<void> {
    await fillTempTable(this.writer, 'rates', { currency: 'VARCHAR', usd: 'DOUBLE' },
      Object.entries(this.rates).map(([currency, usd]) => [currency.toUpperCase(), usd]));
  }

  private async loadActivity(): Promise<void> {
    this.activity.clear();
    // Scopes are few and users many (2M rows for the 1M-user demo): each row names its scope by
    // number, since reading a text per row costs seconds at that size.
    const scopes = (await rows<{ scope: string }>(this.writer, `SELECT DISTINCT scope FROM user_days`)).map((r) => r.scope);
    await fillTempTable(this.writer, 'scope_numbers', { scope: 'VARCHAR', n: 'INTEGER' }, scopes.map((scope, n) => [scope, n]));
    const reader = await this.writer.runAndReadAll(
      `SELECT s.n, d.uid, min(d.day)::INTEGER AS first, max(d.day)::INTEGER AS last
       FROM user_days d JOIN scope_numbers s ON s.scope = d.scope GROUP BY s.n, d.uid`,
    );
    for (const [n, uid, first, last] of tuplesOf<[number, number, number, number]>(reader)) {
      this.activity.load(scopes[n], uid, first, last);
    }
  }

  /** Recomputes the day-based rollups in the current time zone from the stored session starts. */
  private async rebuildActivity(): Promise<void> {
    await this.transaction(async () => {
      await this.writer.run(`DELETE FROM user_days`);
      await this.writer.run(`DELETE FROM daily`);
      await this.writer.run(`INSERT INTO user_days ${sessionDaysSql('events', this.zone)}`);
      await this.writer.run(`INSERT INTO daily ${DAILY_FROM_USER_DAYS}`);
      await this.writer.run(
        `INSERT OR REPLACE INTO meta VALUES ('activity_zone', $zone)`,
        { zone: this.zone },
      );
      await this.rebuildCounters('counter_days');
    });
    await this.loadActivity();
  }

  /** Runs write work one batch at a time, in the order it arrived. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(work, work);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  /** Runs write work in a transaction; the in-memory activity index takes the days the work
   * recorded only once they are committed. */
  private async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.writer.run('BEGIN TRANSACTION');
    let result: T;
    try {
      result = await work();
      await this.writer.run('COMMIT');
    } catch (error) {
      await this.writer.run('ROLLBACK');
      this.pendingActivity = undefined;
      throw error;
    }
    const commit = this.pendingActivity;
    this.pendingActivity = undefined;
    commit?.();
    return result;
  }

  async close(): Promise<void> {
    await this.serialized(async () => undefined);
    await this.profileRefresh;
    this.refresher?.closeSync();
    this.writer.closeSync();
    for (const r of this.readers) r.closeSync();
    this.instance.closeSync();
    if (this.profileDirIsTemp) rmSync(this.profileDir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- ingestion

  /**
   * Requests that arrive while the writer is busy are committed together, in one transaction (group
   * commit): an ingestion batch has a fixed cost of some thirty statements, which many small
   * requests would otherwise pay one by one. Each request still gets its own result; when a group
   * fails (a malformed body, say), its requests are stored again one by one, so that only the bad
   * one fails.
   */
  async ingestCurrents(body: CurrentsBody): Promise<CurrentsResult> {
    // DuckDB parses a body from a file, several times faster than JavaScript could.
    mkdirSync(this.spoolDir, { recursive: true });
    const file = join(this.spoolDir, `currents-${randomUUID()}.json`);
    if (body.bytes instanceof Uint8Array) await writeFile(file, body.bytes);
    else await pipeline(Readable.from(body.bytes), createWriteStream(file));
    try {
      // One staging read per group, so a group holds bodies of one format (a mix is rare).
      return await this.grouped(this.currentsQueue, { file, format: body.format }, (group) => this.storeCurrents(group), (b) => b.format, fileBytes);
    } finally {
      await unlink(file).catch(() => undefined);
    }
  }

  private readonly currentsQueue: Array<Waiting<SpooledBody, CurrentsResult>> = [];
  private readonly trackQueue: Array<Waiting<TrackBatch, TrackResult>> = [];

  private grouped<I, O>(
    queue: Array<Waiting<I, O>>, input: I, store: (group: I[]) => Promise<O[]>,
    kind: (input: I) => string = () => '', bytes: (input: I) => number = () => 0,
  ): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      queue.push({ input, resolve, reject, bytes: bytes(input) });
      if (queue.length === 1) void this.serialized(() => this.flush(queue, store, kind));
    });
  }

  /** Stores the waiting requests of the first one's kind as one group: at most MAX_GROUP of them
   * and MAX_GROUP_BYTES of bodies (a larger body goes alone). */
  private async flush<I, O>(queue: Array<Waiting<I, O>>, store: (group: I[]) => Promise<O[]>, kind: (input: I) => string): Promise<void> {
    const first = kind(queue[0].input);
    const group: Array<Waiting<I, O>> = [];
    let bytes = 0;
    for (let i = 0; i < queue.length && group.length < MAX_GROUP; ) {
      const w = queue[i];
      if (group.length > 0 && bytes + w.bytes > MAX_GROUP_BYTES) break;
      if (kind(w.input) === first) {
        group.push(...queue.splice(i, 1));
        bytes += w.bytes;
      } else i++;
    }
    if (queue.length > 0) void this.serialized(() => this.flush(queue, store, kind));
    try {
      const results = await store(group.map((w) => w.input));
      group.forEach((w, i) => w.resolve(results[i]));
    } catch (error) {
      if (group.length === 1) {
        group[0].reject(error);
        return;
      }
      for (const w of group) {
        try {
          w.resolve((await store([w.input]))[0]);
        } catch (alone) {
          w.reject(alone);
        }
      }
    }
  }

  private async storeCurrents(bodies: SpooledBody[]): Promise<CurrentsResult[]> {
    try {
      await this.writer.run(stageSql(bodies.map((b) => b.file), bodies[0].format));
    } catch (error) {
      // Only a body DuckDB cannot parse is the sender's fault; running out of memory or a file
      // that cannot be read is the store's, and is reported as it is.
      if (!isMalformedJson(error)) throw error;
      throw new StoreError('invalid_input', malformedMessage(error));
    }
    await this.writer.run(ERRORS_SQL);
    await this.writer.run(KEEP_SQL);
    const errors = await rows<{ req: number; idx: bigint; message: string }>(this.writer, `SELECT req::INTEGER AS req, idx, message FROM errs ORDER BY req, idx`);
    const counts = await rows<{ req: number; records: number; kept: number }>(this.writer, GROUP_COUNTS_SQL);
    let stored = new Map<number, number>();
    await this.transaction(async () => {
      const seen = await rows<{ h: string }>(this.writer, STORED_HASHES_SQL);
      if (seen.length > 0) await this.writer.run(storedDuplicatesSql(seen.map((r) => r.h)));
      await this.writer.run(REFS_SQL);
      await this.createCurrentsUsers();
      await this.writer.run(INS_SQL);
      for (const sql of DEVICE_IDENTITIES_SQL) await this.writer.run(sql);
      const perRequest = await rows<{ req: number; n: number }>(this.writer, `SELECT req::INTEGER AS req, count(*)::INTEGER AS n FROM ins GROUP BY req`);
      stored = new Map(perRequest.map((r) => [r.req, r.n]));
      await this.storeInserted(EVENTS_FROM_INS_SQL);
    });
    return bodies.map((_, req) => {
      const own = errors.filter((e) => e.req === req);
      const c = counts.find((x) => x.req === req);
      const records = c?.records ?? 0;
      const n = stored.get(req) ?? 0;
      return {
        stored: n,
        duplicates: records - own.length - n,
        errors: own.map((e) => ({ type: 'currents', index: Number(e.idx), message: e.message })),
      };
    });
  }

  /** Gives a uid to every user named in the batch that is not known yet, and records new identities. */
  private async createCurrentsUsers(): Promise<void> {
    const open = await rows<{ bk: string; ek: string; uid: number | null; buid: number | null; euid: number | null }>(
      this.writer,
      `SELECT bk, ek, uid, buid, euid FROM umap
       WHERE (bk <> '' AND buid IS NULL) OR (ek <> '' AND euid IS NULL)
       -- Known users first, then references naming both ids, so that a pair links the two.
       ORDER BY uid IS NULL, (bk = '' OR ek = ''), bk, ek`,
    );
    if (open.length === 0) return;
    const byBraze = new Map<string, number>();
    const byExternal = new Map<string, number>();
    const identities: Array<[string, string, number]> = [];
    const users: Array<[number, string]> = [];
    const assigned: Array<[string, string, number]> = [];
    for (const row of open) {
      let uid = row.uid ?? (row.bk ? byBraze.get(row.bk) : undefined) ?? (row.ek ? byExternal.get(row.ek) : undefined);
      if (uid === undefined) {
        uid = this.nextUid++;
        const brazeId = row.bk || newBrazeId();
        users.push([uid, brazeId]);
        if (!row.bk) identities.push(['braze_id', brazeId, uid]);
      }
      if (row.bk && row.buid === null && !byBraze.has(row.bk)) {
        byBraze.set(row.bk, uid);
        identities.push(['braze_id', row.bk, uid]);
      }
      if (row.ek && row.euid === null && !byExternal.has(row.ek)) {
        byExternal.set(row.ek, uid);
        identities.push(['external_id', row.ek, uid]);
      }
      if (row.uid === null) assigned.push([row.bk, row.ek, uid]);
    }
    await this.appendUsers(users);
    await this.appendIdentities(identities);
    if (assigned.length > 0) {
      await fillTempTable(this.writer, 'umap_new', { bk: 'VARCHAR', ek: 'VARCHAR', uid: 'INTEGER' }, assigned);
      await this.writer.run(`UPDATE umap SET uid = n.uid FROM umap_new n WHERE umap.bk = n.bk AND umap.ek = n.ek`);
    }
  }

  private async appendUsers(users: Array<[number, string]>): Promise<void> {
    if (users.length === 0) return;
    const created = this.now() / 1000;
    await appendRows(this.writer, 'users', ['INTEGER', 'VARCHAR', 'DOUBLE'], users.map(([uid, brazeId]) => [uid, brazeId, created]));
  }

  private async appendIdentities(identities: Array<[string, string, number]>): Promise<void> {
    if (identities.length === 0) return;
    await appendRows(this.writer, 'identities', ['VARCHAR', 'VARCHAR', 'INTEGER'], identities);
    await this.markProfilesStale(identities.map(([, , uid]) => uid));
  }

  // ---------------------------------------------------------------- kept profiles

  /** Whether any profile is kept: until one is, writes have no stale parts to mark. */
  private profilesKept = false;
  private profileRefresh: Promise<unknown> = Promise.resolve();

  /** Kept parts computed by other code (another layout) are dropped, to be computed again. */
  private async prepareKeptProfiles(): Promise<void> {
    const layout = profiles.keptProfilesLayout();
    const found = await one<{ value: string }>(this.writer, `SELECT value FROM meta WHERE key = 'profile_layout'`);
    if (found?.value !== layout) {
      for (const table of ['profile_parts', 'profile_stale', 'profile_lines', 'profile_files']) await this.writer.run(`DROP TABLE IF EXISTS ${table}`);
    }
    for (const ddl of profiles.KEPT_PROFILES_DDL) await this.writer.run(ddl);
    await this.writer.run(`INSERT OR REPLACE INTO meta VALUES ('profile_layout', $layout)`, { layout });
    this.profilesKept = (await one(this.writer, `SELECT 1 FROM profile_parts LIMIT 1`)) !== undefined;
    await this.sweepProfileFiles(this.writer);
  }

  /**
   * Deletes the profile line files that hold no current line: files of batches that never
   * committed (a crash, a refresh cut short) and files whose every user was computed again since.
   * Never while an export reads lines (it may have been told where lines were before a refresh).
   */
  private async sweepProfileFiles(conn: DuckDBConnection): Promise<void> {
    if (this.lineReaders > 0) return;
    await conn.run(`DELETE FROM profile_files WHERE file NOT IN (SELECT DISTINCT file FROM profile_lines)`);
    const listed = new Set((await rows<{ file: number }>(conn, `SELECT file FROM profile_files`)).map((r) => r.file));
    let last = 0;
    const found = new Set<number>();
    for (const name of readdirSync(this.profileDir)) {
      const file = Number(/^(\d+)\.ndjson$/.exec(name)?.[1] ?? NaN);
      if (listed.has(file)) found.add(file);
      else await rm(join(this.profileDir, name), { force: true });
    }
    for (const file of listed) {
      last = Math.max(last, file);
      // A file gone from the folder (removed by hand, say): its users are computed again.
      if (!found.has(file)) await conn.run(`INSERT INTO profile_stale SELECT uid FROM profile_lines WHERE file = ${file}`);
    }
    this.nextProfileFile = Math.max(this.nextProfileFile, last + 1);
  }

  /**
   * Users whose line is in a file where most lines are no longer current are marked stale, so that
   * the keeper computes them again into a new file and the old one can be deleted: line files take
   * at most about twice the room of the current lines.
   */
  private async compactProfileFiles(conn: DuckDBConnection): Promise<void> {
    const marked = await conn.run(
      `INSERT INTO profile_stale SELECT l.uid FROM profile_lines l JOIN (
         SELECT f.file FROM profile_files f JOIN (SELECT file, count(*) AS live FROM profile_lines GROUP BY file) c ON c.file = f.file
         WHERE c.live * 2 < f.lines) sparse ON sparse.file = l.file`,
    );
    if (marked.rowsChanged > 0) this.staleMarked(marked.rowsChanged);
  }

  private async markProfilesStale(uids: number[]): Promise<void> {
    if (!this.profilesKept || uids.length === 0) return;
    const distinct = [...new Set(uids)];
    await appendRows(this.writer, 'profile_stale', ['INTEGER'], distinct.map((uid) => [uid]));
    this.staleMarked(distinct.length);
  }

  /** Marks appended since the last folding of `profile_stale`. */
  private marksSinceFold = 0;
  private foldStaleMarksAt = 100_000;
  private sortConversionsAt = campaigns.SORT_CONVERSIONS_AT;
  private onUpgrade: (what: string) => void = () => undefined;

  /**
   * Writes only ever append marks (an append never conflicts with a refresh beside it, and a mark
   * must not be skipped for one that a refresh is about to delete), so the same user may be marked
   * many times over. Once the marks appended outnumber the users, they are folded, on the
   * refreshes' connection, one user one mark, and none for users with no kept profile (due anyway).
   */
  private staleMarked(count: number): void {
    this.marksSinceFold += count;
    if (this.marksSinceFold < Math.max(this.foldStaleMarksAt, this.nextUid)) return;
    this.marksSinceFold = 0;
    const run = this.profileRefresh.then(async () => {
      const conn = (this.refresher ??= await this.connect());
      await conn.run(
        `DELETE FROM profile_stale WHERE rowid NOT IN (SELECT min(rowid) FROM profile_stale GROUP BY uid) OR uid NOT IN (SELECT uid FROM profile_parts)`,
      );
    });
    this.profileRefresh = run.catch(() => undefined);
  }

  refresh(options: RefreshOptions = {}): Promise<number> {
    return this.refreshProfiles(undefined, options);
  }

  private refreshProfiles(jobId?: string, options: RefreshOptions = {}): Promise<number> {
    // One refresh at a time: they share the refresher connection and its temp tables.
    const run = this.profileRefresh.then(() => this.refreshKeptProfiles(jobId, options));
    this.profileRefresh = run.catch(() => undefined);
    return run;
  }

  /** Users whose parts are computed in one transaction. */
  private static readonly PROFILE_BATCH = 20_000;

  private profileCandidates(jobId: string | undefined): string {
    return jobId === undefined ? `SELECT uid FROM users` : `SELECT uid FROM (${exportJobs.exportMembersSql(jobId)})`;
  }

  /** The connection refreshes run on: their transactions do not hold up the writer's batches. */
  private refresher: DuckDBConnection | undefined;

  /**
   * Computes kept profiles on a connection of its own, beside ingestion: a batch's transaction
   * reads a snapshot, so a write committed meanwhile leaves its stale mark (which that transaction
   * does not see, so does not delete) for the next refresh. Only appends meet it on the way, which
   * never conflict.
   */
  private async refreshKeptProfiles(jobId: string | undefined, options: RefreshOptions): Promise<number> {
    // Through the writer's queue: every batch committed before this sees no kept profile and
    // marks nothing, so it must be in the snapshot the refresh reads; every one after marks.
    await this.serialized(async () => {
      this.profilesKept = true;
    });
    const conn = (this.refresher ??= await this.connect());
    // The keeper's refresh (of everyone) also gathers the lines of sparse line files.
    if (jobId === undefined) await this.compactProfileFiles(conn);
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE profile_due AS
       SELECT uid, (row_number() OVER (ORDER BY uid) - 1)::INTEGER AS k FROM (${profiles.keptProfilesDueSql(this.profileCandidates(jobId))})`,
    );
    const total = (await one<{ n: number }>(conn, `SELECT count(*)::INTEGER AS n FROM profile_due`))?.n ?? 0;
    const batch = options.batchUsers ?? DuckDbStore.PROFILE_BATCH;
    let done = 0;
    while (done < total && !options.stop?.()) {
      const from = done;
      await profiles.loadNames(conn, await this.getWorkspace());
      await conn.run(`CREATE OR REPLACE TEMP TABLE profile_batch AS SELECT uid FROM profile_due WHERE k >= ${from} AND k < ${from + batch}`);
      await conn.run('BEGIN TRANSACTION');
      // Asked to stop while the batch computes: its query is interrupted and the batch rolled back,
      // so that the machine is free at once (a batch takes seconds on a large store).
      let cut = false;
      const watch = options.stop && setInterval(() => {
        if (options.stop!()) {
          cut = true;
          conn.interrupt();
        }
      }, 10);
      const file = this.nextProfileFile++;
      try {
        await conn.run(`DELETE FROM profile_parts WHERE uid IN (SELECT uid FROM profile_batch)`);
        await conn.run(`INSERT INTO profile_parts ${profiles.profilePartsSql(profiles.KEPT_FIELDS, 'SELECT uid FROM profile_batch')}`);
        await conn.run(`DELETE FROM profile_stale WHERE uid IN (SELECT uid FROM profile_batch)`);
        await this.writeProfileLines(conn, file);
        await conn.run('COMMIT');
      } catch (error) {
        await conn.run('ROLLBACK');
        await rm(join(this.profileDir, profiles.profileFileName(file)), { force: true });
        if (cut) return done;
        throw error;
      } finally {
        if (watch) clearInterval(watch);
      }
      done = Math.min(total, from + batch);
      options.onProgress?.(done, total);
    }
    if (jobId === undefined) await this.sweepProfileFiles(conn);
    return done;
  }

  /**
   * Writes the batch's profiles whole to line file `file` and points `profile_lines` at them, inside
   * the batch's transaction. The file is on disk (synced) before the transaction that points into it
   * commits; a file whose transaction never commits is deleted (at once, or by the next sweep).
   */
  private async writeProfileLines(conn: DuckDBConnection, file: number): Promise<void> {
    const path = join(this.profileDir, profiles.profileFileName(file));
    await conn.run(`CREATE OR REPLACE TEMP TABLE batch_lines AS
      SELECT uid, ${profiles.FULL_LINE_SQL} AS line FROM profile_parts p WHERE uid IN (SELECT uid FROM profile_batch)`);
    // The lines in uid order, as pos counts them.
    const lines = await profiles.copyLines(conn, `SELECT line FROM batch_lines ORDER BY uid`, path);
    for (const synced of [path, this.profileDir]) {
      const handle = await open(synced, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await conn.run(`DELETE FROM profile_lines WHERE uid IN (SELECT uid FROM profile_batch)`);
    await conn.run(`INSERT INTO profile_lines
      SELECT uid, ${file}, sum(strlen(line) + 1) OVER (ORDER BY uid ROWS UNBOUNDED PRECEDING) - strlen(line) - 1, strlen(line) FROM batch_lines`);
    await conn.run(`INSERT INTO profile_files VALUES (${file}, ${lines})`);
    await conn.run(`DROP TABLE batch_lines`);
  }

  /** How many of the job's members have no kept profile, or a stale one; and how many members. */
  private async profilesDue(jobId: string): Promise<{ due: number; members: number }> {
    const found = await one<{ due: number; members: number }>(
      this.reader,
      `SELECT (SELECT count(*) FROM (${profiles.keptProfilesDueSql(this.profileCandidates(jobId))}))::INTEGER AS due,
              (SELECT count(*) FROM (${exportJobs.exportMembersSql(jobId)}))::INTEGER AS members`,
    );
    return found ?? { due: 0, members: 0 };
  }

  private pendingActivity: (() => void) | undefined;

  /** Stores this batch's new events (`insertEvents` copies them into `events`) and updates every
   * rollup from the `ins` table (`messages`: whether it may hold message engagement events). Runs
   * inside the batch's transaction. */
  private async storeInserted(insertEvents: string, messages = true): Promise<number> {
    const count = await one<{ n: number }>(this.writer, `SELECT count(*)::INTEGER AS n FROM ins`);
    const n = count?.n ?? 0;
    if (n === 0) return 0;
    await this.writer.run(insertEvents);
    if (this.profilesKept) this.staleMarked((await this.writer.run(`INSERT INTO profile_stale SELECT DISTINCT uid FROM ins`)).rowsChanged);
    await this.writer.run(countersSql('ins', 'counters', this.zone));
    await this.writer.run(countersSql('ins', 'counter_days', this.zone));
    await this.compactCounters();
    await campaigns.updateCampaignRollups(this.writer, this.zone, messages, this.sortConversionsAt);
    const tuples = tuplesOf<[string, number, number]>(await this.writer.runAndReadAll(sessionDaysSql('ins', this.zone)));
    if (tuples.length > 0) await this.recordActivity(tuples.map(([scope, uid, day]) => ({ scope, uid, day })));
    return n;
  }

  /** Device ids become identities at ingestion; a store made before gets them from its records, once. */
  private async prepareDeviceIdentities(): Promise<void> {
    if (await one(this.writer, `SELECT 1 FROM meta WHERE key = 'device_identities'`)) return;
    if (await one(this.writer, `SELECT 1 FROM events LIMIT 1`)) this.onUpgrade('keeping the device ids of the stored records as identities');
    await this.transaction(async () => {
      await this.writer.run(DEVICE_IDENTITIES_FROM_EVENTS_SQL);
      await this.writer.run(`INSERT OR REPLACE INTO meta VALUES ('device_identities', '1')`);
    });
  }

  /** Rows of each counter log at its last compaction. */
  private readonly countersCompacted = { counters: 0, counter_days: 0 };

  /**
   * Counter logs from before they were logs (a keyed, upserted table), or whose days were counted
   * in another time zone, are rebuilt from the events once.
   */
  private async prepareCounters(): Promise<void> {
    const meta = async (key: string) => (await one<{ value: string }>(this.writer, `SELECT value FROM meta WHERE key = $key`, { key }))?.value;
    if ((await meta('counters_layout')) !== 'log') {
      await this.transaction(async () => {
        await this.rebuildCounters('counters');
        await this.rebuildCounters('counter_days');
        await this.writer.run(`INSERT OR REPLACE INTO meta VALUES ('counters_layout', 'log')`);
      });
    } else if ((await meta('counter_days_zone')) !== this.zone) {
      await this.transaction(() => this.rebuildCounters('counter_days'));
    }
    for (const table of ['counters', 'counter_days'] as const) {
      this.countersCompacted[table] = await this.rowCount(table);
    }
  }

  private async rowCount(table: 'counters' | 'counter_days'): Promise<number> {
    return (await one<{ n: number }>(this.writer, `SELECT count(*)::DOUBLE AS n FROM ${table}`))?.n ?? 0;
  }

  private async rebuildCounters(table: 'counters' | 'counter_days'): Promise<void> {
    await this.writer.run(`DROP TABLE IF EXISTS ${table}`);
    await this.writer.run(table === 'counters' ? COUNTERS_DDL : COUNTER_DAYS_DDL);
    await this.writer.run(countersSql('events', table, this.zone));
    for (const sql of compactCountersSql(table)) await this.writer.run(sql);
    if (table === 'counter_days') await this.writer.run(`INSERT OR REPLACE INTO meta VALUES ('counter_days_zone', $zone)`, { zone: this.zone });
    this.countersCompacted[table] = await this.rowCount(table);
  }

  /**
   * Folds a counter log once the deltas appended since its last compaction outnumber the rows it
   * had then (so each row is rewritten about twice in all, and a read sums few rows a key).
   */
  private async compactCounters(): Promise<void> {
    for (const table of ['counters', 'counter_days'] as const) {
      const size = await this.rowCount(table);
      if (size - this.countersCompacted[table] < Math.max(20_000, this.countersCompacted[table])) continue;
      for (const sql of compactCountersSql(table)) await this.writer.run(sql);
      this.countersCompacted[table] = await this.rowCount(table);
    }
  }

  private async recordActivity(tuples: ActivityTuple[]): Promise<void> {
    const plan = this.activity.plan(tuples);
    const history = new Map<string, number[]>();
    if (plan.needHistory.length > 0) {
      await fillTempTable(this.writer, 'hist_req', { scope: 'VARCHAR', uid: 'INTEGER' }, plan.needHistory.map((h) => [h.scope, h.uid]));
      const found = (
        await this.writer.runAndReadAll(
          `SELECT d.scope, d.uid, list(d.day ORDER BY d.day) FROM user_days d JOIN hist_req h USING (scope, uid) GROUP BY ALL`,
        )
      ).getRowsJS() as Array<[string, number, number[]]>;
      for (const [scope, uid, days] of found) history.set(`${scope}\u0000${uid}`, days.map(Number));
    }
    const change = this.activity.change(tuples, (scope, uid) => history.get(`${scope}\u0000${uid}`) ?? []);
    if (change.newDays.length > 0) {
      await appendRows(this.writer, 'user_days', ['VARCHAR', 'INTEGER', 'INTEGER'], change.newDays.map((t) => [t.scope, t.uid, t.day]));
    }
    if (change.deltas.length > 0) {
      await fillTempTable(
        this.writer,
        'daily_delta',
        { scope: 'VARCHAR', day: 'INTEGER', dau: 'BIGINT', new_users: 'BIGINT', mau_diff: 'BIGINT' },
        change.deltas.map((d) => [d.scope, d.day, d.dau, d.newUsers, d.mauDiff]),
      );
      await this.writer.run(
        `INSERT INTO daily SELECT * FROM daily_delta ON CONFLICT DO UPDATE SET
           dau = dau + EXCLUDED.dau, new_users = new_users + EXCLUDED.new_users, mau_diff = mau_diff + EXCLUDED.mau_diff`,
      );
    }
    this.pendingActivity = change.commit;
  }

  track(batch: TrackBatch): Promise<TrackResult> {
    return this.grouped(this.trackQueue, batch, (group) => this.storeTrack(group));
  }

  /** Stores a group of /users/track batches as one, in their order. */
  private async storeTrack(group: TrackBatch[]): Promise<TrackResult[]> {
    const batch: TrackBatch = {
      attributes: group.flatMap((b) => b.attributes),
      events: group.flatMap((b) => b.events),
      purchases: group.flatMap((b) => b.purchases),
    };
    await this.transaction(async () => {
      const uids = await this.resolveTrackUsers(batch);
      await this.writer.run(`CREATE OR REPLACE TEMP TABLE ins_track AS SELECT * FROM events LIMIT 0`);
      const events = [...batch.events, ...batch.purchases];
      if (events.length > 0) {
        const app = await this.writer.createAppender('ins_track', 'main', 'temp');
        for (const e of events) this.appendEvent(app, e, uids.get(e.user)!);
        app.closeSync();
        await this.writer.run(`UPDATE ins_track SET id_hash = hash(id)`);
        await this.writer.run(`CREATE OR REPLACE TEMP TABLE ins AS SELECT *, 0 AS req FROM ins_track`);
        // Custom events and purchases only: no message engagement.
        await this.storeInserted(`INSERT INTO events SELECT * FROM ins_track`, false);
      }
      await this.storeAttributes(batch.attributes, uids);
    });
    return group.map((b) => ({
      attributesProcessed: b.attributes.length,
      eventsProcessed: b.events.length,
      purchasesProcessed: b.purchases.length,
      errors: [],
    }));
  }

  private appendEvent(app: DuckDBAppender, e: EventRecord, uid: number): void {
    const category = e.eventType === 'users.behaviors.Purchase' ? 'purchase' : 'custom_event';
    const revenue = category === 'purchase' ? (e.price ?? 0) * (e.quantity ?? 1) * (this.rates[e.currency ?? 'USD'] ?? NaN) : null;
    app.appendVarchar(e.id);
    app.appendNull(); // id_hash: filled below by SQL
    app.appendVarchar(e.eventType);
    app.appendVarchar(category);
    app.appendDouble(e.time);
    app.appendInteger(uid);
    appendText(app, e.appId);
    appendText(app, e.name);
    for (let i = 0; i < 8; i++) app.appendNull(); // campaign, variation, canvas x3, send, card, platform
    if (e.price == null) app.appendNull();
    else app.appendDouble(e.price);
    appendText(app, e.currency);
    if (e.quantity == null) app.appendNull();
    else app.appendInteger(e.quantity);
    if (revenue == null) app.appendNull();
    else app.appendDouble(revenue);
    app.appendVarchar(JSON.stringify(e.payload));
    app.endRow();
  }

  /** uid of every user the batch names; unknown users are created unless only updated. */
  private async resolveTrackUsers(batch: TrackBatch): Promise<Map<UserRef, number>> {
    const refs: Array<{ user: UserRef; create: boolean }> = [
      ...batch.attributes.map((a) => ({ user: a.user, create: !a.updateExistingOnly })),
      ...batch.events.map((e) => ({ user: e.user, create: true })),
      ...batch.purchases.map((p) => ({ user: p.user, create: true })),
    ];
    const known = await this.lookupIdentities(refs.flatMap((r) => identityKeys(r.user)));
    const result = new Map<UserRef, number>();
    const newIdentities: Array<[string, string, number]> = [];
    const newUsers: Array<[number, string]> = [];
    for (const { user, create } of refs) {
      const keys = identityKeys(user);
      let uid: number | undefined;
      for (const k of keys) {
        uid = known.get(k.key);
        if (uid !== undefined) break;
      }
      if (uid === undefined) {
        if (!create) continue;
        uid = this.nextUid++;
        const brazeId = user.braze_id ?? newBrazeId();
        newUsers.push([uid, brazeId]);
        if (!user.braze_id) {
          newIdentities.push(['braze_id', brazeId, uid]);
          known.set(`braze_id\u0000${brazeId}`, uid);
        }
      }
      for (const k of keys) {
        if (!known.has(k.key)) {
          known.set(k.key, uid);
          newIdentities.push([k.kind, k.value, uid]);
        }
      }
      result.set(user, uid);
    }
    await this.appendUsers(newUsers);
    await this.appendIdentities(newIdentities);
    return result;
  }

  /** uid of each key found (by `key`), read on `conn` (the writer's, inside a write). */
  private async lookupIdentities(keys: IdentityKey[], conn: DuckDBConnection = this.writer): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (keys.length === 0) return found;
    // Email and phone may name several users; the most recent one is meant. The values are matched
    // as a list of constants, which the index on identities(value) answers (a join scans them all).
    const hits = await identitiesByValue<{ kind: string; value: string; uid: number }>(conn, [...new Set(keys.map((k) => k.value))], 'kind, value, max(uid) AS uid', 'GROUP BY ALL');
    for (const h of hits) found.set(`${h.kind}\u0000${h.value}`, h.uid);
    return found;
  }

  private async storeAttributes(attributes: AttributeRecord[], uids: Map<UserRef, number>): Promise<void> {
    const needed = attributes.filter((a) => uids.has(a.user));
    if (needed.length === 0) return;
    const current = await this.currentValues(
      needed.flatMap((a) => [
        ...Object.keys(a.increments ?? {}).map((name) => [uids.get(a.user)!, name] as const),
        ...Object.keys(a.arrayEdits ?? {}).map((name) => [uids.get(a.user)!, name] as const),
      ]),
    );
    const app = await this.writer.createAppender('attributes');
    const identities: Array<[string, string, number]> = [];
    for (const a of needed) {
      const uid = uids.get(a.user)!;
      const values: Record<string, unknown> = { ...a.values };
      for (const [name, by] of Object.entries(a.increments ?? {})) {
        const key = `${uid}\u0000${name}`;
        const before = current.get(key);
        const next = (typeof before === 'number' ? before : 0) + by;
        values[name] = next;
        current.set(key, next);
      }
      for (const [name, edit] of Object.entries(a.arrayEdits ?? {})) {
        const key = `${uid}\u0000${name}`;
        const before = current.get(key);
        let list = Array.isArray(before) ? [...before] : [];
        for (const v of edit.add ?? []) list.push(v);
        const removed = new Set((edit.remove ?? []).map((v) => JSON.stringify(v)));
        list = list.filter((v) => !removed.has(JSON.stringify(v)));
        values[name] = list;
        current.set(key, list);
      }
      for (const [name, value] of Object.entries(values)) {
        app.appendInteger(uid);
        app.appendVarchar(name);
        app.appendVarchar(JSON.stringify(value ?? null));
        app.appendDouble(a.time);
        app.appendBigInt(BigInt(++this.attributeSeq));
        app.endRow();
        if ((name === 'email' || name === 'phone') && typeof value === 'string' && value !== '') {
          identities.push([name, value, uid]);
        }
      }
    }
    app.closeSync();
    await this.markProfilesStale(needed.map((a) => uids.get(a.user)!));
    await this.appendIdentities(identities);
  }

  private async currentValues(pairs: ReadonlyArray<readonly [number, string]>): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    if (pairs.length === 0) return out;
    await fillTempTable(this.writer, 'attr_req', { uid: 'INTEGER', name: 'VARCHAR' }, pairs);
    const found = await rows<{ uid: number; name: string; value: string }>(
      this.writer,
      `SELECT a.uid, a.name, a.value::VARCHAR AS value FROM attributes a JOIN (SELECT DISTINCT uid, name FROM attr_req) r USING (uid, name)
       QUALIFY row_number() OVER (PARTITION BY a.uid, a.name ORDER BY a.time DESC, a.seq DESC) = 1`,
    );
    for (const f of found) out.set(`${f.uid}\u0000${f.name}`, JSON.parse(f.value));
    return out;
  }

  // ---------------------------------------------------------------- queries

  async counterSeries(q: CounterQuery): Promise<UnitTotals[]> {
    // Rows of every name or every app are kept as totals (chr(1)): one row a slot to read.
    const name = q.name ?? (q.kind === 'session' || q.kind === 'uninstall' ? '' : ALL);
    const app = q.appId ?? ALL;
    const units = q.units.list;
    if (units.length === 0) return [];
    // Days of the zone the daily counters are kept in are read from them, a row a day.
    if (q.units.unit === 'day' && q.units.zone === this.zone) {
      const days = units.map((u) => dayNumber(u.time));
      const found = (
        await this.reader.runAndReadAll(
          `SELECT day, sum(n)::DOUBLE, sum(quantity)::DOUBLE, sum(revenue)::DOUBLE FROM counter_days
           WHERE kind = $kind AND name = $name AND app_id = $app AND day BETWEEN $from AND $to GROUP BY day`,
          { kind: q.kind, name, app, from: days[0], to: days[days.length - 1] },
        )
      ).getRows() as Array<[number, number, number, number]>;
      const byDay = new Map(found.map(([day, count, quantity, revenue]) => [day, { count, quantity, revenue }]));
      return days.map((day) => byDay.get(day) ?? { count: 0, quantity: 0, revenue: 0 });
    }
    const from = units[0].start;
    const to = units[units.length - 1].end;
    const params: Record<string, unknown> = { kind: q.kind, name, app, from: Math.floor(from / 900), to: Math.ceil(to / 900) };
    const filters = `kind = $kind AND name = $name AND app_id = $app AND bucket >= $from AND bucket < $to`;
    // Hour units read at most 400 buckets; binning them in JavaScript beats joining to the units in SQL.
    const sql = `SELECT bucket, sum(n)::DOUBLE, sum(quantity)::DOUBLE, sum(revenue)::DOUBLE FROM counters
       WHERE ${filters} GROUP BY bucket ORDER BY bucket`;
    const found = (await this.reader.runAndReadAll(sql, params as never)).getRows() as Array<[number, number, number, number]>;
    return totalsPerUnit(units, found.map(([bucket, count, quantity, revenue]) => ({ start: bucket * 900, count, quantity, revenue })));
  }

  async activitySeries(q: ActivityQuery): Promise<number[]> {
    if (q.days.length === 0) return [];
    const from = dayNumber(q.days[0]);
    const to = dayNumber(q.days[q.days.length - 1]);
    const scope = q.appId ?? '';
    const out = new Map<string, number>();
    if (q.metric === 'mau') {
      const base = await one<{ m: number | null }>(
        this.reader,
        `SELECT sum(mau_diff)::DOUBLE AS m FROM daily WHERE scope = $scope AND day < $from`,
        { scope, from },
      );
      const diffs = (
        await this.reader.runAndReadAll(
          `SELECT day, mau_diff::DOUBLE FROM daily WHERE scope = $scope AND day BETWEEN $from AND $to`,
          { scope, from, to },
        )
      ).getRows() as Array<[number, number]>;
      const byDay = new Map(diffs);
      let running = base?.m ?? 0;
      for (let day = from; day <= to; day++) {
        running += byDay.get(day) ?? 0;
        out.set(dayLabel(day), running);
      }
    } else {
      const column = q.metric === 'dau' ? 'dau' : 'new_users';
      const found = (
        await this.reader.runAndReadAll(
          `SELECT day, ${column}::DOUBLE FROM daily WHERE scope = $scope AND day BETWEEN $from AND $to ORDER BY day`,
          { scope, from, to },
        )
      ).getRows() as Array<[number, number]>;
      for (const [day, value] of found) out.set(dayLabel(day), value);
    }
    return q.days.map((day) => out.get(day) ?? 0);
  }

  customAttributeSamples(): Promise<CustomAttributeSample[]> {
    return customAttributeSamples(this.reader);
  }

  async hasName(kind: CounterName, name: string): Promise<boolean> {
    const hit = await one<{ n: number }>(
      this.reader,
      `SELECT count(*)::INTEGER AS n FROM (SELECT 1 FROM counter_days WHERE kind = $kind AND name = $name LIMIT 1)`,
      { kind, name },
    );
    return (hit?.n ?? 0) > 0;
  }

  async names(kind: CounterName, offset: number, limit: number): Promise<string[]> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(limit) || offset < 0 || limit < 0) {
      throw new StoreError('invalid_input', 'page must be an integer between 0 and 1000000');
    }
    const found = (
      await this.reader.runAndReadAll(
        `SELECT DISTINCT name FROM counter_days WHERE kind = $kind AND name <> chr(1) ORDER BY name LIMIT $limit OFFSET $offset`,
        { kind, limit: BigInt(limit), offset: BigInt(offset) },
      )
    ).getRows() as Array<[string]>;
    return found.map(([name]) => name);
  }

  async recordCount(): Promise<number> {
    const r = await one<{ n: number }>(this.reader, `SELECT count(*)::DOUBLE AS n FROM events`);
    return r?.n ?? 0;
  }

  messageStats(queries: MessageStatsQuery[]): Promise<MessageStatRow[][]> {
    return campaigns.messageStats(this.reader, queries);
  }

  conversionStats(queries: MessageStatsQuery[]): Promise<ConversionStatRow[][]> {
    return campaigns.conversionStats(this.reader, queries);
  }

  receiptSpan(src: MessageSource, obj: string, send?: string): Promise<ReceiptSpan> {
    return campaigns.receiptSpan(this.reader, src, obj, send);
  }

  seriesDays(src: MessageSource, obj: string, scope: string): Promise<SeriesDays> {
    return campaigns.seriesDays(this.reader, src, obj, scope);
  }

  cardStats(q: CardStatsQuery): Promise<CardStatRow[]> {
    return campaigns.cardStats(this.reader, q);
  }

  // ---------------------------------------------------------------- segments, profiles, user exports

  async segmentSizes(filter: SegmentFilter | undefined, instants: SegmentInstant[]): Promise<number[]> {
    return segments.segmentSizes(await this.connect(), filter, instants);
  }

  async segmentCounterSeries(q: CounterQuery, filter: SegmentFilter | undefined, at: number): Promise<UnitTotals[]> {
    return totalsPerUnit(q.units.list, await segments.segmentCounterSeries(this.reader, q, filter, at));
  }

  async findUsers(kind: UserIdKind, values: string[]): Promise<Map<string, string[]>> {
    return profiles.findUsers(this.reader, kind, values);
  }

  async userProfiles(brazeIds: string[], options: ProfileOptions): Promise<string[]> {
    return profiles.userProfiles(await this.connect(), await this.getWorkspace(), brazeIds, options, this.profilesKept);
  }

  createExportJob(job: ExportJob): Promise<void> {
    return this.serialized(() => exportJobs.createExportJob(this.writer, job));
  }

  updateExportJob(id: string, patch: ExportJobPatch): Promise<void> {
    return this.serialized(() => exportJobs.updateExportJob(this.writer, id, patch));
  }

  exportJobs(): Promise<ExportJob[]> {
    return exportJobs.exportJobs(this.reader);
  }

  snapshotExportMembers(jobId: string, filter: SegmentFilter | undefined, at: number): Promise<number> {
    return this.serialized(() => exportJobs.snapshotExportMembers(this.writer, jobId, filter, at));
  }

  async openExportProfiles(jobId: string, options: ProfileOptions): Promise<ExportProfiles> {
    // Kept profiles hold every custom attribute: a selection of them is computed from the events.
    // So are the profiles of an export whose members mostly have none kept (or a stale one): computing
    // a profile to keep costs more than computing it to export, and reading kept ones a fourth of it.
    let kept = options.customAttributes === undefined;
    if (kept) {
      const { due, members } = await this.profilesDue(jobId);
      kept = due * 2 <= members;
      if (kept && due > 0) await this.refreshProfiles(jobId);
    }
    if (kept && profiles.isFullLine(options.fields)) {
      const conn = await this.connect();
      this.lineReaders++;
      let closed = false;
      return new profiles.LineProfileReader(conn, this.profileDir, jobId, () => {
        if (!closed) this.lineReaders--;
        closed = true;
      });
    }
    if (kept) return profiles.KeptProfileReader.open([await this.connect(), await this.connect()], jobId, options, this.spoolDir);
    return profiles.ExportProfileReader.open(await this.connect(), await this.getWorkspace(), jobId, options);
  }

  dropExportMembers(jobId: string): Promise<void> {
    return this.serialized(() => exportJobs.dropExportMembers(this.writer, jobId));
  }

  secret(purpose: string): Promise<string> {
    return this.serialized(() => exportJobs.secret(this.writer, purpose));
  }

  // ---------------------------------------------------------------- workspace and keys

  async getWorkspace(): Promise<Workspace> {
    const r = await one<{ doc: string }>(this.reader, `SELECT doc FROM workspace WHERE id = 1`);
    return r ? (JSON.parse(r.doc) as Workspace) : structuredClone(EMPTY_WORKSPACE);
  }

  putWorkspace(ws: Workspace): Promise<void> {
    return this.serialized(async () => {
      // Kept profiles name apps, campaigns, Canvases and cards: new names make them all stale
      // (marked before the new names are stored, so that a crash between cannot keep old ones).
      if (JSON.stringify(profiles.workspaceNames(ws)) !== JSON.stringify(profiles.workspaceNames(await this.getWorkspace()))) {
        await this.writer.run(`INSERT INTO profile_stale SELECT uid FROM profile_parts`);
      }
      await this.writer.run(`INSERT OR REPLACE INTO workspace VALUES (1, $doc)`, { doc: JSON.stringify(ws) });
      const zoneBefore = this.zone;
      this.applyWorkspaceSettings(ws);
      await this.loadRates();
      if (this.zone !== zoneBefore) await this.rebuildActivity();
      await campaigns.syncCampaignRollups(this.writer, ws, this.zone);
    });
  }

  addApiKey(key: ApiKeyRecord): Promise<void> {
    return this.serialized(async () => {
      await this.writer.run(`INSERT OR REPLACE INTO api_keys (hash, name, permissions, created_at, workspace) VALUES ($hash, $name, $permissions, $created, $workspace)`, {
        hash: key.hash,
        name: key.name,
        permissions: JSON.stringify(key.permissions),
        created: key.createdAt,
        workspace: key.workspace,
      });
    });
  }

  async findApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    const r = await one<KeyRow>(this.reader, `SELECT * FROM api_keys WHERE hash = $hash`, { hash });
    return r && keyRecord(r);
  }

  async listApiKeys(workspace: string): Promise<ApiKeyRecord[]> {
    return (await rows<KeyRow>(this.reader, `SELECT * FROM api_keys WHERE workspace = $workspace ORDER BY created_at, name`, { workspace })).map(keyRecord);
  }

}

interface KeyRow {
  hash: string;
  name: string;
  permissions: string;
  created_at: string;
  workspace: string;
}

const keyRecord = (r: KeyRow): ApiKeyRecord => ({
  hash: r.hash, name: r.name, permissions: JSON.parse(r.permissions) as string[], createdAt: r.created_at, workspace: r.workspace,
});

/** Totals of 15-minute buckets (ascending) per unit of a series. */
function totalsPerUnit(units: CounterQuery['units']['list'], buckets: Array<{ start: number } & UnitTotals>): UnitTotals[] {
  const count = binIntoUnits(units, buckets, (b) => b.count);
  const quantity = binIntoUnits(units, buckets, (b) => b.quantity);
  const revenue = binIntoUnits(units, buckets, (b) => b.revenue);
  return units.map((_, i) => ({ count: count[i], quantity: quantity[i], revenue: revenue[i] }));
}

function appendText(app: DuckDBAppender, value: string | null | undefined): void {
  if (value == null) app.appendNull();
  else app.appendVarchar(value);
}

function isMalformedJson(error: unknown): boolean {
  const text = String(error instanceof Error ? error.message : error);
  return /^Invalid Input Error/.test(text) || /JSON/.test(text.split('\n')[0]);
}

function malformedMessage(error: unknown): string {
  const text = String(error instanceof Error ? error.message : error);
  const line = /line (\d+)/.exec(text);
  return line ? `body is not valid JSON: record on line ${line[1]} cannot be read` : 'body is not valid JSON';
}


/**
 * `duckdb:PATH`: the data folder (one DuckDB file in it, made on first use); `duckdb::memory:` keeps
 * everything in memory (tests). A bare path is a folder too.
 */
export const duckdbEngine: Engine = {
  name: 'duckdb',
  example: 'duckdb:PATH',
  open(url: string, options: EngineOptions): Promise<Store> {
    const dataDir = url.replace(/^duckdb:(\/\/)?/i, '');
    if (dataDir === '') throw new StoreError('invalid_input', `--store ${url} names no folder: write duckdb:PATH`);
    return DuckDbStore.open({ dataDir, now: options.now, memoryLimit: options.memoryLimit, onUpgrade: options.onUpgrade });
  },
};

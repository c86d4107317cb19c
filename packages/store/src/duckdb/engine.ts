import { randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { ApiKeyRecord, Workspace } from '../types.ts';
import {
  DEFAULT_WORKSPACE, SNAPSHOT_NAME, WORKSPACE_NAME,
  type KeyCatalog, type SnapshotInfo, type Store, type WorkspaceInfo, type WorkspaceStates, type WorkspaceStore,
} from '../ports.ts';
import { StoreError } from '../errors.ts';
import type { Engine, EngineOptions } from '../registry.ts';
import { DuckDbStore, newDuckDbInstance } from './store.ts';

const FILE = 'brazen.duckdb';
/** Written last when a workspace is made: a folder without it is a creation cut short. */
const MARKER = 'workspace.json';
const SNAPSHOT_MARKER = 'snapshot.json';

const isMemory = (dataDir: string) => dataDir === ':memory:';

export interface DuckDbWorkspacesOptions extends EngineOptions {
  /** Tracked segments' histories kept in every workspace (DuckDbStoreOptions.keptSegments). */
  keptSegments?: boolean;
}

/**
 * Several workspaces in one data folder, every file attached to one DuckDB instance, so that they
 * share one buffer pool under `--memory-limit` and one set of threads:
 *
 *     DATA/brazen.duckdb                  the default workspace (a folder made before workspaces
 *                                         had names is this one, unchanged), and every API key
 *     DATA/workspaces/NAME/brazen.duckdb  another workspace, with its own spool/ and profiles/
 *     DATA/snapshots/NAME/SNAPSHOT/       a saved workspace: its file and kept profile lines
 *
 * A save, a restore or a reset detaches the workspace's file (a save checkpoints it first; the others
 * throw it away), copies a file, and attaches it again: fast whatever the size (a copy of one file,
 * links to the profile lines), and exact, since a restored workspace is the very file that was
 * saved. The API keys, in the default file, are carried over when that file is swapped; key lookups
 * wait meanwhile.
 */
export class DuckDbWorkspaces implements Store, WorkspaceStates {
  readonly engine = 'duckdb';
  readonly keys: KeyCatalog;
  readonly states: WorkspaceStates = this;
  private readonly open = new Map<string, DuckDbStore>();
  private readonly createdAt = new Map<string, string>();
  /** Attachments are named afresh each time, so that nothing can reach a file after its swap. */
  private attachments = 0;
  private readonly aliases = new Map<string, string>();
  /** Resolves once the default file (holding the keys) is attached: key calls wait on it. */
  private keysReady: Promise<void> = Promise.resolve();
  /** Key calls under way: a swap of the default file waits for them before it copies the keys. */
  private readonly keyCalls = new Set<Promise<unknown>>();
  /** One change at a time per workspace (create, reset, snapshots). */
  private readonly changes = new Map<string, Promise<unknown>>();
  /** The folder of an empty workspace's file, made once by this process for resets to copy. */
  private empty: Promise<string> | undefined;

  private constructor(
    private readonly instance: DuckDBInstance,
    /** Runs the engine's own statements (the keys carried over a swap). */
    private readonly conn: DuckDBConnection,
    private readonly dataDir: string,
    private readonly options: DuckDbWorkspacesOptions,
  ) {
    const keyCall = <A extends unknown[], R>(call: (keys: KeyCatalog, ...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        // Past the swap that was under way when it came, and counted before another can start:
        // a key written into the old file while its keys are copied out would be lost.
        for (let ready = this.keysReady; ; ready = this.keysReady) {
          await ready;
          if (ready === this.keysReady) break;
        }
        const run = call(this.store(DEFAULT_WORKSPACE), ...args);
        this.keyCalls.add(run);
        try {
          return await run;
        } finally {
          this.keyCalls.delete(run);
        }
      };
    this.keys = {
      addApiKey: keyCall((k, key: ApiKeyRecord) => k.addApiKey(key)),
      findApiKey: keyCall((k, hash: string) => k.findApiKey(hash)),
      listApiKeys: keyCall((k, workspace: string) => k.listApiKeys(workspace)),
      removeApiKeys: keyCall((k, workspace: string, keep: readonly string[]) => k.removeApiKeys(workspace, keep)),
    };
  }

  /** Opens the folder (`:memory:` keeps every workspace in memory) and every workspace in it. */
  static async open(dataDir: string, options: DuckDbWorkspacesOptions = {}): Promise<DuckDbWorkspaces> {
    const instance = await newDuckDbInstance(options.memoryLimit);
    const engine = new DuckDbWorkspaces(instance, await instance.connect(), dataDir, options);
    await engine.attach(DEFAULT_WORKSPACE);
    if (!isMemory(dataDir)) {
      const root = join(dataDir, 'workspaces');
      for (const name of existsSync(root) ? (await readdir(root)).sort() : []) {
        const marker = await readFile(join(root, name, MARKER), 'utf8').catch(() => undefined);
        if (marker === undefined || !WORKSPACE_NAME.test(name)) continue;
        engine.createdAt.set(name, (JSON.parse(marker) as { created_at: string }).created_at);
        await engine.attach(name);
      }
    }
    return engine;
  }

  workspace(name: string = DEFAULT_WORKSPACE): WorkspaceStore {
    return this.store(name).workspace();
  }

  async workspaces(): Promise<WorkspaceInfo[]> {
    const others = [...this.createdAt].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, createdAt]) => ({ name, createdAt }));
    return [{ name: DEFAULT_WORKSPACE }, ...others];
  }

  async createWorkspace(name: string, doc: Workspace): Promise<WorkspaceStore> {
    if (!WORKSPACE_NAME.test(name)) {
      throw new StoreError('invalid_input', `name must be 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit (got ${JSON.stringify(name)})`);
    }
    return this.change(name, async () => {
      if (this.open.has(name)) throw new StoreError('conflict', `workspace ${name} exists already`);
      const folder = this.folder(name);
      // What a creation cut short left.
      if (!isMemory(folder)) await rm(folder, { recursive: true, force: true });
      const store = await this.attach(name);
      await store.putWorkspace(doc);
      const createdAt = new Date((this.options.now ?? Date.now)()).toISOString();
      if (!isMemory(folder)) await writeAtomically(join(folder, MARKER), JSON.stringify({ name, created_at: createdAt }));
      this.createdAt.set(name, createdAt);
      return store.workspace();
    });
  }

  // ---------------------------------------------------------------- reset and snapshots

  async reset(name: string, options: { definitions: boolean }): Promise<void> {
    return this.change(name, async () => {
      const doc = await this.store(name).getWorkspace();
      const kept: Workspace = options.definitions
        ? { apps: [], campaigns: [], canvases: [], segments: [], cards: [], ...(doc.time_zone ? { time_zone: doc.time_zone } : {}) }
        : doc;
      const empty = isMemory(this.dataDir) ? undefined : await this.emptyWorkspace();
      const store = await this.swap(name, false, async (folder) => {
        if (empty === undefined) return;
        await removeData(folder);
        await copyData(empty, folder);
      });
      await store.putWorkspace(kept);
    });
  }

  async saveSnapshot(name: string, snapshot: string): Promise<SnapshotInfo & { replaced: boolean }> {
    const dir = this.snapshotDir(name, snapshot);
    return this.change(name, async () => {
      const records = await this.store(name).recordCount();
      const staging = join(this.snapshotRoot(name), `.${snapshot}.${randomUUID()}`);
      // Checkpointed on the way: a restore then attaches a file with no log to replay.
      await this.swap(name, true, async (folder) => {
        await mkdir(join(staging, 'profiles'), { recursive: true });
        await copyData(folder, staging);
        await linkFiles(join(folder, 'profiles'), join(staging, 'profiles'));
      });
      const info: SnapshotInfo = { name: snapshot, createdAt: new Date((this.options.now ?? Date.now)()).toISOString(), records, bytes: await folderBytes(staging) };
      await writeFile(join(staging, SNAPSHOT_MARKER), JSON.stringify(info));
      const replaced = existsSync(dir);
      if (replaced) {
        const old = `${staging}.old`;
        await rename(dir, old);
        await rename(staging, dir);
        await rm(old, { recursive: true, force: true });
      } else await rename(staging, dir);
      return { ...info, replaced };
    });
  }

  async snapshots(name: string): Promise<SnapshotInfo[]> {
    this.store(name);
    if (isMemory(this.dataDir)) return [];
    const root = this.snapshotRoot(name);
    const found: SnapshotInfo[] = [];
    for (const entry of existsSync(root) ? (await readdir(root)).sort() : []) {
      const marker = await readFile(join(root, entry, SNAPSHOT_MARKER), 'utf8').catch(() => undefined);
      if (marker !== undefined && !entry.startsWith('.')) found.push(JSON.parse(marker) as SnapshotInfo);
    }
    return found;
  }

  async restoreSnapshot(name: string, snapshot: string): Promise<void> {
    const dir = this.snapshotDir(name, snapshot);
    return this.change(name, async () => {
      if (!existsSync(join(dir, SNAPSHOT_MARKER))) throw new StoreError('not_found', `workspace ${name} has no snapshot ${snapshot}`);
      await this.swap(name, false, async (folder) => {
        await removeData(folder);
        await mkdir(join(folder, 'profiles'), { recursive: true });
        await copyData(dir, folder);
        await linkFiles(join(dir, 'profiles'), join(folder, 'profiles'));
      });
    });
  }

  async deleteSnapshot(name: string, snapshot: string): Promise<void> {
    const dir = this.snapshotDir(name, snapshot);
    return this.change(name, async () => {
      if (!existsSync(join(dir, SNAPSHOT_MARKER))) throw new StoreError('not_found', `workspace ${name} has no snapshot ${snapshot}`);
      await rm(dir, { recursive: true, force: true });
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.changes.values()].map((c) => c.catch(() => undefined)));
    for (const store of this.open.values()) await store.close();
    this.open.clear();
    if (this.empty) await rm(await this.empty, { recursive: true, force: true });
    this.conn.closeSync();
    this.instance.closeSync();
  }

  // ---------------------------------------------------------------- parts

  private store(name: string): DuckDbStore {
    const store = this.open.get(name);
    if (!store) throw new StoreError('not_found', `workspace ${name} does not exist`);
    return store;
  }

  private folder(name: string): string {
    if (isMemory(this.dataDir)) return this.dataDir;
    return name === DEFAULT_WORKSPACE ? this.dataDir : join(this.dataDir, 'workspaces', name);
  }

  private snapshotRoot(name: string): string {
    return join(this.dataDir, 'snapshots', name);
  }

  /** The folder of a snapshot, once its name and the store's kind allow one. */
  private snapshotDir(name: string, snapshot: string): string {
    if (isMemory(this.dataDir)) throw new StoreError('capability_missing', 'snapshots need a data folder: this store is in memory (duckdb::memory:)');
    if (!SNAPSHOT_NAME.test(snapshot)) {
      throw new StoreError('invalid_input', `name must be 1 to 64 of A-Z, a-z, 0-9, ., _ and -, starting with a letter or digit (got ${JSON.stringify(snapshot)})`);
    }
    this.store(name);
    return join(this.snapshotRoot(name), snapshot);
  }

  /** An empty workspace's file, checkpointed: a reset copies it, several times faster than making
   * a file (its tables and index) anew. Made once per process, so it is always this code's. */
  private emptyWorkspace(): Promise<string> {
    return (this.empty ??= (async () => {
      const folder = join(this.dataDir, '.empty-workspace');
      await rm(folder, { recursive: true, force: true });
      const store = await DuckDbStore.open({ dataDir: folder, shared: { instance: this.instance, catalog: `w${++this.attachments}`, workspace: 'empty' } });
      await store.close();
      return folder;
    })());
  }

  private async attach(name: string): Promise<DuckDbStore> {
    const catalog = `w${++this.attachments}`;
    const store = await DuckDbStore.open({
      dataDir: this.folder(name),
      now: this.options.now,
      onUpgrade: this.options.onUpgrade,
      keptSegments: this.options.keptSegments,
      shared: { instance: this.instance, catalog, workspace: name },
    });
    this.open.set(name, store);
    this.aliases.set(name, catalog);
    return store;
  }

  /**
   * Detaches the workspace's file (checkpointed first when `checkpoint`: not when it is about to be
   * thrown away), lets `change` work on its folder, and attaches it again. The default file holds
   * every API key: they are carried over as they are now (a snapshot's keys are never brought
   * back), and key calls wait until they are.
   */
  private async swap(name: string, checkpoint: boolean, change: (folder: string) => Promise<void>): Promise<DuckDbStore> {
    const holdsKeys = name === DEFAULT_WORKSPACE;
    let keysBack = () => undefined as void;
    if (holdsKeys) {
      await this.keysReady;
      this.keysReady = new Promise<void>((resolve) => {
        keysBack = resolve;
      });
      await Promise.allSettled([...this.keyCalls]);
      await this.conn.run(`CREATE OR REPLACE TEMP TABLE kept_api_keys AS SELECT * FROM "${this.aliases.get(name)}".api_keys`);
    }
    try {
      await this.store(name).close(checkpoint);
      this.open.delete(name);
      // Attached again whatever `change` did: a workspace is never left unserved (a change cut
      // short leaves what it left, which the error then explains).
      let failed: unknown;
      await change(this.folder(name)).catch((error: unknown) => {
        failed = error ?? new Error('the change failed');
      });
      const store = await this.attach(name);
      if (holdsKeys) {
        const alias = this.aliases.get(name)!;
        await this.conn.run(`DELETE FROM "${alias}".api_keys`);
        await this.conn.run(`INSERT INTO "${alias}".api_keys BY NAME SELECT * FROM kept_api_keys`);
        await this.conn.run(`DROP TABLE kept_api_keys`);
      }
      if (failed !== undefined) throw failed;
      return store;
    } finally {
      keysBack();
    }
  }

  private change<T>(name: string, work: () => Promise<T>): Promise<T> {
    const run = (this.changes.get(name) ?? Promise.resolve()).then(work, work);
    this.changes.set(name, run.catch(() => undefined));
    return run;
  }
}

/** A workspace's data in its folder: the file, its WAL, the kept profile lines. */
async function removeData(folder: string): Promise<void> {
  for (const file of [FILE, `${FILE}.wal`]) await rm(join(folder, file), { force: true });
  await rm(join(folder, 'profiles'), { recursive: true, force: true });
}

/** Copies a workspace's file, and its WAL when it has one (a file detached without a checkpoint
 * keeps part of its data there). */
async function copyData(from: string, to: string): Promise<void> {
  await copyFile(join(from, FILE), join(to, FILE));
  if (existsSync(join(from, `${FILE}.wal`))) await copyFile(join(from, `${FILE}.wal`), join(to, `${FILE}.wal`));
}

/** Links every file of `from` into `to` (profile line files are written once, never changed), or
 * copies it where a link cannot be made. */
async function linkFiles(from: string, to: string): Promise<void> {
  for (const file of existsSync(from) ? await readdir(from) : []) {
    await link(join(from, file), join(to, file)).catch(() => copyFile(join(from, file), join(to, file)));
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true })) {
    const s = await stat(join(dir, entry));
    if (s.isFile()) total += s.size;
  }
  return total;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomUUID()}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/**
 * `duckdb:PATH`: the data folder (its DuckDB files are made on first use); `duckdb::memory:` keeps
 * everything in memory (tests). A bare path is a folder too. `BRAZEN_KEPT_SEGMENTS=off` answers
 * segment sizes from the records in every workspace.
 */
export const duckdbEngine: Engine = {
  name: 'duckdb',
  example: 'duckdb:PATH',
  open(url: string, options: EngineOptions): Promise<Store> {
    const dataDir = url.replace(/^duckdb:(\/\/)?/i, '');
    if (dataDir === '') throw new StoreError('invalid_input', `--store ${url} names no folder: write duckdb:PATH`);
    return DuckDbWorkspaces.open(dataDir, { ...options, keptSegments: !/^(off|0|false|no)$/i.test(process.env.BRAZEN_KEPT_SEGMENTS ?? '') });
  },
};

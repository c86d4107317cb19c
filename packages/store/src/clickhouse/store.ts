/**
 * The ClickHouse engine: `clickhouse://HOST:HTTP_PORT[,HOST:PORT...]/DATABASE[?cluster=NAME]` (a server,
 * or one node per shard of a cluster) and `chdb:PATH` (in process). Tables are made by the versioned
 * migrations at open. Stateless: every brazen process on the same database sees the same data and
 * catalog; what must happen once (a batch of a workspace, a secret, an export job) is serialized by
 * leases (in memory for one process, Redis for several: `EngineOptions.leases`).
 */
import type { Engine, EngineOptions } from '../registry.ts';
import type { KeyCatalog, Store, WorkspaceInfo, WorkspaceStore } from '../ports.ts';
import { DEFAULT_WORKSPACE } from '../ports.ts';
import { StoreError } from '../errors.ts';
import { MemoryLeases, type Leases } from '../leases.ts';
import { ClickHouseCatalog, ClickHouseKeys, Documents, type ActivityState } from './catalog.ts';
import { ClickHouseConnection } from './client.ts';
import type { EngineContext } from './context.ts';
import { ClickHouseData } from './data.ts';
import { ClickHouseStoreError } from './errors.ts';
import { migrate } from './migrations.ts';
import { sql } from './sql.ts';
import { STORE_MIGRATIONS } from './schema.ts';
import { dropOldActivity, rebuildActivity } from './time-zone.ts';
import type { Workspace } from '../types.ts';

export interface ClickHouseStoreOptions {
  url: string;
  now?: () => number;
  /** Where leases live: in memory (one brazen process) unless given (Redis, for several). */
  leases?: Leases;
  env?: Record<string, string | undefined>;
}

export class ClickHouseStore implements Store {
  readonly engine = 'clickhouse';
  readonly keys: KeyCatalog;
  private readonly opened = new Map<string, WorkspaceStore>();

  private constructor(
    private readonly ctx: EngineContext,
    private readonly ownsLeases: boolean,
  ) {
    this.keys = new ClickHouseKeys(ctx.docs);
  }

  static async open(options: ClickHouseStoreOptions): Promise<ClickHouseStore> {
    const db = await ClickHouseConnection.open(options.url, { env: options.env });
    try {
      const docs = new Documents(db);
      // Checked before the migrations too: a database opened with another number of nodes also
      // differs in its read tables, which the migrations would report less plainly.
      const made = await existingTables(db);
      if (made.has('catalog')) await checkShards(docs, db.nodes.length);
      await migrate(db, STORE_MIGRATIONS);
      await checkShards(docs, db.nodes.length);
      const ctx: EngineContext = { db, shards: db.nodes.length, leases: options.leases ?? new MemoryLeases(), docs, now: options.now ?? Date.now, state: { closed: false } };
      return new ClickHouseStore(ctx, options.leases === undefined);
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  workspace(name: string = DEFAULT_WORKSPACE): WorkspaceStore {
    if (name !== DEFAULT_WORKSPACE) throw new StoreError('invalid_input', `workspace ${name} does not exist`);
    let found = this.opened.get(name);
    if (!found) {
      const catalog: ClickHouseCatalog = new ClickHouseCatalog(this.ctx.docs, this.ctx.leases, name, {
        apply: (doc, state) => this.applyWorkspace(name, doc, state),
        tidy: (state) => dropOldActivity(this.ctx, name, state.gen),
      });
      const data = new ClickHouseData(this.ctx, name, catalog);
      found = { name, data, catalog };
      this.opened.set(name, found);
    }
    return found;
  }

  /** One workspace for now (several workspaces are the DuckDB engine's). */
  async workspaces(): Promise<WorkspaceInfo[]> {
    return [{ name: DEFAULT_WORKSPACE }];
  }

  async createWorkspace(name: string): Promise<WorkspaceStore> {
    throw new StoreError('capability_missing', `the ClickHouse engine holds one workspace (default) for now: workspace ${name} cannot be made`);
  }

  /** A new time zone: the day-based figures are computed again in it before the document is stored. */
  private async applyWorkspace(ws: string, doc: Workspace, state: ActivityState): Promise<ActivityState> {
    const zone = doc.time_zone ?? 'UTC';
    if (zone === state.zone) return state;
    const next = { gen: state.gen + 1, zone };
    await rebuildActivity(this.ctx, ws, zone, next.gen);
    return next;
  }

  async close(): Promise<void> {
    if (this.ctx.state.closed) return;
    await Promise.all([...this.opened.values()].map((w) => (w.data as ClickHouseData).idle()));
    this.ctx.state.closed = true;
    if (this.ownsLeases) await this.ctx.leases.close();
    await this.ctx.db.close();
  }
}

async function existingTables(db: ClickHouseConnection): Promise<Set<string>> {
  const rows = await db.query<{ name: string }>(sql`SELECT name FROM system.tables WHERE database = ${db.database}`);
  return new Set(rows.map((r) => r.name));
}

/** Users are placed by the number of shards: a database written with another number must be
 * placed again first (README, Deploying on ClickHouse: Growing). */
async function checkShards(docs: Documents, shards: number): Promise<void> {
  const found = await docs.get('', 'layout', 'shards');
  if (!found) {
    await docs.put([{ ws: '', kind: 'layout', id: 'shards', body: String(shards) }]);
    return;
  }
  if (Number(found.body) !== shards) {
    throw new ClickHouseStoreError('cluster', `the database's users are placed on ${found.body} shards and the URL names ${shards}: a database keeps its number of shards (README, Deploying on ClickHouse: Growing)`);
  }
}

/** `clickhouse://...`, `clickhouses://...` and `chdb:PATH`. */
export const clickhouseEngine: Engine = {
  name: 'clickhouse',
  example: 'clickhouse://HOST:HTTP_PORT/DATABASE',
  open: (url: string, options: EngineOptions) => ClickHouseStore.open({ url, now: options.now, leases: options.leases }),
};

export const clickhouseEngines: Engine[] = [
  clickhouseEngine,
  { ...clickhouseEngine, name: 'clickhouses', example: 'clickhouses://HOST:HTTPS_PORT/DATABASE' },
  { ...clickhouseEngine, name: 'chdb', example: 'chdb:PATH' },
];

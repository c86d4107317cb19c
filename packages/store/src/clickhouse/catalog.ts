/**
 * The catalog in ClickHouse: versioned documents (the workspace, export jobs, secrets, API keys) in
 * one ReplacingMergeTree table on the first node. A write never changes a row: it adds a version,
 * and a read takes each document's latest (argMax, so merges never matter). Writes that must see
 * what is there first (an update of a job, a secret made on first use) hold the workspace's catalog
 * lease and write the next version, so that concurrent brazen processes never lose one another's
 * writes.
 */
import { randomBytes } from 'node:crypto';
import type { ApiKeyRecord, ImportedObject, Workspace } from '../types.ts';
import type { Catalog, KeyCatalog } from '../ports.ts';
import type { ExportJob, ExportJobPatch } from '../segment-types.ts';
import { StoreError } from '../errors.ts';
import { holding, type Leases } from '../leases.ts';
import type { ClickHouseConnection } from './client.ts';
import { join, sql } from './sql.ts';

export interface StoredDocument {
  id: string;
  version: number;
  /** Version of the document's first write: the order documents were made in. */
  made: number;
  body: string;
}

/** Documents of the catalog table (first node). `ws` is '' for documents of every workspace (keys). */
export class Documents {
  private last = 0;

  constructor(private readonly db: ClickHouseConnection) {}

  /** A version above every version this process wrote and above `after`. */
  nextVersion(after = 0): number {
    this.last = Math.max(this.last + 1, Date.now() * 1000, after + 1);
    return this.last;
  }

  async list(ws: string, kind: string, id?: string): Promise<StoredDocument[]> {
    return (await this.read(ws, [kind], id)).map(({ kind: _, ...doc }) => doc);
  }

  /** Documents of several kinds in one query (of one id, when given). */
  async read(ws: string, kinds: readonly string[], id?: string): Promise<Array<StoredDocument & { kind: string }>> {
    const rows = await this.db.query<{ kind: string; id: string; latest: number; first: number; text: string; gone: number }>(
      sql`SELECT kind, id, max(version) AS latest, min(made) AS first, argMax(body, version) AS text, argMax(deleted, version) AS gone
          FROM ${this.db.table('catalog')} WHERE ws = ${ws} AND kind IN (${join(kinds.map((k) => sql`${k}`))}) ${id === undefined ? sql`` : sql`AND id = ${id}`}
          GROUP BY kind, id ORDER BY first, id`,
    );
    return rows.filter((r) => r.gone === 0).map((r) => ({ kind: r.kind, id: r.id, version: r.latest, made: r.first, body: r.text }));
  }

  async get(ws: string, kind: string, id: string): Promise<StoredDocument | undefined> {
    return (await this.list(ws, kind, id))[0];
  }

  /** Writes documents in one insert (all or none of them). A document written again says when it was
   * first made (`made`, from the one it replaces; its own version when new). */
  async put(docs: ReadonlyArray<{ ws: string; kind: string; id: string; body: string; after?: StoredDocument; deleted?: boolean }>): Promise<void> {
    if (docs.length === 0) return;
    await this.db.insert(
      'catalog',
      docs.map((d) => {
        const version = this.nextVersion(d.after?.version);
        return { ws: d.ws, kind: d.kind, id: d.id, version, made: d.after?.made ?? version, deleted: d.deleted ? 1 : 0, body: d.body };
      }),
    );
  }
}

const EMPTY_WORKSPACE: Workspace = { apps: [], campaigns: [], canvases: [], segments: [], cards: [] };

/** How the engine keeps a workspace's day-based figures: built in `zone`, under generation `gen`. */
export interface ActivityState {
  gen: number;
  zone: string;
}

const activityStateOf = (found: StoredDocument | undefined): ActivityState => (found ? (JSON.parse(found.body) as ActivityState) : { gen: 0, zone: 'UTC' });

/** What the engine derives from a workspace document: `apply` brings it in line with a new document
 * (under the workspace's write lease, before the document is stored), `tidy` drops what an earlier
 * generation left once the new one is stored. */
export interface DerivedFromWorkspace {
  apply(next: Workspace, state: ActivityState): Promise<ActivityState>;
  tidy(state: ActivityState): Promise<void>;
}

/** One workspace's catalog. */
export class ClickHouseCatalog implements Catalog {
  constructor(
    private readonly docs: Documents,
    private readonly leases: Leases,
    readonly ws: string,
    private readonly derived: DerivedFromWorkspace,
  ) {}

  async getWorkspace(): Promise<Workspace> {
    const found = await this.docs.get(this.ws, 'workspace', '');
    return found ? (JSON.parse(found.body) as Workspace) : structuredClone(EMPTY_WORKSPACE);
  }

  async activityState(): Promise<ActivityState> {
    return activityStateOf(await this.docs.get(this.ws, 'activity', ''));
  }

  /** What a batch of writes reads first: the document, the activity state and the sequence's mark. */
  async writeState(): Promise<{ doc: Workspace; activity: ActivityState; sequence: number }> {
    const found = new Map((await this.docs.read(this.ws, ['workspace', 'activity', 'sequence'], '')).map((d) => [d.kind, d]));
    const doc = found.get('workspace');
    return {
      doc: doc ? (JSON.parse(doc.body) as Workspace) : structuredClone(EMPTY_WORKSPACE),
      activity: activityStateOf(found.get('activity')),
      sequence: Number(found.get('sequence')?.body ?? 0),
    };
  }

  /** The lease a workspace's writes of records and of its document are serialized under. */
  get writeLease(): string {
    return `${this.ws}:write`;
  }

  async putWorkspace(ws: Workspace): Promise<void> {
    const before = await this.activityState();
    const after = await holding(this.leases, this.writeLease, async (stillHeld) => {
      const state = await this.derived.apply(ws, await this.activityState());
      stillHeld();
      await this.docs.put([
        { ws: this.ws, kind: 'workspace', id: '', body: JSON.stringify(ws) },
        { ws: this.ws, kind: 'activity', id: '', body: JSON.stringify(state) },
      ]);
      return state;
    }, { purpose: 'storing the workspace document', waitMs: 600_000 });
    if (after.gen !== before.gen) await this.derived.tidy(after);
  }

  async createExportJob(job: ExportJob): Promise<void> {
    await this.docs.put([{ ws: this.ws, kind: 'export_job', id: job.id, body: JSON.stringify(job) }]);
  }

  async updateExportJob(id: string, patch: ExportJobPatch): Promise<void> {
    await holding(this.leases, `${this.ws}:catalog`, async () => {
      const found = await this.docs.get(this.ws, 'export_job', id);
      if (!found) throw new StoreError('invalid_input', `no export job ${id}`);
      const doc = { ...(JSON.parse(found.body) as ExportJob), ...patch };
      await this.docs.put([{ ws: this.ws, kind: 'export_job', id, body: JSON.stringify(doc), after: found }]);
    });
  }

  async exportJobs(): Promise<ExportJob[]> {
    // Oldest first: by the time of the request, then in the order the jobs were made.
    return (await this.docs.list(this.ws, 'export_job')).map((d) => JSON.parse(d.body) as ExportJob).sort((a, b) => a.createdAt - b.createdAt);
  }

  async importedObjects(prefix: string): Promise<ImportedObject[]> {
    return (await this.docs.list(this.ws, 'import'))
      .map((d) => JSON.parse(d.body) as ImportedObject)
      .filter((o) => o.url.startsWith(prefix))
      .sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : a.importedAt - b.importedAt));
  }

  async recordImportedObject(object: ImportedObject): Promise<void> {
    // One entry per object (URL and ETag): entered again, it replaces the entry.
    await this.docs.put([{ ws: this.ws, kind: 'import', id: `${object.url}\n${object.etag}`, body: JSON.stringify(object) }]);
  }

  async secret(purpose: string): Promise<string> {
    const found = await this.docs.get(this.ws, 'secret', purpose);
    if (found) return found.body;
    // Made once: the first process to take the lease makes it, the others read it.
    return holding(this.leases, `${this.ws}:catalog`, async () => {
      const again = await this.docs.get(this.ws, 'secret', purpose);
      if (again) return again.body;
      const made = randomBytes(32).toString('hex');
      await this.docs.put([{ ws: this.ws, kind: 'secret', id: purpose, body: made }]);
      return made;
    });
  }
}

/** API keys of every workspace (documents of workspace ''). */
export class ClickHouseKeys implements KeyCatalog {
  constructor(private readonly docs: Documents) {}

  async addApiKey(key: ApiKeyRecord): Promise<void> {
    await this.docs.put([{ ws: '', kind: 'api_key', id: key.hash, body: JSON.stringify(key) }]);
  }

  async findApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    const found = await this.docs.get('', 'api_key', hash);
    return found && (JSON.parse(found.body) as ApiKeyRecord);
  }

  /** Marks the workspace's keys deleted, but those whose hash is in `keep`. */
  async removeApiKeys(workspace: string, keep: readonly string[]): Promise<number> {
    const gone = (await this.listApiKeys(workspace)).filter((k) => !keep.includes(k.hash));
    if (gone.length > 0) await this.docs.put(gone.map((k) => ({ ws: '', kind: 'api_key', id: k.hash, body: JSON.stringify(k), deleted: true })));
    return gone.length;
  }

  async listApiKeys(workspace: string): Promise<ApiKeyRecord[]> {
    return (await this.docs.list('', 'api_key'))
      .map((d) => JSON.parse(d.body) as ApiKeyRecord)
      .filter((k) => k.workspace === workspace)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

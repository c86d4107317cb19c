import { setTimeout as sleep } from 'node:timers/promises';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { inTransaction, literal } from './sql.ts';
import { WriteSteps } from './write-steps.ts';

/** Connections for reads. */
const READERS = 4;
/** The name the data file is attached under, and the default database of every connection. */
export const CATALOG = 'brazen';

/**
 * The DuckDB instance of a store and its connections: one writer, through which every write goes one
 * at a time and in order, and readers that the queries of concurrent requests take in turn (so they
 * run side by side on DuckDB's threads).
 */
export class Db {
  private writeChain: Promise<unknown> = Promise.resolve();
  private nextReader = 0;
  /** What a transaction under way does once it commits (and forgets if it rolls back). */
  private committed: Array<() => void> = [];
  /** Time the writer spends in each step of the write path (see WriteSteps). */
  readonly steps = new WriteSteps();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly catalog: string,
    /** The file, when the instance is shared by the workspaces of a folder (not this store's alone). */
    private readonly shared: { path: string } | undefined,
    readonly writer: DuckDBConnection,
    private readonly readers: DuckDBConnection[],
  ) {}

  /** Connections to the file attached as `catalog` (its own instance's unless `shared`). */
  static async open(instance: DuckDBInstance, catalog = CATALOG, shared?: { path: string }): Promise<Db> {
    const connect = () => Db.connectTo(instance, catalog);
    return new Db(instance, catalog, shared, await connect(), await Promise.all(Array.from({ length: READERS }, connect)));
  }

  private static async connectTo(instance: DuckDBInstance, catalog: string): Promise<DuckDBConnection> {
    const conn = await instance.connect();
    await conn.run(`USE "${catalog}"`);
    return conn;
  }

  /** A new connection whose default database is the data file (the caller closes it). */
  connect(): Promise<DuckDBConnection> {
    return Db.connectTo(this.instance, this.catalog);
  }

  get reader(): DuckDBConnection {
    this.nextReader = (this.nextReader + 1) % this.readers.length;
    return this.readers[this.nextReader];
  }

  /** Runs write work one piece at a time, in the order it arrived. */
  serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(work, work);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  /** Runs write work in a transaction of the writer; what it asked `afterCommit` to do happens once
   * it has committed (in-memory state that must not run ahead of the data). */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    this.committed = [];
    let result: T;
    let workDone = 0;
    let cpu = process.cpuUsage();
    try {
      result = await inTransaction(this.writer, async () => {
        const r = await work();
        workDone = performance.now();
        cpu = process.cpuUsage();
        return r;
      });
      const used = process.cpuUsage(cpu);
      this.steps.add('commit', performance.now() - workDone, (used.user + used.system) / 1000);
    } catch (error) {
      this.committed = [];
      throw error;
    }
    const done = this.committed;
    this.committed = [];
    for (const f of done) f();
    return result;
  }

  afterCommit(f: () => void): void {
    this.committed.push(f);
  }

  /** Waits for the writes under way, then closes every connection and the instance (a shared
   * instance stays; the file is detached, which checkpoints it unless `checkpoint` is false: a file
   * about to be thrown away need not be rewritten, and one left with its WAL loses nothing). */
  async close(checkpoint = true): Promise<void> {
    await this.serialized(async () => undefined);
    this.writer.closeSync();
    for (const r of this.readers) r.closeSync();
    if (!this.shared) {
      this.instance.closeSync();
      return;
    }
    const conn = await this.instance.connect();
    try {
      if (!checkpoint) await conn.run('PRAGMA disable_checkpoint_on_shutdown');
      await conn.run(`DETACH "${this.catalog}"`);
      await released(conn, this.shared.path);
    } finally {
      if (!checkpoint) await conn.run('PRAGMA enable_checkpoint_on_shutdown');
      conn.closeSync();
    }
  }
}

/**
 * Attaches the file at `path` as `catalog`. A file detached a moment ago may still be held: a
 * query of another workspace that lists every database (`duckdb_tables()`, say) keeps each one
 * until it ends, and DuckDB lets the file go (checkpointing it then) only at that moment. Meanwhile
 * an attach of the same file fails: it is tried again shortly.
 */
export async function attachWhenFree(conn: DuckDBConnection, path: string, catalog: string, options: string[]): Promise<void> {
  for (let waited = 0; ; waited += 5) {
    try {
      await conn.run(`ATTACH ${literal(path)} AS "${catalog}" (${options.join(', ')})`);
      return;
    } catch (error) {
      if (!/already attached/.test(String(error)) || waited >= 60_000) throw error;
      await sleep(5);
    }
  }
}

let probes = 0;

/** Resolves once DuckDB has let go of a file just detached (see attachWhenFree): until then, its
 * file may still be written (checkpointed), so it must not be copied or replaced. */
async function released(conn: DuckDBConnection, path: string): Promise<void> {
  if (path === ':memory:') return;
  const probe = `released_${++probes}`;
  await attachWhenFree(conn, path, probe, ['READ_ONLY']);
  await conn.run(`DETACH "${probe}"`);
}

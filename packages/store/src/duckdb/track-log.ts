import type { DuckDBConnection } from '@duckdb/node-api';
import type { TrackBatch } from '../types.ts';
import type { Db } from './db.ts';
import { rows } from './sql.ts';

/** The log of /users/track requests acknowledged and not yet applied (a row each, the normalised
 * batch as JSON; `acked_at`: the store's time of the request, epoch seconds). */
export const TRACK_LOG_DDL = `CREATE TABLE IF NOT EXISTS track_log (seq BIGINT, acked_at DOUBLE, body VARCHAR)`;

/** An acknowledged request waiting to be applied. */
export interface TrackEntry {
  seq: number;
  at: number;
  batch: TrackBatch;
}

/** Requests wait for their acknowledgement while the acknowledged ones not yet applied hold this
 * many objects: the applier's backlog, and so the time from acknowledgement to queryable, stays
 * bounded (well under a second of the applier's work, within the 2 s of issue 19 on a loaded machine). */
const MAX_PENDING_OBJECTS = 10_000;
/** At most this many objects are applied in one transaction. */
const MAX_APPLY_OBJECTS = 20_000;

const objectsOf = (b: TrackBatch) => b.attributes.length + b.events.length + b.purchases.length;

/**
 * /users/track acknowledged once durable, applied in the background (issue 19). A request is
 * appended to `track_log` (concurrent requests in one small transaction, on a connection of its
 * own, so an acknowledgement never waits for the writer) and acknowledged; the applier then takes
 * every request pending (thousands of objects, so a transaction's fixed costs are shared) and
 * applies them in one transaction of the writer that also deletes their rows from the log. A crash
 * between the two leaves the rows in the log, applied when the store opens again: nothing
 * acknowledged is lost, nothing applied twice. Reads wait until every request acknowledged before
 * they began is applied (`caughtUp`), so a client that reads after its write sees it.
 */
export class TrackLog {
  private conn?: DuckDBConnection;
  private nextSeq = 1;
  /** Every request up to this seq is acknowledged (durable), and up to `applied` applied. */
  private acked = 0;
  private applied = 0;
  private readonly toLog: Array<{ entry: TrackEntry; resolve: () => void; reject: (e: unknown) => void }> = [];
  private logging = false;
  private readonly pending: TrackEntry[] = [];
  private pendingObjects = 0;
  private applying = false;
  private readonly readers: Array<{ seq: number; resolve: () => void }> = [];
  private readonly room: Array<() => void> = [];
  /** Milliseconds from each request's acknowledgement (durable) to its application (queryable), for
   * the benchmark; kept when `lags` is set. */
  lags?: number[];
  private readonly ackedAt = new Map<number, number>();

  constructor(
    private readonly db: Db,
    /** Applies entries in one transaction of the writer, running `within` inside it. */
    private readonly apply: (entries: TrackEntry[], within: () => Promise<void>) => Promise<void>,
    private readonly now: () => number,
    /** Called once entries are applied (and committed). */
    private readonly onApplied: () => void,
  ) {}

  /** Makes the log and applies what a crash left in it, before the store takes requests. */
  async open(): Promise<void> {
    await this.db.writer.run(TRACK_LOG_DDL);
    this.conn = await this.db.connect();
    const left = await rows<{ seq: bigint; at: number; body: string }>(this.db.writer, `SELECT seq, acked_at AS at, body FROM track_log ORDER BY seq`);
    for (const r of left) this.pending.push({ seq: Number(r.seq), at: r.at, batch: JSON.parse(r.body) as TrackBatch });
    if (left.length === 0) return;
    this.nextSeq = this.pending[this.pending.length - 1].seq + 1;
    this.acked = this.pending[this.pending.length - 1].seq;
    this.applied = this.pending[0].seq - 1;
    while (this.pending.length > 0) await this.db.serialized(() => this.applyPending());
  }

  /** Resolves once the batch is durable (and so acknowledged). */
  async append(batch: TrackBatch): Promise<void> {
    const objects = objectsOf(batch);
    while (this.pendingObjects > 0 && this.pendingObjects + objects > MAX_PENDING_OBJECTS) await new Promise<void>((r) => this.room.push(r));
    this.pendingObjects += objects;
    const entry: TrackEntry = { seq: this.nextSeq++, at: this.now() / 1000, batch };
    await new Promise<void>((resolve, reject) => {
      this.toLog.push({ entry, resolve, reject });
      if (!this.logging) void this.writeLog();
    });
  }

  /** Resolves once every request acknowledged so far is applied (at once when none is pending). */
  caughtUp(): Promise<void> {
    const seq = this.acked;
    if (this.applied >= seq) return Promise.resolve();
    return new Promise((resolve) => this.readers.push({ seq, resolve }));
  }

  async close(): Promise<void> {
    while (this.logging || this.applying) await new Promise((r) => setTimeout(r, 5));
    await this.caughtUp();
    this.conn?.closeSync();
    this.conn = undefined;
  }

  /** Writes the requests waiting, in one transaction per round, in their order. */
  private async writeLog(): Promise<void> {
    this.logging = true;
    while (this.toLog.length > 0) {
      const group = this.toLog.splice(0);
      try {
        const params: Array<number | string> = [];
        for (const { entry } of group) params.push(entry.seq, entry.at, JSON.stringify(entry.batch));
        const values = group.map((_, i) => `($${3 * i + 1}::BIGINT, $${3 * i + 2}, $${3 * i + 3})`).join(', ');
        await this.conn!.run(`INSERT INTO track_log VALUES ${values}`, params);
      } catch (error) {
        for (const w of group) {
          this.pendingObjects -= objectsOf(w.entry.batch);
          w.reject(error);
        }
        this.wakeRoom();
        continue;
      }
      const at = performance.now();
      for (const { entry, resolve } of group) {
        // Seqs that failed to log leave gaps; `acked` is the last one logged.
        this.acked = entry.seq;
        this.pending.push(entry);
        if (this.lags) this.ackedAt.set(entry.seq, at);
        resolve();
      }
      this.schedule();
    }
    this.logging = false;
  }

  private schedule(): void {
    if (this.applying || this.pending.length === 0) return;
    this.applying = true;
    void this.db.serialized(() => this.applyPending()).finally(() => {
      this.applying = false;
      this.schedule();
    });
  }

  /** Applies the requests pending (at most MAX_APPLY_OBJECTS of them) in one transaction. A group
   * that fails is applied again request by request; a request that fails alone is left out with a
   * warning (the log would otherwise stop there for good). */
  private async applyPending(alone = false): Promise<void> {
    let objects = 0;
    let n = 0;
    while (n < this.pending.length && (n === 0 || (!alone && objects + objectsOf(this.pending[n].batch) <= MAX_APPLY_OBJECTS))) {
      objects += objectsOf(this.pending[n].batch);
      n++;
    }
    const group = this.pending.slice(0, n);
    try {
      await this.apply(group, () => this.deleteLogged(group));
    } catch (error) {
      if (group.length === 1) {
        process.emitWarning(`an acknowledged /users/track request could not be stored and is left out: ${String(error)}`);
        await this.db.transaction(() => this.deleteLogged(group));
      } else {
        for (let i = 0; i < group.length; i++) await this.applyPending(true);
        return;
      }
    }
    this.pending.splice(0, group.length);
    this.pendingObjects -= group.reduce((sum, e) => sum + objectsOf(e.batch), 0);
    this.applied = group[group.length - 1].seq;
    if (this.lags) {
      const at = performance.now();
      for (const e of group) {
        const acked = this.ackedAt.get(e.seq);
        if (acked !== undefined) this.lags.push(at - acked);
        this.ackedAt.delete(e.seq);
      }
    }
    this.wakeRoom();
    for (let i = this.readers.length - 1; i >= 0; i--) {
      if (this.readers[i].seq > this.applied) continue;
      this.readers[i].resolve();
      this.readers.splice(i, 1);
    }
    this.onApplied();
  }

  private async deleteLogged(group: TrackEntry[]): Promise<void> {
    await this.db.writer.run(`DELETE FROM track_log WHERE seq BETWEEN $first AND $last`, {
      first: BigInt(group[0].seq), last: BigInt(group[group.length - 1].seq),
    } as never);
  }

  private wakeRoom(): void {
    for (const r of this.room.splice(0)) r();
  }
}

/** Wraps `names` of `target` so that each first waits for `settled()` (e.g. `TrackLog.caughtUp`): reads
 * see every write acknowledged before they began. */
export function readingAfter<T extends object>(target: T, names: ReadonlyArray<keyof T>, settled: () => Promise<void>): void {
  for (const name of names) {
    const method = target[name] as unknown as (...args: unknown[]) => Promise<unknown>;
    (target as Record<keyof T, unknown>)[name] = async (...args: unknown[]) => {
      await settled();
      return method.apply(target, args);
    };
  }
}

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrackBatch } from '../types.ts';
import type { Db } from './db.ts';
import { rows } from './sql.ts';
import { syncPath } from './fsync.ts';

/** Where the log of a store made before the log was a file kept /users/track requests acknowledged
 * and not yet applied (a row each, the normalised batch as JSON; `acked_at`: the store's time of the
 * request, epoch seconds): applied when such a store opens, then left empty. */
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
/** The applier waits up to GATHER_MS for at least GATHER_OBJECTS objects (a group's statements
 * cost about as much as 2,400 objects' rows; env overrides for measuring). */
const GATHER_OBJECTS = Number(process.env.BRAZEN_TRACK_GATHER_OBJECTS ?? 5_000);
const GATHER_MS = Number(process.env.BRAZEN_TRACK_GATHER_MS ?? 200);
/** At most this many objects are applied in one transaction. */
const MAX_APPLY_OBJECTS = 20_000;

const objectsOf = (b: TrackBatch) => b.attributes.length + b.events.length + b.purchases.length;

/** A log file is left for a new one once it holds this many bytes, and removed once every request
 * in it is applied. */
const LOG_FILE_BYTES = 64 * 2 ** 20;
const LOG_FILE = /^track-log-(\d+)\.ndjson$/;
/** `meta` key: the seq of the last request applied from the log files. */
const APPLIED_KEY = 'track_log_applied';

/** A log file: its number, and the last seq written to it. */
interface LogFile {
  n: number;
  handle?: FileHandle;
  bytes: number;
  last: number;
}

/**
 * /users/track acknowledged once durable, applied in the background (issue 19). A request is
 * appended to a log file of the store's folder (concurrent requests in one write and one
 * fdatasync, off the writer and off DuckDB: a commit of DuckDB cost ~2.5 ms of CPU, 1.2-1.5 s per
 * 100k objects in rounds of 4 requests, against ~0.3 s for the file) and acknowledged; the applier
 * then takes every request pending (thousands of objects, so a transaction's fixed costs are
 * shared) and applies them in one transaction of the writer that also records, in `meta`, the seq
 * of the last one applied. A crash between the two leaves them in the file, applied when the store
 * opens again (those up to the recorded seq skipped): nothing acknowledged is lost, nothing applied
 * twice. A file is left for a new one past LOG_FILE_BYTES and removed once all of it is applied;
 * the store closes with every request applied and no file left. Reads wait until every request
 * acknowledged before they began is applied (`caughtUp`), so a client that reads after its write
 * sees it. A store in memory keeps no log (nothing of it outlives the process).
 */
export class TrackLog {
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
  /** Log files, oldest first; the last one is written to. */
  private readonly files: LogFile[] = [];
  /** Milliseconds from each request's acknowledgement (durable) to its application (queryable), for
   * the benchmark; kept when `lags` is set. */
  lags?: number[];
  private readonly ackedAt = new Map<number, number>();
  /** The timer of a group gathering (schedule). */
  private gathering?: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    /** Applies entries in one transaction of the writer, running `within` inside it. */
    private readonly apply: (entries: TrackEntry[], within: () => Promise<void>) => Promise<void>,
    private readonly now: () => number,
    /** Called once entries are applied (and committed). */
    private readonly onApplied: () => void,
    /** The folder of the log files; undefined for a store in memory. */
    private readonly dir?: string,
  ) {}

  /** Applies what a crash left acknowledged and not applied (in the log files, or in `track_log`
   * for a store made before), before the store takes requests. */
  async open(): Promise<void> {
    await this.db.writer.run(TRACK_LOG_DDL);
    const left = await rows<{ seq: bigint; at: number; body: string }>(this.db.writer, `SELECT seq, acked_at AS at, body FROM track_log ORDER BY seq`);
    if (left.length > 0) {
      const entries = left.map((r) => ({ seq: Number(r.seq), at: r.at, batch: JSON.parse(r.body) as TrackBatch }));
      await this.applyLeftovers(entries, (group) => this.db.writer.run(`DELETE FROM track_log WHERE seq BETWEEN $first AND $last`, {
        first: BigInt(group[0].seq), last: BigInt(group[group.length - 1].seq),
      } as never));
    }
    if (this.dir === undefined) return;
    mkdirSync(this.dir, { recursive: true });
    const mark = (await rows<{ value: string }>(this.db.writer, `SELECT value FROM meta WHERE key = '${APPLIED_KEY}'`))[0];
    // The row each application updates (an update costs about half of an upsert a group).
    if (!mark) await this.db.writer.run(`INSERT INTO meta VALUES ('${APPLIED_KEY}', '0')`);
    const applied = Number(mark?.value ?? 0);
    const found = readdirSync(this.dir).flatMap((f) => {
      const m = LOG_FILE.exec(f);
      return m ? [Number(m[1])] : [];
    }).sort((a, b) => a - b);
    const entries: TrackEntry[] = [];
    let last = applied;
    for (const n of found) {
      // Lines a crash cut short (never acknowledged) do not parse, and are left out.
      for (const line of readFileSync(this.fileName(n), 'utf8').split('\n')) {
        let entry: TrackEntry;
        try {
          entry = JSON.parse(line) as TrackEntry;
        } catch {
          continue;
        }
        last = Math.max(last, entry.seq);
        if (entry.seq > applied) entries.push(entry);
      }
    }
    entries.sort((a, b) => a.seq - b.seq);
    this.nextSeq = Math.max(this.nextSeq, last + 1);
    if (entries.length > 0) await this.applyLeftovers(entries, (group) => this.recordApplied(group));
    for (const n of found) rmSync(this.fileName(n), { force: true });
    this.files.push({ n: (found[found.length - 1] ?? 0) + 1, bytes: 0, last: 0 });
  }

  /** Applies entries left by a crash, in groups, before anything else runs. */
  private async applyLeftovers(entries: TrackEntry[], within: (group: TrackEntry[]) => Promise<unknown>): Promise<void> {
    this.pending.push(...entries);
    this.acked = entries[entries.length - 1].seq;
    this.applied = entries[0].seq - 1;
    this.nextSeq = Math.max(this.nextSeq, this.acked + 1);
    while (this.pending.length > 0) await this.db.serialized(() => this.applyPending(false, within));
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
    return new Promise((resolve) => {
      this.readers.push({ seq, resolve });
      // A read does not wait for a group to gather.
      this.startApplying();
    });
  }

  async close(): Promise<void> {
    while (this.logging || this.applying) await new Promise((r) => setTimeout(r, 5));
    await this.caughtUp();
    // Everything acknowledged is applied: the files hold nothing more.
    for (const file of this.files.splice(0)) {
      await file.handle?.close();
      if (this.dir !== undefined) await rm(this.fileName(file.n), { force: true });
    }
  }

  private fileName(n: number): string {
    return join(this.dir!, `track-log-${n}.ndjson`);
  }

  /** Writes the requests waiting, one write and one fdatasync per round, in their order. */
  private async writeLog(): Promise<void> {
    this.logging = true;
    while (this.toLog.length > 0) {
      const group = this.toLog.splice(0);
      try {
        if (this.dir !== undefined) await this.writeFile(group.map((w) => w.entry));
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

  /** Appends entries to the current log file, a line each, durably. A file a write failed on (it may
   * end in part of a line) is written no more. */
  private async writeFile(entries: TrackEntry[]): Promise<void> {
    let file = this.files[this.files.length - 1];
    if (file.bytes >= LOG_FILE_BYTES || file.handle === undefined) {
      if (file.handle !== undefined) {
        file = { n: file.n + 1, bytes: 0, last: 0 };
        this.files.push(file);
      }
      file.handle = await open(this.fileName(file.n), 'a');
      // The new file's name is durable before anything in it is acknowledged.
      await syncPath(this.dir!);
    }
    let text = '';
    for (const e of entries) text += `{"seq":${e.seq},"at":${e.at},"batch":${JSON.stringify(e.batch)}}\n`;
    const bytes = Buffer.from(text);
    try {
      const { bytesWritten } = await file.handle!.write(bytes);
      if (bytesWritten !== bytes.length) throw new Error(`the /users/track log took ${bytesWritten} of ${bytes.length} bytes`);
      await file.handle!.datasync();
    } catch (error) {
      // None of these is acknowledged: what of them reached the file is cut off, and the file left.
      await file.handle!.truncate(file.bytes).then(() => file.handle!.datasync()).catch(() => undefined);
      await file.handle!.close().catch(() => undefined);
      this.files.push({ n: file.n + 1, bytes: 0, last: 0 });
      throw error;
    }
    file.bytes += bytes.length;
    file.last = entries[entries.length - 1].seq;
  }

  /** Inside an application's transaction: its last seq as the last one applied. */
  private async recordApplied(group: TrackEntry[]): Promise<void> {
    await this.db.writer.run(`UPDATE meta SET value = '${Number(group[group.length - 1].seq)}' WHERE key = '${APPLIED_KEY}'`);
  }

  /** Removes the files (but the one written to) whose every request is applied. */
  private async removeApplied(): Promise<void> {
    while (this.files.length > 1 && this.files[0].last <= this.applied) {
      const [file] = this.files.splice(0, 1);
      await file.handle?.close().catch(() => undefined);
      await rm(this.fileName(file.n), { force: true });
    }
  }

  /** Starts the applier on what is pending, or, while that is little and nobody waits for it (no
   * read, no request held back by the backlog), lets it gather for up to GATHER_MS first. */
  private schedule(): void {
    if (this.applying || this.pending.length === 0) return;
    if (this.pendingObjects < GATHER_OBJECTS && this.readers.length === 0 && this.room.length === 0 && GATHER_MS > 0) {
      this.gathering ??= setTimeout(() => this.startApplying(), GATHER_MS);
      return;
    }
    this.startApplying();
  }

  private startApplying(): void {
    clearTimeout(this.gathering);
    this.gathering = undefined;
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
  private async applyPending(alone = false, within: (group: TrackEntry[]) => Promise<unknown> = (g) => this.recordApplied(g)): Promise<void> {
    let objects = 0;
    let n = 0;
    while (n < this.pending.length && (n === 0 || (!alone && objects + objectsOf(this.pending[n].batch) <= MAX_APPLY_OBJECTS))) {
      objects += objectsOf(this.pending[n].batch);
      n++;
    }
    const group = this.pending.slice(0, n);
    try {
      await this.apply(group, async () => {
        await within(group);
      });
    } catch (error) {
      if (group.length === 1) {
        process.emitWarning(`an acknowledged /users/track request could not be stored and is left out: ${String(error)}`);
        await this.db.transaction(async () => {
          await within(group);
        });
      } else {
        for (let i = 0; i < group.length; i++) await this.applyPending(true, within);
        return;
      }
    }
    this.pending.splice(0, group.length);
    this.pendingObjects -= group.reduce((sum, e) => sum + objectsOf(e.batch), 0);
    this.applied = group[group.length - 1].seq;
    if (this.files.length > 1) void this.removeApplied();
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

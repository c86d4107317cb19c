import { insFromEventsSql, MESSAGES_FROM_INS, PENDING_ROLLUPS_DDL } from './currents-sql.ts';
import type { Db } from './db.ts';
import type { Rollups } from './rollups.ts';
import { rows } from './sql.ts';

type Range = readonly [number, number];

/**
 * Rollups made after the acknowledgement. A Currents group's transaction stores its records in
 * `events`, notes their rowid range in `pending_rollups`, and is acknowledged; the rollups (counters,
 * campaigns, activity) are made next, on the writer's same turn (`afterGroup`, before any other
 * write), by a drain: one transaction that updates each rollup from every pending record at once
 * (set-based) and empties `pending_rollups`. A crash between the two leaves the ranges, and the next
 * start drains them from `events`: nothing is lost or counted twice, since the rollups and the
 * emptying commit together.
 *
 * The drain right after a group reads the group's own `ins` (still there: nothing ran between);
 * other drains (at start, or when a group was stored request by request) read the pending ranges
 * back from `events`. Reads of the rollups wait for the drain of everything acknowledged before they
 * began (`settled`): a record a client was told is stored is counted by the series it asks next.
 */
export class PendingRollups {
  /** Ranges committed and not rolled up yet, oldest first, each with its commit time (performance.now()). */
  private readonly ranges: Array<{ range: Range; at: number }> = [];
  /** The range whose rows `ins` holds now (the last group stored), if `ins` was not made since. */
  private insHolds: Range | undefined;
  private committedGroups = 0;
  private drainedGroups = 0;
  private waiters: Array<{ upTo: number; resolve: () => void; reject: (error: unknown) => void }> = [];
  /** The longest time from a group's commit (its acknowledgement) to the commit of its rollups, ms. */
  maxLagMs = 0;

  constructor(
    private readonly db: Db,
    private readonly rollups: Rollups,
  ) {}

  async prepare(): Promise<void> {
    await this.db.writer.run(PENDING_ROLLUPS_DDL);
  }

  /** Rolls up what a crash left pending (at start, once the rollups are ready). */
  async drainLeftovers(): Promise<void> {
    const left = await rows<{ lo: number; hi: number }>(this.db.writer, `SELECT lo::DOUBLE AS lo, hi::DOUBLE AS hi FROM pending_rollups ORDER BY lo`);
    if (left.length === 0) return;
    await this.db.serialized(async () => {
      for (const r of left) this.ranges.push({ range: [r.lo, r.hi], at: performance.now() });
      this.insHolds = undefined;
      await this.drain();
    });
  }

  /** A group's records were committed (`range`: their rowids; `ins` holds them). */
  committed(range: Range): void {
    this.ranges.push({ range, at: performance.now() });
    this.insHolds = range;
    this.committedGroups++;
  }

  /** On the writer's turn after a group of Currents requests was stored (and acknowledged). */
  async afterGroup(): Promise<void> {
    if (this.ranges.length > 0) await this.drain().catch(() => undefined); // the waiters were told; the ranges stay pending
  }

  /** Resolves once everything committed before the call is rolled up. */
  settled(): Promise<void> {
    if (this.drainedGroups >= this.committedGroups) return Promise.resolve();
    const upTo = this.committedGroups;
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo, resolve, reject });
      // Drained on the writer's next turn if no group's turn does it first (one failed, say).
      void this.db.serialized(() => this.afterGroup());
    });
  }

  /** Drains now (call on the writer's turn): before a rebuild of rollups from `events`, which counts
   * every stored record, the pending ones included, so they must not be rolled up after it again. */
  async drainNow(): Promise<void> {
    if (this.ranges.length > 0) await this.drain();
  }

  private async drain(): Promise<void> {
    const taken = this.ranges.slice();
    const upTo = this.committedGroups;
    const { steps } = this.db;
    const insHoldsThem = taken.length === 1 && this.insHolds === taken[0].range;
    this.insHolds = undefined;
    try {
      await this.db.transaction(async () => {
        if (!insHoldsThem) {
          await steps.time('rollups: read pending', () => this.db.writer.run(insFromEventsSql(taken.map((t) => t.range))));
        }
        await this.rollups.rollUp(MESSAGES_FROM_INS);
        await this.db.writer.run(`DELETE FROM pending_rollups`);
        // Its records, payloads and all, need no memory any more.
        await this.db.writer.run(`DROP TABLE ins`);
      });
    } catch (error) {
      this.settle(upTo, error);
      throw error;
    }
    this.ranges.splice(0, taken.length);
    const now = performance.now();
    for (const t of taken) this.maxLagMs = Math.max(this.maxLagMs, now - t.at);
    this.drainedGroups = upTo;
    this.settle(upTo);
  }

  private settle(upTo: number, error?: unknown): void {
    const done = this.waiters.filter((w) => w.upTo <= upTo);
    this.waiters = this.waiters.filter((w) => w.upTo > upTo);
    for (const w of done) (error === undefined ? w.resolve() : w.reject(error));
  }
}

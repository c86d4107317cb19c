import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ExportProfiles, ProfileOptions, RefreshOptions, Workspace } from '../types.ts';
import type { KeptProfiles } from '../ports.ts';
import type { Db } from './db.ts';
import * as exportJobs from './export-jobs.ts';
import * as profiles from './profiles.ts';
import { blockFileName, compressBlocks, listBlocks, loadBlocks, prepareBlocks } from './profile-blocks.ts';
import { appendRows, inTransaction, one, rows } from './sql.ts';
import { syncPath } from './fsync.ts';

export interface KeptProfileOptions {
  /** The data folder (kept profiles' line files go to its `profiles/`), or `:memory:`. */
  dataDir: string;
  /** Lines per kept compressed block (profile-blocks.ts; tests lower it). */
  linesPerBlock?: number;
  /** Stale marks are folded once this many were appended, or as many as there are users if more. */
  foldStaleMarksAt: number;
  /** How many users the store has (a bound on the marks worth keeping). */
  users: () => number;
  workspace: () => Promise<Workspace>;
}

/**
 * Kept profiles (the KeptProfiles capability): every user's export object kept ready as parts and
 * as lines of NDJSON files, marked stale by every write that changes the user and brought up to date
 * in batches, on a connection of its own, while the server is quiet. See the README's "Kept profiles".
 */
export class KeptProfileStore implements KeptProfiles {
  /** Where kept profiles are written as lines (the data folder's `profiles/`; a temporary folder,
   * removed on close, for a store in memory). */
  private readonly profileDir: string;
  private readonly profileDirIsTemp: boolean;
  /** Where the line files' kept compressed blocks are (profile-blocks.ts): the data folder's `profile-blocks/`. */
  private readonly blockDir: string;
  /** Where exports spool their files on the way (the data folder's `spool/`). */
  readonly spoolDir: string;
  /** The number the next profile line file takes. */
  private nextProfileFile = 1;
  /** Exports reading profile line files: while any is, no file is deleted. */
  private lineReaders = 0;

  constructor(
    private readonly db: Db,
    private readonly options: KeptProfileOptions,
  ) {
    if (options.dataDir === ':memory:') {
      this.profileDir = mkdtempSync(join(tmpdir(), 'brazen-profiles-'));
      this.profileDirIsTemp = true;
      // Its own: a store emptying its spool at open must not take the bodies of another in the process.
      this.spoolDir = mkdtempSync(join(tmpdir(), 'brazen-spool-'));
      this.blockDir = mkdtempSync(join(tmpdir(), 'brazen-profile-blocks-'));
    } else {
      this.profileDir = join(options.dataDir, 'profiles');
      mkdirSync(this.profileDir, { recursive: true });
      this.profileDirIsTemp = false;
      this.spoolDir = join(options.dataDir, 'spool');
      this.blockDir = join(options.dataDir, 'profile-blocks');
    }
    mkdirSync(this.blockDir, { recursive: true });
  }

  /** Whether any profile is kept: until one is, writes have no stale parts to mark. */
  kept = false;
  /** Whether the kept lines are to be rewritten in braze_id order (a folder kept them in uid order):
   * the keeper's next refresh does it first. */
  private relayLines = false;
  private profileRefresh: Promise<unknown> = Promise.resolve();

  /** Of the last export read from line files (once closed): members copied compressed from kept
   * blocks, and members whose lines were given as text (tests, benchmarks). */
  lastBlockCounts: profiles.BlockCounts | undefined;

  /** Kept parts computed by other code (another layout) are dropped, to be computed again. */
  async prepare(): Promise<void> {
    const layout = profiles.keptProfilesLayout();
    const found = await one<{ value: string }>(this.db.writer, `SELECT value FROM meta WHERE key = 'profile_layout'`);
    if (found?.value !== layout) {
      for (const table of ['profile_parts', 'profile_stale', 'profile_lines', 'profile_files', 'profile_blocks']) await this.db.writer.run(`DROP TABLE IF EXISTS ${table}`);
    }
    for (const ddl of profiles.KEPT_PROFILES_DDL) await this.db.writer.run(ddl);
    // Not in the layout's fingerprint: a folder kept before blocks keeps its parts and lines, and
    // the keeper compresses its lines once (catchUpBlocks).
    await prepareBlocks(this.db.writer);
    await this.db.writer.run(`INSERT OR REPLACE INTO meta VALUES ('profile_layout', $layout)`, { layout });
    this.kept = (await one(this.db.writer, `SELECT 1 FROM profile_parts LIMIT 1`)) !== undefined;
    // Lines are kept in braze_id order (the order exports read them in) since this was written.
    const order = await one<{ value: string }>(this.db.writer, `SELECT value FROM meta WHERE key = 'profile_line_order'`);
    if (!this.kept) await this.db.writer.run(`INSERT OR REPLACE INTO meta VALUES ('profile_line_order', 'braze_id')`);
    this.relayLines = this.kept && order?.value !== 'braze_id';
    await this.sweepProfileFiles(this.db.writer);
  }

  /**
   * Deletes the profile line files that hold no current line: files of batches that never
   * committed (a crash, a refresh cut short) and files whose every user was computed again since.
   * Never while an export reads lines (it may have been told where lines were before a refresh).
   */
  private async sweepProfileFiles(conn: DuckDBConnection): Promise<void> {
    if (this.lineReaders > 0) return;
    await conn.run(`DELETE FROM profile_files WHERE file NOT IN (SELECT DISTINCT file FROM profile_lines)`);
    await conn.run(`DELETE FROM profile_blocks WHERE file NOT IN (SELECT file FROM profile_files)`);
    const listed = new Set((await rows<{ file: number }>(conn, `SELECT file FROM profile_files`)).map((r) => r.file));
    let last = 0;
    const found = new Set<number>();
    for (const name of readdirSync(this.profileDir)) {
      const file = Number(/^(\d+)\.ndjson$/.exec(name)?.[1] ?? NaN);
      if (listed.has(file)) found.add(file);
      else await rm(join(this.profileDir, name), { force: true });
    }
    // Block files of listed line files whose blocks are listed stay; any other (a batch or a
    // catch-up that never committed, a line file deleted) goes.
    const blocked = new Set((await rows<{ file: number }>(conn, `SELECT DISTINCT file FROM profile_blocks`)).map((r) => r.file));
    const blockFiles = new Set<number>();
    for (const name of readdirSync(this.blockDir)) {
      const file = Number(/^(\d+)\.deflate$/.exec(name)?.[1] ?? NaN);
      if (listed.has(file) && blocked.has(file)) blockFiles.add(file);
      else await rm(join(this.blockDir, name), { force: true });
    }
    // Blocks whose block file is gone (removed by hand): not listed any more, made again by the keeper.
    for (const file of blocked) if (!blockFiles.has(file)) await conn.run(`DELETE FROM profile_blocks WHERE file = ${file}`);
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

  async markStale(uids: number[]): Promise<void> {
    if (!this.kept || uids.length === 0) return;
    const distinct = [...new Set(uids)];
    await appendRows(this.db.writer, 'profile_stale', ['INTEGER'], distinct.map((uid) => [uid]));
    this.staleMarked(distinct.length);
  }

  /** Marks appended since the last folding of `profile_stale`. */
  private marksSinceFold = 0;

  /**
   * Writes only ever append marks (an append never conflicts with a refresh beside it, and a mark
   * must not be skipped for one that a refresh is about to delete), so the same user may be marked
   * many times over. Once the marks appended outnumber the users, they are folded, on the
   * refreshes' connection, one user one mark, and none for users with no kept profile (due anyway).
   */
  staleMarked(count: number): void {
    this.marksSinceFold += count;
    if (this.marksSinceFold < Math.max(this.options.foldStaleMarksAt, this.options.users())) return;
    this.marksSinceFold = 0;
    const run = this.profileRefresh.then(async () => {
      const conn = (this.refresher ??= await this.db.connect());
      await conn.run(
        `DELETE FROM profile_stale WHERE rowid NOT IN (SELECT min(rowid) FROM profile_stale GROUP BY uid) OR uid NOT IN (SELECT uid FROM profile_parts)`,
      );
    });
    this.profileRefresh = run.catch(() => undefined);
  }

  refresh(options: RefreshOptions = {}): Promise<number> {
    return this.refreshProfiles(undefined, options);
  }

  refreshProfiles(jobId?: string, options: RefreshOptions = {}): Promise<number> {
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
    await this.db.serialized(async () => {
      this.kept = true;
    });
    const conn = (this.refresher ??= await this.db.connect());
    // The keeper's refresh (of everyone) also gathers the lines of sparse line files.
    if (jobId === undefined) await this.compactProfileFiles(conn);
    // Every kept line first rewritten in braze_id order, once, in a folder whose lines were kept in
    // uid order (before they were kept in export order): the parts stay, only the lines move.
    const relay = jobId === undefined && this.relayLines;
    const due = relay ? `SELECT uid FROM profile_parts` : profiles.keptProfilesDueSql(this.profileCandidates(jobId));
    // Numbered in braze_id order, the order exports read members in: each batch's lines are
    // written in that order, so that a refresh leaves its users' lines as one sorted run.
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE profile_due AS
       SELECT d.uid, (row_number() OVER (ORDER BY u.braze_id) - 1)::INTEGER AS k FROM (${due}) d JOIN users u ON u.uid = d.uid`,
    );
    const total = (await one<{ n: number }>(conn, `SELECT count(*)::INTEGER AS n FROM profile_due`))?.n ?? 0;
    const batch = options.batchUsers ?? KeptProfileStore.PROFILE_BATCH;
    let done = 0;
    while (done < total && !options.stop?.()) {
      const from = done;
      await profiles.loadNames(conn, await this.options.workspace());
      await conn.run(`CREATE OR REPLACE TEMP TABLE profile_batch AS SELECT uid, k FROM profile_due WHERE k >= ${from} AND k < ${from + batch}`);
      // Asked to stop while the batch computes: its query is interrupted and the batch rolled back,
      // so that the machine is free at once (a batch takes seconds on a large store).
      // Interrupted once: a watch that went on asking would interrupt the ROLLBACK itself, leaving
      // the batch's transaction open on the connection.
      let cut = false;
      const watch = options.stop && setInterval(() => {
        if (options.stop!()) {
          cut = true;
          clearInterval(watch);
          conn.interrupt();
        }
      }, 10);
      const file = this.nextProfileFile++;
      try {
        await inTransaction(conn, async () => {
          if (!relay) {
            await conn.run(`DELETE FROM profile_parts WHERE uid IN (SELECT uid FROM profile_batch)`);
            await conn.run(`INSERT INTO profile_parts ${profiles.profilePartsSql(profiles.KEPT_FIELDS, 'SELECT uid FROM profile_batch')}`);
            await conn.run(`DELETE FROM profile_stale WHERE uid IN (SELECT uid FROM profile_batch)`);
          }
          await this.writeProfileLines(conn, file, () => cut);
          // Asked to stop while no query ran (the lines were being compressed): rolled back too.
          if (cut) throw new Error('refresh stopped');
        });
      } catch (error) {
        await rm(join(this.profileDir, profiles.profileFileName(file)), { force: true });
        await rm(join(this.blockDir, blockFileName(file)), { force: true });
        if (cut) return done;
        throw error;
      } finally {
        if (watch) clearInterval(watch);
      }
      done = Math.min(total, from + batch);
      options.onProgress?.(done, total);
    }
    if (relay) {
      if (done < total) return done;
      await conn.run(`INSERT OR REPLACE INTO meta VALUES ('profile_line_order', 'braze_id')`);
      this.relayLines = false;
      // Then the users due, as any refresh.
      return done + (await this.refreshKeptProfiles(jobId, options));
    }
    if (jobId === undefined) {
      await this.sweepProfileFiles(conn);
      await this.catchUpBlocks(conn, options);
    }
    return done;
  }

  /**
   * Writes the batch's profiles whole to line file `file` and points `profile_lines` at them, inside
   * the batch's transaction. The file is on disk (synced) before the transaction that points into it
   * commits; a file whose transaction never commits is deleted (at once, or by the next sweep).
   */
  private async writeProfileLines(conn: DuckDBConnection, file: number, stopped: () => boolean): Promise<void> {
    const path = join(this.profileDir, profiles.profileFileName(file));
    await conn.run(`CREATE OR REPLACE TEMP TABLE batch_lines AS
      SELECT p.uid, b.k, ${profiles.FULL_LINE_SQL} AS line FROM profile_parts p JOIN profile_batch b ON b.uid = p.uid`);
    // The lines in braze_id order (k), as pos counts them; then compressed in blocks (synced).
    const lines = await profiles.copyLines(conn, `SELECT line FROM batch_lines ORDER BY k`, path);
    const blocks = await compressBlocks(path, join(this.blockDir, blockFileName(file)), this.options.linesPerBlock, stopped);
    for (const synced of [path, this.profileDir, this.blockDir]) await syncPath(synced);
    await conn.run(`DELETE FROM profile_lines WHERE uid IN (SELECT uid FROM profile_batch)`);
    await conn.run(`INSERT INTO profile_lines
      SELECT uid, ${file}, sum(strlen(line) + 1) OVER (ORDER BY k ROWS UNBOUNDED PRECEDING) - strlen(line) - 1, strlen(line) FROM batch_lines`);
    await conn.run(`INSERT INTO profile_files VALUES (${file}, ${lines})`);
    await listBlocks(conn, file, blocks);
    await conn.run(`DROP TABLE batch_lines`);
  }

  /**
   * Line files with no block listed (kept before blocks were, or whose block file was lost) are
   * compressed in blocks, one file at a time, each listed in a transaction of its own once its block
   * file is on disk: an existing folder gets its blocks once, by the keeper, shown as progress.
   */
  private async catchUpBlocks(conn: DuckDBConnection, options: RefreshOptions): Promise<void> {
    const due = (await rows<{ file: number }>(conn,
      `SELECT file FROM profile_files WHERE lines > 0 AND file NOT IN (SELECT DISTINCT file FROM profile_blocks) ORDER BY file`)).map((r) => r.file);
    for (const [i, file] of due.entries()) {
      if (options.stop?.()) return;
      const path = join(this.blockDir, blockFileName(file));
      let blocks;
      try {
        blocks = await compressBlocks(join(this.profileDir, profiles.profileFileName(file)), path, this.options.linesPerBlock, options.stop);
      } catch (error) {
        await rm(path, { force: true });
        if (options.stop?.()) return;
        throw error;
      }
      await syncPath(this.blockDir);
      await inTransaction(conn, () => listBlocks(conn, file, blocks));
      options.onCatchUp?.('compressing kept profile lines in blocks', i + 1, due.length);
    }
  }

  /** How many of the job's members have no kept profile, or a stale one; and how many members. */
  async profilesDue(jobId: string): Promise<{ due: number; members: number }> {
    const found = await one<{ due: number; members: number }>(
      this.db.reader,
      `SELECT (SELECT count(*) FROM (${profiles.keptProfilesDueSql(this.profileCandidates(jobId))}))::INTEGER AS due,
              (SELECT count(*) FROM (${exportJobs.exportMembersSql(jobId)}))::INTEGER AS members`,
    );
    return found ?? { due: 0, members: 0 };
  }


  /** Profile readers of an export's members. Kept profiles hold every custom attribute: a selection
   * of them is computed from the events. So are the profiles of an export whose members mostly have
   * none kept (or a stale one): computing a profile to keep costs more than computing it to export,
   * and reading kept ones a fourth of it. */
  async openExportProfiles(jobId: string, options: ProfileOptions): Promise<ExportProfiles> {
    let kept = options.customAttributes === undefined;
    if (kept) {
      const { due, members } = await this.profilesDue(jobId);
      kept = due * 2 <= members;
      if (kept && due > 0) await this.refreshProfiles(jobId);
    }
    if (kept && profiles.isFullLine(options.fields)) {
      const conn = await this.db.connect();
      this.lineReaders++;
      let closed = false;
      try {
        const blocks = await loadBlocks(conn);
        return new profiles.LineProfileReader(conn, this.profileDir, jobId, (counts) => {
          if (!closed) this.lineReaders--;
          closed = true;
          this.lastBlockCounts = counts;
        }, this.blockDir, blocks);
      } catch (error) {
        this.lineReaders--;
        conn.closeSync();
        throw error;
      }
    }
    if (kept) return profiles.KeptProfileReader.open([await this.db.connect(), await this.db.connect()], jobId, options, this.spoolDir);
    return profiles.ExportProfileReader.open(await this.db.connect(), await this.options.workspace(), jobId, options);
  }

  /** Every kept profile is stale (new names in the workspace). Runs in the writer's transaction. */
  async markAllStale(): Promise<void> {
    await this.db.writer.run(`INSERT INTO profile_stale SELECT uid FROM profile_parts`);
  }

  /** The users of a batch's new records (the temp table `ins`) are stale. On the writer. */
  async markInsertedStale(): Promise<void> {
    if (this.kept) this.staleMarked((await this.db.writer.run(`INSERT INTO profile_stale SELECT DISTINCT uid FROM ins`)).rowsChanged);
  }

  async close(): Promise<void> {
    await this.profileRefresh;
    this.refresher?.closeSync();
    if (this.profileDirIsTemp) {
      rmSync(this.profileDir, { recursive: true, force: true });
      rmSync(this.spoolDir, { recursive: true, force: true });
      rmSync(this.blockDir, { recursive: true, force: true });
    }
  }
}

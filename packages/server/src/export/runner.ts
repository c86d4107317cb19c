import { join } from 'node:path';
import { holding, LeaseLostError, MemoryLeases, type ExportJob, type Lease, type Leases, type ProfileText, type Workspace, type WorkspaceStore } from '@brazen/store';
import { postCallback, type CallbackOptions } from './callback.ts';
import { LocalDestination, S3Destination, type ExportDestination, type S3Settings } from './destinations.ts';
import { exportFile, exportFileName, USERS_PER_FILE } from './files.ts';
import { signedDownloadUrl, URL_TTL_SECONDS } from './signing.ts';

export interface ExportRunnerOptions {
  /** Folder of the exports kept by the server (no S3 settings). */
  dir: string;
  /** Files made per store query (default 10, i.e. 50,000 users; fewer when DuckDB's memory limit
   * is too low for that many). */
  filesPerBatch?: number;
  callback?: CallbackOptions;
  /** Called when a job changes state (tests wait on it). */
  onChange?: (job: ExportJob) => void;
  /** Leases shared by the brazen processes of one store (Redis): a job is run by the process that
   * holds its lease. In memory by default (one process). */
  leases?: Leases;
  /** Time to live of a job's lease, renewed every third of it while the job runs (default 30 s): a
   * process that dies leaves its jobs to another one this long after. */
  leaseMs?: number;
  /** How often to look for jobs no process runs (a job whose process died), when several processes
   * share the store; never when absent. */
  pollMs?: number;
}

/**
 * Runs user exports one at a time, in the background. Every step is recorded in the store: the
 * member snapshot, each file written, the callback; a job cut by a crash is picked up at start and
 * finishes once: files already written are not made again, the others are.
 */
export class ExportRunner {
  private queue: string[] = [];
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly leases: Leases;
  private poll: NodeJS.Timeout | undefined;
  /** The job being run. */
  private current: string | undefined;
  /** The lease of the job being run, and whether it is still held. */
  private held: { lease: Lease; lost: boolean } | undefined;
  private secret: Promise<string> | undefined;
  private gate: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: WorkspaceStore,
    private readonly workspace: () => Promise<Workspace>,
    /** Epoch milliseconds. */
    private readonly now: () => number,
    private readonly options: ExportRunnerOptions,
  ) {
    this.leases = options.leases ?? new MemoryLeases();
  }

  /** Picks up the jobs a previous run left unfinished (and, with `pollMs`, keeps looking for jobs
   * whose process died). */
  async resume(): Promise<void> {
    await this.pickUp(true);
    if (this.options.pollMs && !this.poll) {
      this.poll = setInterval(() => void this.pickUp(false).catch(() => undefined), this.options.pollMs);
      this.poll.unref();
    }
  }

  private async pickUp(tidy: boolean): Promise<void> {
    const now = this.now() / 1000;
    for (const job of await this.store.catalog.exportJobs()) {
      if (job.status === 'pending' || job.status === 'running' || (job.status === 'done' && job.callback === 'pending')) this.enqueue(job.id);
      else if (!tidy) continue;
      // Files kept for a download URL go once the last URL given for them has expired.
      else if (job.destination === 'local' && job.status === 'done' && job.callback !== 'pending' && (job.finishedAt ?? now) + URL_TTL_SECONDS < now) {
        await LocalDestination.remove(this.folder(job.id));
      }
    }
  }

  enqueue(id: string): void {
    if (this.abort.signal.aborted || this.queue.includes(id) || this.current === id) return;
    this.queue.push(id);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Waits for the current step, and keeps the rest for the next start. */
  async stop(): Promise<void> {
    clearInterval(this.poll);
    this.abort.abort();
    this.queue = [];
    await this.running;
  }

  /** Whether callback_endpoint URLs may reach loopback and private addresses. */
  get allowsPrivateCallbacks(): boolean {
    return this.options.callback?.allowPrivate === true;
  }

  /** Whether a job is running or waiting. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Whether every queued job has been run (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  folder(jobId: string): string {
    return join(this.options.dir, jobId);
  }

  /** The secret download URLs of this workspace are signed with. */
  urlSecret(): Promise<string> {
    return (this.secret ??= this.store.catalog.secret('export_url'));
  }

  /** A signed URL of the job's download (the workspace named unless it is the default). */
  downloadUrl(job: ExportJob, secret: string, expires: number): string {
    return signedDownloadUrl(job.baseUrl!, secret, job.id, job.objectPrefix, expires, this.store.name);
  }

  /** Runs `work` (checking for an export in progress and recording a new one) one at a time. */
  oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    // In every process sharing the store too, when they share leases.
    const leases = this.options.leases;
    const guarded = () => (leases ? holding(leases, `export-start:${this.store.name}`, work, { waitMs: 30_000 }) : work());
    const run = this.gate.then(guarded, guarded);
    this.gate = run.catch(() => undefined);
    return run;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      const id = this.queue.shift()!;
      this.current = id;
      try {
        await this.runHolding(id);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        // Another process took the job over: it is its to finish.
        if (error instanceof LeaseLostError) continue;
        await this.update(id, { status: 'failed', error: error instanceof Error ? error.message : String(error), finishedAt: this.now() / 1000 });
      } finally {
        this.current = undefined;
      }
    }
  }

  private async job(id: string): Promise<ExportJob | undefined> {
    return (await this.store.catalog.exportJobs()).find((j) => j.id === id);
  }

  /** Runs a job while holding its lease; a job whose lease another process holds is left to it. */
  private async runHolding(id: string): Promise<void> {
    const ttl = this.options.leaseMs ?? 30_000;
    const lease = await this.leases.tryAcquire(`export:${this.store.name}:${id}`, ttl);
    if (!lease) return;
    const held: { lease: Lease; lost: boolean } = (this.held = { lease, lost: false });
    const renewal = setInterval(() => {
      lease.renew().then((ok) => (held.lost ||= !ok), () => (held.lost = true));
    }, Math.max(10, Math.floor(ttl / 3)));
    try {
      await this.run(id);
    } finally {
      clearInterval(renewal);
      this.held = undefined;
      await lease.release().catch(() => undefined);
    }
  }

  /** Throws once the job's lease was lost: nothing more may be written for it. */
  private checkLease(): void {
    if (this.held?.lost) throw new LeaseLostError(this.held.lease.name);
  }

  private async update(id: string, patch: Partial<ExportJob>): Promise<void> {
    this.checkLease();
    await this.store.catalog.updateExportJob(id, patch);
    const job = this.options.onChange && (await this.job(id));
    if (job) this.options.onChange?.(job);
  }

  private async run(id: string): Promise<void> {
    let job = await this.job(id);
    if (!job || job.status === 'cancelled' || job.status === 'failed') return;
    if (job.status !== 'done') {
      if (job.status === 'pending') await this.update(id, { status: 'running', startedAt: this.now() / 1000 });
      if (job.users === undefined) {
        // Members as of the request, so that a resumed job exports the same users.
        const users = await this.store.data.snapshotExportMembers(id, job.filter, job.createdAt);
        await this.update(id, { users, files: Math.ceil(users / USERS_PER_FILE) });
      }
      job = (await this.job(id))!;
      const finished = await this.writeFiles(job);
      if (!finished) {
        if ((await this.job(id))?.status === 'cancelled') await this.discard(job);
        return;
      }
      await this.store.data.dropExportMembers(id);
      await this.update(id, { status: 'done', finishedAt: this.now() / 1000, callback: job.callbackEndpoint ? 'pending' : 'none' });
      job = (await this.job(id))!;
    }
    if (job.callback === 'pending' && job.callbackEndpoint) await this.callback(job);
  }

  /** A cancelled export keeps nothing (files already in S3 stay: the bucket is the customer's). */
  private async discard(job: ExportJob): Promise<void> {
    await this.store.data.dropExportMembers(job.id);
    if (job.destination === 'local') await LocalDestination.remove(this.folder(job.id));
  }

  private async destination(job: ExportJob): Promise<ExportDestination> {
    if (job.destination === 'local') return new LocalDestination(this.folder(job.id));
    const s3 = (await this.workspace()).s3 as S3Settings | undefined;
    if (!s3?.bucket) throw new Error('the workspace has no S3 settings any more');
    const day = new Date(job.createdAt * 1000).toISOString().slice(0, 10);
    return new S3Destination(s3, S3Destination.key(s3, job.segmentId, day, job.objectPrefix, '').replace(/\/$/, ''));
  }

  /** Writes the files not written yet; false when the job was cancelled or the server stops. */
  private async writeFiles(job: ExportJob): Promise<boolean> {
    const files = job.files ?? 0;
    const users = job.users ?? 0;
    const perBatch = this.options.filesPerBatch ?? 10;
    const mtime = new Date(job.createdAt * 1000);
    const options = { fields: job.fields, customAttributes: job.customAttributes };
    const dest = await this.destination(job);
    const profiles = await this.store.data.openExportProfiles(job.id, options).catch((error: unknown) => {
      dest.close();
      throw error;
    });
    // Members are read a batch of files at a time (one store query each, the next one asked for
    // as soon as a file of this one is taken), and files are made by as many workers as a batch
    // has files, each taking the next file as soon as it is done: compression (zlib works on its
    // own threads) never waits for the slowest file of a batch, nor for the writing of one.
    const start = job.filesDone;
    const batchOf = (index: number) => Math.floor((index - start) / perBatch);
    const batches = new Map<number, Promise<ProfileText[]>>();
    // One store query at a time (a reader's connection runs one).
    let reading: Promise<unknown> = Promise.resolve();
    const fetchBatch = (b: number): Promise<ProfileText[]> => {
      let found = batches.get(b);
      if (!found) {
        const first = start + b * perBatch;
        const count = Math.min(perBatch, files - first);
        found = reading.then(() => profiles.read(first * USERS_PER_FILE, Math.min((first + count) * USERS_PER_FILE, users), USERS_PER_FILE)).then((texts) => {
          if (texts.length !== count) throw new Error(`expected ${count} files of members from ${first * USERS_PER_FILE}, read ${texts.length}`);
          return texts;
        });
        reading = found.catch(() => undefined); // the error reaches the file that takes it
        batches.set(b, found);
      }
      return found;
    };
    let next = start;
    let stopped = false;
    const written = new Set<number>();
    let recorded = start;
    let recording: Promise<void> = Promise.resolve();
    /** The files written without a gap from the first are recorded (after a batch's worth, and at the
     * end): after a crash, files written but not recorded are made again, with the same bytes. */
    const record = (): Promise<void> => {
      let done = recorded;
      while (written.has(done)) done++;
      if (done === recorded || (done - recorded < perBatch && done < files)) return Promise.resolve();
      recorded = done;
      recording = recording.then(async () => {
        await this.update(job.id, { filesDone: done });
        if ((await this.job(job.id))?.status === 'cancelled') stopped = true;
      });
      return recording;
    };
    const worker = async (): Promise<void> => {
      while (!stopped && next < files) {
        const index = next++;
        const b = batchOf(index);
        const texts = await fetchBatch(b);
        if (b + 1 <= batchOf(files - 1)) fetchBatch(b + 1);
        // The batch's last file taken: its texts are not needed any more here.
        if (index === Math.min(files, start + (b + 1) * perBatch) - 1) batches.delete(b);
        const body = await exportFile(texts[index - start - b * perBatch], job.objectPrefix, index, job.outputFormat, mtime);
        if (this.abort.signal.aborted || stopped) return;
        this.checkLease();
        await dest.put(exportFileName(job.objectPrefix, index, job.outputFormat), body);
        written.add(index);
        await record();
      }
    };
    try {
      // Every worker ends (after its file under way) before the first failure is thrown.
      const ended = await Promise.allSettled(Array.from({ length: Math.min(perBatch, Math.max(0, files - start)) }, () =>
        worker().catch((error: unknown) => {
          stopped = true;
          throw error;
        })));
      const failed = ended.find((e) => e.status === 'rejected');
      if (failed) throw failed.reason;
      await recording;
      return !stopped && !this.abort.signal.aborted && recorded === files;
    } finally {
      stopped = true;
      await recording.catch(() => undefined);
      await Promise.all([...batches.values()].map((b) => b.catch(() => undefined)));
      profiles.close();
      dest.close();
    }
  }

  private async callback(job: ExportJob): Promise<void> {
    const body: { success: true; url?: string } = { success: true };
    if (job.destination === 'local' && job.baseUrl) {
      const expires = Math.floor(this.now() / 1000) + URL_TTL_SECONDS;
      body.url = this.downloadUrl(job, await this.urlSecret(), expires);
    }
    this.checkLease();
    const result = await postCallback(job.callbackEndpoint!, body, this.abort.signal, this.options.callback);
    if (this.abort.signal.aborted && !result.delivered) return;
    await this.update(job.id, { callback: result.delivered ? 'sent' : 'failed', callbackAttempts: job.callbackAttempts + result.attempts });
  }
}

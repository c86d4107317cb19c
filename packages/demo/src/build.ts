import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkspaceStore } from '@brazen/store';
import { demoPlan, type DemoOptions, type DemoPlan } from './plan.ts';
import { simulateChunks, simulateInWorker, type SimulatedChunk } from './simulate-worker.ts';
import { SimulatedUser, type DemoSink } from './user.ts';
import { demoWorkspace } from './workspace.ts';

export interface DemoProgress {
  users: number;
  /** Users simulated so far. */
  simulated: number;
  /** Users whose records are stored. */
  usersDone: number;
  /** Records stored. */
  records: number;
  /** Records handed to the store and not stored yet. */
  storing: number;
}

export interface DemoBuildOptions extends DemoOptions {
  /** Folder for the NDJSON chunks handed to the store (removed afterwards). */
  tmpDir: string;
  /** Records per chunk handed to the store at once. */
  chunkRecords?: number;
  /** Whether the users are simulated in a worker thread (default false: see buildDemo). */
  worker?: boolean;
  onProgress?: (progress: DemoProgress) => void;
  /** Called as each step of the build begins (`simulate`, `store`, `attributes`, `acknowledged`), to time them. */
  onStep?: (step: DemoStep) => void;
}

export type DemoStep = 'simulate' | 'store' | 'attributes' | 'acknowledged';

/** Kept in the workspace document as `demo`. */
export interface DemoMarker {
  seed: number;
  users: number;
  days: number;
  end: number;
  /** Nothing was simulated at or after this instant (epoch seconds), when the build stopped at its own moment. */
  until?: number;
  complete: boolean;
}

export interface DemoSummary {
  users: number;
  days: number;
  records: number;
  stored: number;
  attributes: number;
  plan: DemoPlan;
}

/** A demo the store has acknowledged whole, and the rest of its build. */
export interface StoredDemo {
  summary: DemoSummary;
  /**
   * Resolves once the store has applied all of it (rollups, attribute history: the store's reads
   * wait for them already) and the workspace's marker says the build is complete.
   */
  complete: Promise<void>;
}

/** Users generated between two turns of the event loop (a few milliseconds of work). */
const YIELD_EVERY_USERS = 16;
/** Users generated between two progress reports (a multiple of YIELD_EVERY_USERS). */
const REPORT_EVERY_USERS = 512;

/** The UTC midnight after `nowMs`: the default end of the simulated period (today is its last day). */
export function defaultDemoEnd(nowMs: number): number {
  return (Math.floor(nowMs / 86_400_000) + 1) * 86_400;
}

/** Builds the demo workspace into a store (`storeDemo`) and resolves once it is complete. */
export async function buildDemo(store: WorkspaceStore, options: DemoBuildOptions): Promise<DemoSummary> {
  const { summary, complete } = await storeDemo(store, options);
  await complete;
  return summary;
}

/**
 * Stores the demo workspace: the workspace document first, then every user's Currents records
 * through the store's Currents ingestion (NDJSON chunks, as POST /currents would store them) and
 * their attribute history through `track`, one chunk of users at a time. Generation of the next
 * chunk overlaps the store's work on the previous one. Resolves once the store has acknowledged every
 * record (they are durable, and every read of the store answers for them); what the store does after
 * its acknowledgements, and the marker of a complete build, are `complete`.
 */
export async function storeDemo(store: WorkspaceStore, options: DemoBuildOptions): Promise<StoredDemo> {
  if (!Number.isInteger(options.users) || options.users < 1 || options.users > 16_000_000) {
    throw new Error(`users must be an integer between 1 and 16000000 (got ${options.users})`);
  }
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > 3650) {
    throw new Error(`days must be an integer between 1 and 3650 (got ${options.days})`);
  }
  if (options.end % 86_400 !== 0) throw new Error('end must be a UTC midnight (epoch seconds divisible by 86400)');
  const plan = demoPlan(options);
  if (options.until !== undefined && !(Number.isInteger(options.until) && options.until > plan.start && options.until <= options.end)) {
    throw new Error(`until must be whole epoch seconds after the period's start (${plan.start}) and at most its end (${options.end}) (got ${options.until})`);
  }
  const workspace = demoWorkspace(plan);
  // Marked complete at the end, so that an interrupted build can be told from a finished one.
  const marker: DemoMarker = {
    seed: options.seed, users: options.users, days: options.days, end: options.end, ...(options.until === undefined ? {} : { until: options.until }), complete: false,
  };
  await store.catalog.putWorkspace({ ...workspace, demo: marker });

  const dir = join(options.tmpDir, `demo-${plan.seedHex}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // Large chunks: each batch has fixed costs (a fold of the counter logs, the conversions of its
  // users). Simulated in this thread, the default demo (10,000 users × 90 days, 418k records) is one
  // batch: built in 12.4 s against 12.8-13.0 s in two batches of 250k on two cores. Simulated in a
  // worker thread (`worker: true`), chunks of 150k records let the store take each while the worker
  // makes the next on the other core; measured slower on this shared machine (the default demo in
  // 25.2 s against 16.8 s in this thread, same run, load 6-8: the other core was not free, and three
  // batches cost more than one), so it is not the default.
  const inWorker = options.worker ?? false;
  const chunkRecords = options.chunkRecords ?? (inWorker ? 150_000 : 500_000);
  const summary: DemoSummary = { users: options.users, days: options.days, records: 0, stored: 0, attributes: 0, plan };
  let simulated = 0;
  let stored = 0;
  let storing = 0;
  const report = () => options.onProgress?.({ users: options.users, simulated, usersDone: stored, records: summary.records, storing });
  /** Stores a chunk: its records through the store's Currents ingestion, then its attribute updates. */
  const storeChunk = async (chunk: SimulatedChunk) => {
    storing = chunk.records;
    report();
    options.onStep?.('store');
    if (chunk.file !== undefined) {
      const result = await store.data.ingestCurrents({ bytes: createReadStream(chunk.file, { highWaterMark: 1 << 20 }), format: 'ndjson' });
      if (result.errors.length > 0) {
        const e = result.errors[0];
        throw new Error(`the store rejected ${result.errors.length} demo records, e.g. #${e.index}: ${e.message}`);
      }
      summary.stored += result.stored;
      rmSync(chunk.file, { force: true });
    }
    options.onStep?.('attributes');
    if (chunk.attributes.length > 0) await store.data.track({ attributes: chunk.attributes, events: [], purchases: [] });
    summary.records += chunk.records;
    summary.attributes += chunk.attributes.length;
    storing = 0;
    stored = chunk.usersDone;
    report();
  };
  let inFlight: Promise<void> = Promise.resolve();
  options.onStep?.('simulate');
  try {
    if (inWorker) {
      // The simulation's own options only (no callbacks: they stay in this thread).
      const { tmpDir: _dir, chunkRecords: _chunk, onProgress: _progress, worker: _worker, ...simulation } = options;
      await simulateInWorker(simulation, dir, chunkRecords, storeChunk, (users) => {
        simulated = users;
        report();
      });
    } else {
      for (const step of simulateChunks(plan, options.users, dir, chunkRecords)) {
        if (typeof step !== 'number') {
          simulated = step.usersDone;
          await inFlight;
          inFlight = storeChunk(step);
          continue;
        }
        simulated = step;
        // The store's work on the previous chunk is a chain of statements, each started when the one
        // before is done: yielding now and then lets it go on while this chunk is generated.
        if ((step - 1) % YIELD_EVERY_USERS === 0) {
          if ((step - 1) % REPORT_EVERY_USERS === 0) report();
          await new Promise(setImmediate);
        }
      }
      await inFlight;
    }
  } finally {
    await inFlight.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  options.onStep?.('acknowledged');
  // Waits for the store to apply what it acknowledged (a change of the workspace document comes after
  // every write before it).
  const complete = store.catalog.putWorkspace({ ...workspace, demo: { ...marker, complete: true } });
  return { summary, complete };
}

/** Every record and attribute update of the demo, without a store (for tests and exports). */
export function simulateDemo(options: DemoOptions, sink: DemoSink): DemoPlan {
  const plan = demoPlan(options);
  for (let i = 0; i < options.users; i++) new SimulatedUser(plan, i, sink).run();
  return plan;
}

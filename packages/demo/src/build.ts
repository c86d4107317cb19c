import { closeSync, createReadStream, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { AttributeRecord, WorkspaceStore } from '@brazen/store';
import { demoPlan, type DemoOptions, type DemoPlan } from './plan.ts';
import { SimulatedUser, type CurrentsRecord, type DemoSink } from './user.ts';
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
  onProgress?: (progress: DemoProgress) => void;
}

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

/** Records written to a chunk's file at once. */
const WRITE_EVERY_RECORDS = 2_048;

/** Users generated between two turns of the event loop (a few milliseconds of work). */
const YIELD_EVERY_USERS = 16;
/** Users generated between two progress reports (a multiple of YIELD_EVERY_USERS). */
const REPORT_EVERY_USERS = 512;

/** The UTC midnight after `nowMs`: the default end of the simulated period (today is its last day). */
export function defaultDemoEnd(nowMs: number): number {
  return (Math.floor(nowMs / 86_400_000) + 1) * 86_400;
}

/**
 * Builds the demo workspace into a store: the workspace document first, then every user's Currents
 * records through the store's Currents ingestion (NDJSON chunks, as POST /currents would store them)
 * and their attribute history through `track`, one chunk of users at a time. Generation of the next
 * chunk overlaps the store's work on the previous one.
 */
export async function buildDemo(store: WorkspaceStore, options: DemoBuildOptions): Promise<DemoSummary> {
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
  // users), and on two cores the store's work beside the simulator's goes no faster than after it.
  // The default demo (10,000 users × 90 days, 418k records) is one batch: built in 12.4 s against
  // 12.8-13.0 s in two batches of 250k, and 15.8 against 19.3-19.9 CPU-seconds.
  const chunkRecords = options.chunkRecords ?? 500_000;
  // Records go to the chunk's file a few thousand at a time, as they are made. Held until the chunk
  // was full, its lines (100 MB and more) outlived young collections: the default demo's records took
  // 5.0 s to make instead of 4.1, and the 100,000-user demo peaked at 4.06 GB of RSS instead of 2.73.
  let chunk = 0;
  /** The chunk's file while records are written to it. */
  let out: { file: string; fd: number } | undefined;
  let pending: string[] = [];
  let chunkLines = 0;
  const writePending = () => {
    if (pending.length === 0) return;
    if (out === undefined) {
      const file = join(dir, `chunk-${chunk++}.ndjson`);
      out = { file, fd: openSync(file, 'w') };
    } else writeSync(out.fd, '\n');
    writeSync(out.fd, pending.join('\n'));
    pending = [];
  };
  let attributes: AttributeRecord[] = [];
  const sink: DemoSink = {
    record: (r: CurrentsRecord) => {
      pending.push(JSON.stringify(r));
      chunkLines += 1;
      if (pending.length >= WRITE_EVERY_RECORDS) writePending();
    },
    attributes: (a) => void attributes.push(a),
  };
  const summary: DemoSummary = { users: options.users, days: options.days, records: 0, stored: 0, attributes: 0, plan };
  let inFlight: Promise<void> = Promise.resolve();
  let simulated = 0;
  let stored = 0;
  let storing = 0;
  const report = () => options.onProgress?.({ users: options.users, simulated, usersDone: stored, records: summary.records, storing });
  const flush = async (usersDone: number) => {
    writePending();
    // The chunk's file, unless it has no record (only attribute updates).
    const body = out?.file;
    if (out !== undefined) closeSync(out.fd);
    out = undefined;
    const records = chunkLines;
    const attrs = attributes;
    chunkLines = 0;
    attributes = [];
    await inFlight;
    storing = records;
    report();
    inFlight = (async () => {
      if (body !== undefined) {
        const result = await store.data.ingestCurrents({ bytes: createReadStream(body, { highWaterMark: 1 << 20 }), format: 'ndjson' });
        if (result.errors.length > 0) {
          const e = result.errors[0];
          throw new Error(`the store rejected ${result.errors.length} demo records, e.g. #${e.index}: ${e.message}`);
        }
        summary.stored += result.stored;
        rmSync(body, { force: true });
      }
      if (attrs.length > 0) await store.data.track({ attributes: attrs, events: [], purchases: [] });
      summary.records += records;
      summary.attributes += attrs.length;
      storing = 0;
      stored = usersDone;
      report();
    })();
  };
  try {
    for (let i = 0; i < options.users; i++) {
      new SimulatedUser(plan, i, sink).run();
      simulated = i + 1;
      if (chunkLines >= chunkRecords) await flush(i + 1);
      // The store's work on the previous chunk is a chain of statements, each started when the one
      // before is done: yielding now and then lets it go on while this chunk is generated.
      else if (i % YIELD_EVERY_USERS === 0) {
        if (i % REPORT_EVERY_USERS === 0) report();
        await new Promise(setImmediate);
      }
    }
    if (chunkLines > 0 || attributes.length > 0) await flush(options.users);
    await inFlight;
    await store.catalog.putWorkspace({ ...workspace, demo: { ...marker, complete: true } });
  } finally {
    if (out !== undefined) closeSync(out.fd);
    await inFlight.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return summary;
}

/** Every record and attribute update of the demo, without a store (for tests and exports). */
export function simulateDemo(options: DemoOptions, sink: DemoSink): DemoPlan {
  const plan = demoPlan(options);
  for (let i = 0; i < options.users; i++) new SimulatedUser(plan, i, sink).run();
  return plan;
}

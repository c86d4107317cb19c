import { mkdirSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttributeRecord, Store } from '@brazen/store';
import { demoPlan, type DemoOptions, type DemoPlan } from './plan.ts';
import { SimulatedUser, type CurrentsRecord, type DemoSink } from './user.ts';
import { demoWorkspace } from './workspace.ts';

export interface DemoProgress {
  users: number;
  usersDone: number;
  records: number;
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

/** Users generated between two turns of the event loop (a few milliseconds of work). */
const YIELD_EVERY_USERS = 16;

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
export async function buildDemo(store: Store, options: DemoBuildOptions): Promise<DemoSummary> {
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
  await store.putWorkspace({ ...workspace, demo: marker });

  const dir = join(options.tmpDir, `demo-${plan.seedHex}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // Large chunks: each batch has fixed costs (a fold of the counter logs, the conversions of its users).
  const chunkRecords = options.chunkRecords ?? 250_000;
  let lines: string[] = [];
  let attributes: AttributeRecord[] = [];
  const sink: DemoSink = {
    record: (r: CurrentsRecord) => void lines.push(JSON.stringify(r)),
    attributes: (a) => void attributes.push(a),
  };
  const summary: DemoSummary = { users: options.users, days: options.days, records: 0, stored: 0, attributes: 0, plan };
  let inFlight: Promise<void> = Promise.resolve();
  let chunk = 0;
  const flush = async (usersDone: number) => {
    const body = lines;
    const attrs = attributes;
    lines = [];
    attributes = [];
    const file = join(dir, `chunk-${chunk++}.ndjson`);
    await inFlight;
    await writeFile(file, body.join('\n'));
    inFlight = (async () => {
      const result = await store.ingestCurrents({ file, format: 'ndjson' });
      if (result.errors.length > 0) {
        const e = result.errors[0];
        throw new Error(`the store rejected ${result.errors.length} demo records, e.g. #${e.index}: ${e.message}`);
      }
      summary.stored += result.stored;
      if (attrs.length > 0) await store.track({ attributes: attrs, events: [], purchases: [] });
      summary.records += body.length;
      summary.attributes += attrs.length;
      rmSync(file, { force: true });
      options.onProgress?.({ users: options.users, usersDone, records: summary.records });
    })();
  };
  try {
    for (let i = 0; i < options.users; i++) {
      new SimulatedUser(plan, i, sink).run();
      if (lines.length >= chunkRecords) await flush(i + 1);
      // The store's work on the previous chunk is a chain of statements, each started when the one
      // before is done: yielding now and then lets it go on while this chunk is generated.
      else if (i % YIELD_EVERY_USERS === 0) await new Promise(setImmediate);
    }
    if (lines.length > 0 || attributes.length > 0) await flush(options.users);
    await inFlight;
    await store.putWorkspace({ ...workspace, demo: { ...marker, complete: true } });
  } finally {
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

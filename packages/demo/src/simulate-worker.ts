import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { AttributeRecord } from '@brazen/store';
import { demoPlan, type DemoOptions, type DemoPlan } from './plan.ts';
import { SimulatedUser, type CurrentsRecord } from './user.ts';

/** Records of whole users written to one NDJSON file, for the store to take at once. */
export interface SimulatedChunk {
  /** The chunk's file; none when its users made no record (only attribute updates). */
  file?: string;
  records: number;
  attributes: AttributeRecord[];
  /** Users simulated up to the end of this chunk. */
  usersDone: number;
}

/** Records written to a chunk's file at once. */
const WRITE_EVERY_RECORDS = 2_048;

/**
 * Simulates every user of `plan` in order, writing their records to chunk files in `dir` (a new
 * file once `chunkRecords` are written, after a whole user). Yields each chunk once its file is
 * closed, and between chunks the number of users simulated so far (every user), so that the caller
 * can report progress or let other work run.
 */
export function* simulateChunks(plan: DemoPlan, users: number, dir: string, chunkRecords: number): Generator<SimulatedChunk | number> {
  // Records go to the chunk's file a few thousand at a time, as they are made. Held until the chunk
  // was full, its lines (100 MB and more) outlived young collections: the default demo's records took
  // 5.0 s to make instead of 4.1, and the 100,000-user demo peaked at 4.06 GB of RSS instead of 2.73.
  let chunk = 0;
  let out: { file: string; fd: number } | undefined;
  let pending: string[] = [];
  let records = 0;
  let attributes: AttributeRecord[] = [];
  const writePending = () => {
    if (pending.length === 0) return;
    if (out === undefined) {
      const file = join(dir, `chunk-${chunk++}.ndjson`);
      out = { file, fd: openSync(file, 'w') };
    } else writeSync(out.fd, '\n');
    writeSync(out.fd, pending.join('\n'));
    pending = [];
  };
  const sink = {
    record: (r: CurrentsRecord) => {
      pending.push(JSON.stringify(r));
      records += 1;
      if (pending.length >= WRITE_EVERY_RECORDS) writePending();
    },
    attributes: (a: AttributeRecord) => void attributes.push(a),
  };
  const cut = (usersDone: number): SimulatedChunk => {
    writePending();
    const file = out?.file;
    if (out !== undefined) closeSync(out.fd);
    out = undefined;
    const done: SimulatedChunk = { ...(file === undefined ? {} : { file }), records, attributes, usersDone };
    records = 0;
    attributes = [];
    return done;
  };
  try {
    for (let i = 0; i < users; i++) {
      new SimulatedUser(plan, i, sink).run();
      if (records >= chunkRecords) yield cut(i + 1);
      else yield i + 1;
    }
    if (records > 0 || attributes.length > 0) yield cut(users);
  } finally {
    if (out !== undefined) closeSync(out.fd);
  }
}

/** What the main thread gives the worker. */
interface WorkerInput {
  brazenDemoSimulation: true;
  options: DemoOptions;
  dir: string;
  chunkRecords: number;
  /** [chunks the main thread has stored]: the worker stays at most AHEAD chunks ahead of it. */
  stored: SharedArrayBuffer;
}

type WorkerMessage = { kind: 'chunk'; chunk: SimulatedChunk } | { kind: 'simulated'; users: number };

/** Chunks the worker may have written and not yet seen stored (files on disk meanwhile). */
const AHEAD = 2;
/** Users between two progress messages. */
const REPORT_EVERY_USERS = 512;

/**
 * Simulates the demo in a worker thread, so that it runs on the other core while the store takes the
 * chunks before: `onChunk` is called with each chunk in order (the next is not awaited for it, but
 * the worker waits while AHEAD chunks are not yet stored), `onSimulated` with the users simulated.
 * Resolves once every chunk was handed over and stored.
 */
export function simulateInWorker(
  options: DemoOptions, dir: string, chunkRecords: number,
  onChunk: (chunk: SimulatedChunk) => Promise<void>, onSimulated: (users: number) => void,
): Promise<void> {
  const stored = new SharedArrayBuffer(4);
  const count = new Int32Array(stored);
  const input: WorkerInput = { brazenDemoSimulation: true, options, dir, chunkRecords, stored };
  // This module, from the bundle or from its TypeScript source (then with tsx's loader, which the
  // sources need); its top level starts the simulation when it sees its input (below).
  const self = import.meta.url;
  const tsx = self.endsWith('.ts') ? tsxLoader(self) : undefined;
  const bootstrap = `const { workerData } = require('node:worker_threads');
    (async () => {
      if (workerData.tsx) (await import(workerData.tsx)).register();
      await import(workerData.self);
    })().catch((error) => process.nextTick(() => { throw error; }));`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { ...input, self, tsx } });
  return new Promise<void>((resolve, reject) => {
    let storing: Promise<void> = Promise.resolve();
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      void worker.terminate();
      reject(error);
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'simulated') return onSimulated(m.users);
      storing = storing.then(async () => {
        if (failed) return;
        await onChunk(m.chunk);
        Atomics.add(count, 0, 1);
        Atomics.notify(count, 0);
      });
      storing.catch(fail);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (code !== 0) return fail(new Error(`the demo's simulation stopped (exit code ${code})`));
      storing.then(() => (failed ? undefined : resolve()), fail);
    });
  });
}

/** The module of tsx's loader (its ESM entry: the hooks it registers are found beside it). */
function tsxLoader(from: string): string {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (resolve) return resolve('tsx/esm/api');
  return pathToFileURL(createRequire(from).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
}

/** The worker's side: simulate, hand each chunk over, wait while AHEAD chunks are not stored. */
function runWorker(input: WorkerInput): void {
  const stored = new Int32Array(input.stored);
  let chunks = 0;
  for (const step of simulateChunks(demoPlan(input.options), input.options.users, input.dir, input.chunkRecords)) {
    if (typeof step === 'number') {
      if (step % REPORT_EVERY_USERS === 0) parentPort!.postMessage({ kind: 'simulated', users: step } satisfies WorkerMessage);
      continue;
    }
    for (let seen = Atomics.load(stored, 0); chunks - seen >= AHEAD; seen = Atomics.load(stored, 0)) Atomics.wait(stored, 0, seen);
    parentPort!.postMessage({ kind: 'simulated', users: step.usersDone } satisfies WorkerMessage);
    parentPort!.postMessage({ kind: 'chunk', chunk: step } satisfies WorkerMessage);
    chunks++;
  }
}

if (!isMainThread && (workerData as Partial<WorkerInput> | null)?.brazenDemoSimulation === true) runWorker(workerData as WorkerInput);

import type { AttributeRecord, WorkspaceStore } from '@brazen/store';
import { demoPlan, type DemoOptions, type DemoPlan } from './plan.ts';
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
  /** Records simulated and handed to the store, not stored yet. */
  storing: number;
}

export interface DemoBuildOptions extends DemoOptions {
  /** Records (of whole users) per chunk handed to the store, about. */
  chunkRecords?: number;
  onProgress?: (progress: DemoProgress) => void;
  /** Called at each step of the build (with the chunk it is about), to time them. */
  onStep?: (step: DemoStep, chunk?: number) => void;
}

/** A chunk's users begin to be simulated, are all simulated, are stored (acknowledged by the store);
 * the attribute updates begin to be stored; everything is acknowledged. */
export type DemoStep = 'simulate' | 'simulated' | 'stored' | 'attributes' | 'acknowledged';

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

/**
 * Records a chunk holds by default (about; whole users): the default demo (418k records) is one. Each
 * chunk has fixed costs in the store (its rollups, a dedupe against more stored ids); in chunks of
 * 150k and 220k, the next simulated while the store took the one before, the default demo was
 * acknowledged no sooner than in one (6.7-7.5 and 5.5-8.0 s against 5.3-6.7 s, same hour, load
 * 1.3-1.6, two cores).
 */
const CHUNK_RECORDS = 500_000;
/** NDJSON handed to the store at once, bytes (about: whole records), a turn of the event loop between
 * two, in which the store goes on with the chunk before. */
const PIECE_BYTES = 1 << 20;
/** Users simulated between two progress reports. */
const REPORT_EVERY_USERS = 512;
/** Attribute updates a `track` call holds. */
const ATTRIBUTES_PER_BATCH = 50_000;

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

  // Chunks of whole users, each simulated while the store takes the one before (DuckDB works on its
  // own threads), its NDJSON handed to the store's Currents ingestion as it is made, a piece at a
  // time (no file of its own to write and copy), then its users' attribute updates through `track`.
  const chunkRecords = options.chunkRecords ?? CHUNK_RECORDS;
  const summary: DemoSummary = { users: options.users, days: options.days, records: 0, stored: 0, attributes: 0, plan };
  const progress: DemoProgress = { users: options.users, simulated: 0, usersDone: 0, records: 0, storing: 0 };
  const report = () => options.onProgress?.({ ...progress });
  let attributes: AttributeRecord[] = [];
  // Each record's line is encoded at once into the piece being filled: held as text until a piece
  // was full, the lines outlived young collections, and the default demo took a second longer to
  // make (3.4-3.6 s against 2.2-2.3 s, same minute).
  let piece = Buffer.allocUnsafe(PIECE_BYTES);
  let filled = 0;
  const full: Buffer[] = [];
  let records = 0;
  /** The piece being filled, as it is; a new one of `size` bytes is filled next. */
  const takePiece = (size = PIECE_BYTES) => {
    const taken = piece.subarray(0, filled);
    piece = Buffer.allocUnsafe(size);
    filled = 0;
    return taken;
  };
  const sink: DemoSink = {
    record: (r) => {
      const line = JSON.stringify(r);
      const most = 3 * line.length + 1; // its UTF-8 bytes at most
      if (filled + most > piece.length) full.push(takePiece(Math.max(PIECE_BYTES, most)));
      filled += piece.write(line, filled);
      piece[filled++] = 0x0a;
      records++;
    },
    attributes: (a) => void attributes.push(a),
  };
  let next = 0;
  const simulateUser = () => {
    new SimulatedUser(plan, next++, sink).run();
    progress.simulated = next;
    if (next % REPORT_EVERY_USERS === 1) report();
  };
  /** The rest of the chunk begun: its users simulated as the store reads them. */
  async function* chunkBody(): AsyncGenerator<Buffer> {
    for (;;) {
      while (full.length > 0) yield full.shift()!;
      if (!(next < options.users && records < chunkRecords)) break;
      simulateUser();
    }
    if (filled > 0) yield takePiece();
  }

  const acks: Array<Promise<void>> = [];
  let failed: { error: unknown } | undefined;
  for (let chunk = 0; next < options.users; chunk++) {
    // At most one chunk stored while the next is simulated.
    if (acks.length >= 2) await acks[acks.length - 2];
    if (failed) throw failed.error;
    options.onStep?.('simulate', chunk);
    records = 0;
    attributes = [];
    // Its first records before it goes to the store (the last users may make none).
    while (next < options.users && records === 0) simulateUser();
    if (records === 0) break;
    let ended!: () => void;
    const simulated = new Promise<void>((resolve) => (ended = resolve));
    const body = (async function* () {
      yield* chunkBody();
      ended();
    })();
    const ack = store.data.ingestCurrents({ bytes: body, format: 'ndjson' });
    await Promise.race([simulated, ack.then(() => simulated)]);
    const chunkUsers = next;
    const chunkRecordsMade = records;
    const chunkAttributes = attributes;
    options.onStep?.('simulated', chunk);
    progress.storing += chunkRecordsMade;
    report();
    const stored = ack.then(async (result) => {
      if (result.errors.length > 0) {
        const e = result.errors[0];
        throw new Error(`the store rejected ${result.errors.length} demo records, e.g. #${e.index}: ${e.message}`);
      }
      options.onStep?.('stored', chunk);
      summary.stored += result.stored;
      options.onStep?.('attributes', chunk);
      for (let i = 0; i < chunkAttributes.length; i += ATTRIBUTES_PER_BATCH) {
        await store.data.track({ attributes: chunkAttributes.slice(i, i + ATTRIBUTES_PER_BATCH), events: [], purchases: [] });
      }
      summary.records += chunkRecordsMade;
      summary.attributes += chunkAttributes.length;
      progress.records += chunkRecordsMade;
      progress.storing -= chunkRecordsMade;
      progress.usersDone = chunkUsers;
      report();
    });
    stored.catch((error: unknown) => (failed ??= { error }));
    acks.push(stored);
  }
  await Promise.all(acks);
  if (attributes.length > 0 && progress.usersDone < options.users) {
    // Users after the last chunk's records, with attribute updates only.
    await store.data.track({ attributes, events: [], purchases: [] });
    summary.attributes += attributes.length;
  }
  progress.usersDone = options.users;
  report();
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

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalyticsData, Store, TrackBatch, UserIdKind } from '@brazen/store';
import { bytes } from '../contract/support.ts';
import { openEngine } from '../contract/engines.ts';
import { queriesOf, type Query, type UserView } from './answers.ts';
import type { Batch, GeneratedData, Item } from './records-gen.ts';

/**
 * Loads the same generated data into two engines (each with its own batching) and asks both every
 * question of answers.ts: a difference is a query whose answers are not equal.
 */

export interface Difference {
  query: string;
  a: unknown;
  b: unknown;
}

export interface Side {
  engine: string;
  batches: Batch[];
  /** Bring kept profiles and segments up to date after loading (where the engine keeps them). */
  refreshKept?: boolean;
}

/** What ingestion answered, per item: stored, a duplicate, or rejected and why (batching-independent). */
type IngestLog = Array<string>;

async function load(store: Store, g: GeneratedData, batches: Batch[], refreshKept: boolean): Promise<IngestLog> {
  const { data, catalog, keptProfiles, keptSegments } = store.workspace();
  const log: IngestLog = new Array<string>(g.items.length).fill('');
  // The real definitions come half-way: the records before are stored in UTC without any.
  await catalog.putWorkspace({ apps: [], campaigns: [], canvases: [], segments: [], cards: [], currency_rates: g.ws.workspace.currency_rates });
  let defined = false;
  for (const batch of batches) {
    if (!defined && Math.min(...batch.items) >= g.definitionsAt) {
      await catalog.putWorkspace(structuredClone(g.ws.workspace));
      defined = true;
    }
    const items = batch.items.map((k) => g.items[k]);
    if (items[0].kind === 'currents') {
      const records = items.map((it) => (it as Extract<Item, { kind: 'currents' }>).record);
      const text = batch.format === 'ndjson' ? records.map((r) => JSON.stringify(r)).join('\n') : JSON.stringify(records);
      const result = await data.ingestCurrents({ bytes: bytes(text), format: batch.format });
      for (const k of batch.items) log[k] = 'stored or duplicate';
      for (const e of result.errors) log[batch.items[e.index]] = `${e.type}: ${e.message}`;
      log.push(`batch: ${result.stored + result.duplicates + result.errors.length} of ${items.length} answered`);
    } else {
      const track: TrackBatch = { attributes: [], events: [], purchases: [] };
      for (const it of items) {
        if (it.kind === 'attribute') track.attributes.push(it.value);
        else if (it.kind === 'event') track.events.push(it.value);
        else if (it.kind === 'purchase') track.purchases.push(it.value);
      }
      // A copy: an engine may keep what it is given.
      const result = await data.track(structuredClone(track));
      for (const k of batch.items) log[k] = 'processed';
      for (const e of result.errors) log[batch.items[e.index]] = `${e.type}: ${e.message}`;
    }
  }
  if (!defined) await catalog.putWorkspace(structuredClone(g.ws.workspace));
  if (refreshKept) {
    await keptProfiles?.refresh();
    await keptSegments?.refresh();
  }
  // Per-batch lines say only that every record was answered; they differ in number between batchings.
  return [...log.slice(0, g.items.length), log.slice(g.items.length).every((l) => /^batch: (\d+) of \1 answered$/.test(l)) ? 'every record answered' : 'some record unanswered'];
}

const KINDS: UserIdKind[] = ['braze_id', 'external_id', 'alias', 'email', 'phone', 'device_id'];

/** Pairs the users of the two engines through every identifier the records name them by. */
async function userViews(a: AnalyticsData, b: AnalyticsData, g: GeneratedData, differences: Difference[]): Promise<[UserView, UserView]> {
  const bToA = new Map<string, string>();
  for (const kind of KINDS) {
    const [fa, fb] = await Promise.all([a.findUsers(kind, g.identifiers[kind]), b.findUsers(kind, g.identifiers[kind])]);
    for (const value of g.identifiers[kind]) {
      const la = fa.get(value) ?? [];
      const lb = fb.get(value) ?? [];
      if (la.length !== lb.length) differences.push({ query: `users named by ${kind} ${value}`, a: la, b: lb });
      // Several users of one value come in the order they were made, which the batching decides:
      // users already paired keep their pair, the others pair in order.
      const paired = new Set(lb.filter((id) => la.includes(bToA.get(id) ?? '')).map((id) => bToA.get(id)!));
      const restA = la.filter((id) => !paired.has(id));
      lb.filter((id) => !la.includes(bToA.get(id) ?? '')).forEach((id, i) => {
        if (i >= restA.length) return;
        const known = bToA.get(id);
        if (known !== undefined && known !== restA[i]) differences.push({ query: `user ${id} of b is two users of a`, a: [known, restA[i]], b: id });
        bToA.set(id, restA[i]);
      });
    }
  }
  const pairs = [...bToA].sort(([, x], [, y]) => (x < y ? -1 : x > y ? 1 : 0));
  const renamed = pairs.some(([bid, aid]) => bid !== aid);
  return [
    { ids: pairs.map(([, aid]) => aid), canonical: new Map(pairs.map(([, aid]) => [aid, aid])), renamed },
    { ids: pairs.map(([bid]) => bid), canonical: new Map(pairs), renamed },
  ];
}

/** Equal as JSON values, numbers within a relative 1e-9 (sums of money in another order). */
export function same(x: unknown, y: unknown): boolean {
  if (typeof x === 'number' && typeof y === 'number') return x === y || Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => same(v, y[i]));
  if (x instanceof Map || y instanceof Map) return same(x instanceof Map ? Object.fromEntries(x) : x, y instanceof Map ? Object.fromEntries(y) : y);
  if (typeof x === 'object' && typeof y === 'object' && x !== null && y !== null) {
    const kx = Object.keys(x).filter((k) => (x as Record<string, unknown>)[k] !== undefined);
    const ky = Object.keys(y).filter((k) => (y as Record<string, unknown>)[k] !== undefined);
    return kx.length === ky.length && kx.every((k, i) => k === ky[i] && same((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
  }
  return Object.is(x, y);
}

const rejected = (v: unknown) => typeof v === 'string' && v.startsWith('rejected: ');
const lacking = (v: unknown) => typeof v === 'string' && v.startsWith('capability missing: ');

const settle = async (run: () => Promise<unknown>) => {
  try {
    return await run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // An engine without a capability says so (a typed error): the query is not compared.
    return (error as { code?: unknown }).code === 'capability_missing' ? `capability missing: ${message}` : `rejected: ${message}`;
  }
};

export interface Comparison {
  differences: Difference[];
  /** Queries an engine declared it cannot answer (capability_missing), not compared. */
  notCompared: string[];
}

/**
 * Loads `g` into a fresh store of each side's engine and asks both every query (or those `only`
 * names): the differences, empty when the engines agree.
 */
export async function compareEngines(g: GeneratedData, sa: Side, sb: Side, only?: (q: Query) => boolean): Promise<Comparison> {
  const dirs = [mkdtempSync(join(tmpdir(), `brazen-cmp-${sa.engine}-`)), mkdtempSync(join(tmpdir(), `brazen-cmp-${sb.engine}-`))];
  const now = () => g.ws.now * 1000;
  const stores: Store[] = [];
  try {
    stores.push(await openEngine(sa.engine, dirs[0], { now }), await openEngine(sb.engine, dirs[1], { now }));
    const [la, lb] = await Promise.all([load(stores[0], g, sa.batches, sa.refreshKept === true), load(stores[1], g, sb.batches, sb.refreshKept === true)]);
    const differences: Difference[] = [];
    const notCompared: string[] = [];
    la.forEach((x, i) => {
      if (x !== lb[i]) differences.push({ query: i < g.items.length ? `ingest item ${i}` : 'ingest', a: x, b: lb[i] });
    });
    const [a, b] = stores.map((s) => s.workspace().data);
    const [ua, ub] = await userViews(a, b, g, differences);
    for (const q of queriesOf(g).filter(only ?? (() => true))) {
      const [x, y] = await Promise.all([settle(() => q.run(a, ua)), settle(() => q.run(b, ub))]);
      if (lacking(x) || lacking(y)) notCompared.push(q.name);
      // An answer that rejects is a difference too, even when both engines reject alike.
      else if (!same(x, y) || rejected(x) || rejected(y)) differences.push({ query: q.name, a: x, b: y });
    }
    return { differences, notCompared };
  } finally {
    for (const s of stores) await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** A difference as a few readable lines (long values cut). */
export function describe(d: Difference, width = 600): string {
  const text = (v: unknown) => {
    const s = JSON.stringify(v instanceof Map ? Object.fromEntries(v) : v);
    return s === undefined ? String(v) : s.length > width ? `${s.slice(0, width)}…` : s;
  };
  return `${d.query}\n  a: ${text(d.a)}\n  b: ${text(d.b)}`;
}

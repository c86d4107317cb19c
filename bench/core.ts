/**
 * Core platform benchmark (issues 2 and 19). For each size of BENCH_EVENTS (default
 * `2000000,10000000`): DuckDB loading the benchmark's NDJSON by itself (typed columns plus the whole
 * record; typed columns only), then brazen taking the same bytes over HTTP at /currents, as a rate
 * at which records become queryable (every session of the data counted by the sessions series) and
 * as a ratio to DuckDB's own load, where the writer's time went per 100k records, and the process's
 * peak RSS during the ingestion. After the largest size: /users/track from 8 senders at once (in a
 * process of their own, as the /currents senders are), and p50/p99 of every series endpoint at
 * length 100 on that data. BENCH_BATCH: records a request;
 * BENCH_MEMORY_LIMIT: the store's and DuckDB's memory limit (default 1GB, `serve`'s default).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { seriesUnits } from '@brazen/analytics';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDbStore } from '@brazen/store';
import { buildApp, hashKey } from '@brazen/server';
import { currentsBodies as currentsData, currentsFiles, DAY, DAYS, START, type CurrentsData } from './_currents-data.ts';
import { duckdbAlone } from './_duckdb-load.ts';
import { DATA_ROOT, envNumber, fmt, freshDir, percentile } from './_lib.ts';
import { duckdbAloneTrack, requestWork, trackBodies, type TrackLoad } from './_track-load.ts';

const KEY = 'bench-key';
const SENDER = fileURLToPath(new URL('./_currents-send.ts', import.meta.url));
const TRACK_SENDER = fileURLToPath(new URL('./_track-send.ts', import.meta.url));
const auth = { authorization: `Bearer ${KEY}` };

const load = () => `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`;

/** Resident memory of this process now, bytes (/proc/self/status VmRSS). */
function rssNow(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage.rss();
}

/** The highest RSS seen while `work` runs, sampled every 100 ms, and what it held at its highest
 * sample of each second: DuckDB's own accounting of its memory (`duckdb_memory()`, read on a
 * connection of the store's) and the JavaScript heap and buffers. */
async function peakRss<T>(store: DuckDbStore, work: () => Promise<T>): Promise<{ result: T; peak: number; parts: string }> {
  let peak = rssNow();
  let parts = '';
  const conn = await (store as unknown as { db: { connect(): Promise<DuckDBConnection> } }).db.connect();
  const timer = setInterval(() => (peak = Math.max(peak, rssNow())), 100);
  let sampling = false;
  const sampler = setInterval(() => {
    if (sampling) return;
    sampling = true;
    const rss = rssNow();
    void conn.runAndReadAll(`SELECT tag, memory_usage_bytes::DOUBLE FROM duckdb_memory() WHERE memory_usage_bytes > 0`).then((r) => {
      if (rss < peak) return;
      const duck = r.getRows() as Array<[string, number]>;
      const total = duck.reduce((sum, [, b]) => sum + b, 0);
      const m = process.memoryUsage();
      const mb = (b: number) => fmt(b / 2 ** 20);
      parts = `at ${mb(rss)} MB: DuckDB ${mb(total)} MB (${duck.map(([t, b]) => `${t.toLowerCase()} ${mb(b)}`).join(', ')}), ` +
        `JavaScript heap ${mb(m.heapUsed)} MB, buffers ${mb(m.arrayBuffers)} MB, the rest (allocator, code, stacks) ${mb(rss - total - m.heapUsed - m.arrayBuffers)} MB`;
    }).finally(() => (sampling = false));
  }, 1000);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, rssNow()), parts };
  } finally {
    clearInterval(timer);
    clearInterval(sampler);
    while (sampling) await new Promise((r) => setTimeout(r, 10));
    conn.closeSync();
  }
}

/** Sessions counted by the store's series over the data's 100 days (what the rollups made queryable). */
async function sessionsCounted(store: DuckDbStore): Promise<number> {
  const units = seriesUnits('day', DAYS, START + (DAYS - 1) * DAY, 'UTC');
  const totals = await store.counterSeries({ kind: 'session', units: { unit: 'day', zone: 'UTC', list: units } });
  return totals.reduce((sum, t) => sum + t.count, 0);
}

/** Sends every file of `data` to /currents, two requests in flight, from a process of its own
 * (`_currents-send.ts`: the senders' buffers are not brazen's); resolves when all are acknowledged
 * and every session of the data is counted by the series. */
async function ingestOverHttp(base: string, store: DuckDbStore, data: CurrentsData) {
  const sender = spawn(process.execPath, ['--import', 'tsx', SENDER, base, KEY, ...data.files], { stdio: ['ignore', 'pipe', 'inherit'] });
  // Timed from the first request (the line `sending`), not from the senders' start-up.
  let started = performance.now();
  let sent: { stored: number; acknowledgedMs: number } | undefined;
  createInterface({ input: sender.stdout }).on('line', (line) => {
    if (line === 'sending') started = performance.now();
    else sent = JSON.parse(line) as typeof sent;
  });
  const code = await new Promise<number | null>((resolve) => sender.on('close', resolve));
  if (code !== 0 || !sent) throw new Error(`the /currents senders failed (exit ${code})`);
  const acknowledged = sent.acknowledgedMs / 1000;
  while ((await sessionsCounted(store)) < data.sessions) await new Promise((r) => setTimeout(r, 20));
  const queryable = (performance.now() - started) / 1000;
  return { stored: sent.stored, acknowledged, queryable };
}

/** Sends `bodies` to /users/track from `senders` clients in a process of their own (`_track-send.ts`);
 * `started` is when the first request went, in this process's clock. */
async function trackFromOwnProcess(base: string, bodies: string[], senders: number): Promise<TrackLoad> {
  const file = join(DATA_ROOT, 'core-track-bodies.ndjson');
  writeFileSync(file, `${bodies.join('\n')}\n`);
  const sender = spawn(process.execPath, ['--import', 'tsx', TRACK_SENDER, base, KEY, file, String(senders)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let started = performance.now();
  let sent: Omit<TrackLoad, 'started'> | undefined;
  createInterface({ input: sender.stdout }).on('line', (line) => {
    if (line === 'sending') started = performance.now();
    else sent = JSON.parse(line) as typeof sent;
  });
  const code = await new Promise<number | null>((resolve) => sender.on('close', resolve));
  if (code !== 0 || !sent) throw new Error(`the /users/track senders failed (exit ${code})`);
  return { ...sent, started };
}

/** One size: DuckDB's own loads, then brazen over HTTP; the store is left open for what follows. */
async function currentsAtSize(total: number, batch: number, users: number, memoryLimit: string) {
  const data = currentsFiles(total, batch, users);
  const dir = freshDir(`core-${total}`);
  console.log(`\n--- ${fmt(total)} Currents records, ${fmt(data.bytes / 1e6)} MB of NDJSON in ${data.files.length} bodies (${load()})`);
  const whole = await duckdbAlone('whole', memoryLimit, dir, data.files);
  const typed = await duckdbAlone('typed', memoryLimit, dir, data.files);
  const wholeRate = whole.rows / whole.seconds;
  const cpuPer100k = (f: { rows: number; cpuSeconds: number }) => fmt((f.cpuSeconds * 1000 * 100_000) / f.rows);
  console.log(
    `DuckDB alone, same NDJSON, typed columns + whole record: ${fmt(wholeRate)} rows/s (${fmt(whole.seconds, 1)} s, ${cpuPer100k(whole)} ms CPU per 100k); ` +
      `typed columns only: ${fmt(typed.rows / typed.seconds)} rows/s (${fmt(typed.seconds, 1)} s, ${cpuPer100k(typed)} ms CPU per 100k)`,
  );

  const store = await DuckDbStore.open({ dataDir: join(dir, 'data'), memoryLimit });
  await store.addApiKey({ name: 'bench', workspace: 'default', hash: hashKey(KEY), permissions: ALL_PERMISSIONS, createdAt: new Date().toISOString() });
  // No background profile keeping: it would take the CPU from whatever this run measures next.
  const app = await buildApp({ store, tmpDir: join(dir, 'tmp'), now: () => (START + DAYS * DAY) * 1000, profiles: { idleMs: false }, rateLimits: false });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  store.writeSteps.reset();
  const { result, peak, parts } = await peakRss(store, () => ingestOverHttp(base, store, data));
  const rate = result.stored / result.queryable;
  console.log(
    `/currents over HTTP: ${fmt(rate)} events/s queryable (${fmt(result.stored)} events in ${fmt(result.queryable, 1)} s; acknowledged ${fmt(result.stored / result.acknowledged)}/s), ` +
      `${fmt(rate / wholeRate, 2)}x DuckDB's own load [target >= 0.5x] (${load()})`,
  );
  console.log(`the longest time from a request's acknowledgement to its records' rollups: ${fmt(store.rollupLagMs)} ms [target <= 2,000 ms]`);
  console.log(`peak RSS of brazen's process during the ingestion (the senders run in a process of their own): ${fmt(peak / 2 ** 20)} MB (store memory limit ${memoryLimit}) [target <= 1,536 MB at 1GB]`);
  console.log(`  the highest sample with DuckDB's accounting beside it: ${parts}`);
  printSteps(store, result.queryable);
  return { store, app, base, rate, wholeRate };
}

function printSteps(store: DuckDbStore, seconds: number, what = 'records'): void {
  const steps = store.writeSteps;
  const per = 100_000 / Math.max(1, steps.records);
  const totals = steps.totals();
  // Steps `beside` the writer, or `within` another step, are not counted in the writer's total.
  const counted = totals.filter((t) => !t.step.includes('beside') && !t.step.includes('(within)'));
  const writer = counted.reduce((sum, t) => sum + t.ms, 0);
  console.log(`where the time goes per 100k ${what}, wall and CPU ms (the writer busy ${fmt((writer / 1000 / seconds) * 100)}% of the wall time):`);
  for (const { step, ms, cpuMs } of totals) console.log(`  ${step.padEnd(44)} ${fmt(ms * per).padStart(7)} ms  ${fmt(cpuMs * per).padStart(7)} ms CPU`);
  const cpu = counted.reduce((sum, t) => sum + t.cpuMs, 0);
  console.log(`  ${'the writer in all'.padEnd(44)} ${fmt(writer * per).padStart(7)} ms  ${fmt(cpu * per).padStart(7)} ms CPU`);
}

export async function run(): Promise<void> {
  const sizes = (process.env.BENCH_EVENTS ?? '2000000,10000000').split(',').map(Number);
  const batch = envNumber('BENCH_BATCH', 100_000);
  const users = envNumber('BENCH_USERS', 200_000);
  const memoryLimit = process.env.BENCH_MEMORY_LIMIT ?? '1GB';
  const figures: Array<{ size: number; rate: number; duckdb: number }> = [];
  for (const [i, total] of sizes.entries()) {
    const last = i === sizes.length - 1;
    const { store, app, base, rate, wholeRate } = await currentsAtSize(total, batch, users, memoryLimit);
    figures.push({ size: total, rate, duckdb: wholeRate });
    if (!last) {
      await app.close();
      await store.close();
      continue;
    }
    const rounds = envNumber('BENCH_ROUNDS', 200);
    console.log(`series latency over HTTP right after the ingestion, length 100, ${rounds} requests each (target p99 <= 25 ms; ${load()}):`);
    for (const [q, p50, p99] of await seriesLatency(base, auth, rounds)) {
      console.log(`  ${q.padEnd(58)} p50 ${fmt(p50, 2).padStart(7)} ms   p99 ${fmt(p99, 2).padStart(7)} ms`);
    }
    const trackRequests = envNumber('BENCH_TRACK_REQUESTS', 1_600);
    const bodies = trackBodies(trackRequests, users);
    const work = requestWork(bodies);
    const alone = await duckdbAloneTrack(freshDir('core-track-alone'), bodies);
    const objects = trackRequests * 75;
    console.log(
      `/users/track, the same ${fmt(objects)} objects: DuckDB alone (read_ndjson, events and attribute values as rows, CHECKPOINT) ${fmt(objects / alone.seconds)} objects/s ` +
        `(${fmt((alone.cpuSeconds * 1000 * 100_000) / objects)} ms CPU per 100k); JSON.parse of the bodies ${fmt(work.parse)} ms CPU per 100k, ` +
        `checking and normalising them (the route's normalizeTrack) ${fmt(work.normalize)} ms CPU per 100k`,
    );
    store.writeSteps.reset();
    const lags = store.trackLags();
    lags.length = 0;
    const recordsBefore = await store.recordCount();
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    const track = await trackFromOwnProcess(base, bodies, 8);
    // A read waits for every acknowledged request to be applied: then all of them are queryable.
    const recordsAfter = await store.recordCount();
    const queryable = (performance.now() - track.started) / 1000;
    const used = process.cpuUsage(cpu);
    if (recordsAfter - recordsBefore !== track.records) throw new Error(`/users/track stored ${recordsAfter - recordsBefore} records of ${track.records}`);
    lags.sort((a, b) => a - b);
    console.log(
      `/users/track, 8 senders, 75 objects a request (attributes, events, purchases; half the users new): ${fmt(objects / queryable)} objects/s queryable ` +
        `[target >= 30,000] (${fmt(objects)} objects in ${fmt(queryable, 1)} s; acknowledged ${fmt(objects / track.seconds)}/s); a request p50 ${fmt(percentile(track.latencies, 50), 1)} ms, ` +
        `p99 ${fmt(percentile(track.latencies, 99), 1)} ms; acknowledged to queryable p50 ${fmt(percentile(lags, 50))} ms, p99 ${fmt(percentile(lags, 99))} ms, ` +
        `max ${fmt(lags[lags.length - 1] ?? NaN)} ms [target <= 2,000]; the process's CPU ${fmt(((used.user + used.system) / 1000) * (100_000 / objects))} ms per 100k objects, ` +
        `its main thread busy ${fmt(performance.eventLoopUtilization(elu).utilization * 100)}% (${load()})`,
    );
    printSteps(store, queryable, 'objects');
    await app.close();
    await store.close();
  }
  console.log(`\nsummary: ${figures.map((f) => `${fmt(f.size / 1e6, 1)}M: ${fmt(f.rate)} events/s, ${fmt(f.rate / f.duckdb, 2)}x DuckDB's ${fmt(f.duckdb)} rows/s`).join('; ')}`);
  writeFileSync(join(DATA_ROOT, 'core-summary.json'), JSON.stringify(figures));
}

/** The series every benchmark asks at length 100: KPIs, sessions, events and purchases. */
export const SERIES_QUERIES: Array<[string, string]> = [
  ['/kpi/dau/data_series', 'length=100'],
  ['/kpi/mau/data_series', 'length=100'],
  ['/kpi/new_users/data_series', 'length=100'],
  ['/kpi/uninstalls/data_series', 'length=100'],
  ['/sessions/data_series', 'length=100'],
  ['/sessions/data_series', 'length=100&unit=hour'],
  ['/sessions/data_series', 'length=100&app_id=app_ios'],
  ['/events/data_series', 'length=100&event=event_c'],
  ['/events/data_series', 'length=100&event=event_c&unit=hour'],
  ['/purchases/revenue_series', 'length=100'],
  ['/purchases/revenue_series', 'length=100&product=product_7'],
  ['/purchases/quantity_series', 'length=100'],
];

/** p50 and p99 (ms) over HTTP of each of SERIES_QUERIES ending on the data's last day, `rounds`
 * requests each after 10 to warm up. */
export async function seriesLatency(base: string, auth: Record<string, string>, rounds = envNumber('BENCH_ROUNDS', 200)): Promise<Array<[string, number, number]>> {
  const endingAt = new Date((START + (DAYS - 1) * DAY) * 1000).toISOString();
  const out: Array<[string, number, number]> = [];
  for (const [path, query] of SERIES_QUERIES) {
    const times: number[] = [];
    for (let i = 0; i < rounds + 10; i++) {
      const t = performance.now();
      const res = await fetch(`${base}${path}?${query}&ending_at=${endingAt}`, { headers: auth });
      const json = (await res.json()) as { data?: unknown[] };
      if (res.status !== 200 || json.data?.length !== 100) throw new Error(`${path} failed: ${res.status}`);
      if (i >= 10) times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    out.push([`${path}?${query}`, percentile(times, 50), percentile(times, 99)]);
  }
  return out;
}

/** The benchmark's Currents bodies as text (the ClickHouse benchmark stores the same records). */
export function* currentsBodies(total: number, batch: number, users: number): Generator<string> {
  for (const { body } of currentsData(total, batch, users)) yield body;
}

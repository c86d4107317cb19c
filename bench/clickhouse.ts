/**
 * `npm run bench -- clickhouse` (issue 20): brazen's ClickHouse engine on a cluster of two 18.16 shard
 * processes started here, beside ClickHouse's own ingestion and beside DuckDB, in one run.
 *
 * - Ingestion end to end over HTTP (POST /currents, two requests in flight) of BENCH_EVENTS Currents
 *   records (default 500,000, so that a run takes minutes on two cores; BENCH_EVENTS=20000000 is the
 *   issue's size; the bodies of bench/core.ts), and ClickHouse's own JSONEachRow insert
 *   of the same NDJSON bytes into the cluster (a table of the records' fields, through a Distributed
 *   table sharded by user, acknowledged once on the shards): brazen's rate as a share of it (target
 *   at least 0.5x). The same bodies into brazen on DuckDB.
 * - p50/p99 over HTTP of every KPI, sessions, events and purchases series at length 100 (target p99
 *   25 ms), on both engines.
 *
 * The NDJSON is written once under bench/.data/clickhouse/ (not in git) and read from there by every
 * ingestion, so that making it counts for none of them. BENCH_BATCH sets the records a request.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { ClickHouseStore, DuckDbStore, type Store } from '@brazen/store';
import { buildApp, hashKey } from '@brazen/server';
import { ingestTimes } from '../packages/store/src/clickhouse/timings.ts';
import { startClickHouseCluster } from '../packages/store/test/clickhouse/servers.ts';
import { currentsBodies, seriesLatency } from './core.ts';
import { DATA_ROOT, envNumber, fmt, freshDir, processCpuMs } from './_lib.ts';

const KEY = 'bench-key';
const DAY = 86_400;
const DAYS = 100;
const START = Date.UTC(2024, 0, 1) / 1000;

/** The Currents fields of bench/core.ts's records, as ClickHouse's own table of them. */
const RAW_COLUMNS = `id String, event_type String, user_id String, external_user_id String, time Float64, app_id String, platform String,
  session_id String, name String, properties String, product_id String, price Float64, currency String, campaign_id String,
  message_variation_id String, email_address String`;

/** NDJSON bodies of `total` records, `batch` a body, written once (the same for every run of that size). */
function bodies(total: number, batch: number, users: number): string[] {
  const dir = join(DATA_ROOT, 'clickhouse', `ndjson-${total}-${batch}-${users}`);
  const done = join(dir, 'complete');
  if (!existsSync(done)) {
    mkdirSync(dir, { recursive: true });
    let i = 0;
    for (const body of currentsBodies(total, batch, users)) writeFileSync(join(dir, `${String(i++).padStart(6, '0')}.ndjson`), body);
    writeFileSync(done, '');
  }
  return readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort().map((f) => join(dir, f));
}

/** Sends every body to `post`, two in flight (the next is read while one is stored); events/s. */
async function ingest(label: string, files: string[], post: (body: BodyInit, index: number) => Promise<number>): Promise<number> {
  let stored = 0;
  const started = performance.now();
  let last = started;
  const inFlight = new Set<Promise<void>>();
  for (const [index, file] of files.entries()) {
    const body = readFileSync(file);
    const p = post(body as unknown as BodyInit, index).then((n) => void (stored += n)).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= 2) await Promise.race(inFlight);
    if (performance.now() - last > 15_000) {
      last = performance.now();
      process.stderr.write(`  ... ${label}: ${fmt(stored)} stored (${fmt(stored / ((last - started) / 1000))}/s)\n`);
    }
  }
  await Promise.all(inFlight);
  return stored / ((performance.now() - started) / 1000);
}

/** Ingestion into brazen over HTTP on `store`; then the series latencies. */
async function brazenOn(name: string, store: Store, files: string[], tmp: string, serverPids: number[] = []): Promise<{ rate: number; latency: Array<[string, number, number]>; cpuMs: number; serverCpuMs: number; wallMs: number }> {
  await store.keys.addApiKey({ name: 'bench', workspace: 'default', hash: hashKey(KEY), permissions: ALL_PERMISSIONS, createdAt: new Date().toISOString() });
  const app = await buildApp({ store, tmpDir: tmp, now: () => (START + DAYS * DAY) * 1000, profiles: { idleMs: false }, rateLimits: false });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const auth = { authorization: `Bearer ${KEY}` };
  const cpu = processCpuMs(process.pid);
  const serverCpu = serverPids.reduce((n, pid) => n + processCpuMs(pid), 0);
  const started = performance.now();
  const rate = await ingest(name, files, async (body) => {
    const res = await fetch(`${base}/currents`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body });
    const json = (await res.json()) as { events_processed: number; errors?: unknown[] };
    if (res.status !== 201 || json.errors) throw new Error(`${name} ingest failed: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
    return json.events_processed;
  });
  const cpuMs = processCpuMs(process.pid) - cpu;
  const serverCpuMs = serverPids.reduce((n, pid) => n + processCpuMs(pid), 0) - serverCpu;
  const wallMs = performance.now() - started;
  const latency = await seriesLatency(base, auth);
  await app.close();
  await store.close();
  return { rate, latency, cpuMs, serverCpuMs, wallMs };
}

export async function run(): Promise<void> {
  const total = envNumber('BENCH_EVENTS', 500_000);
  const batch = envNumber('BENCH_BATCH', 100_000);
  const users = envNumber('BENCH_USERS', Math.max(1_000, Math.round(total / 50)));
  const files = bodies(total, batch, users);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  console.log(`${fmt(total)} Currents records (${fmt(users)} users, ${DAYS} days), ${fmt(bytes / 1e6)} MB of NDJSON in ${files.length} bodies`);

  const cluster = await startClickHouseCluster(2);
  try {
    const hosts = cluster.nodes.map((n) => n.httpUrl.replace('http://', '')).join(',');
    const url = (db: string) => `clickhouse://${hosts}/${db}?cluster=${cluster.name}`;

    // ClickHouse's own insert of the same bytes: a table of the records' fields on each shard.
    const node = cluster.nodes[0].httpUrl;
    const statement = async (query: string, httpUrl = node) => {
      const res = await fetch(`${httpUrl}/`, { method: 'POST', body: query });
      if (!res.ok) throw new Error(`${query.slice(0, 80)}: ${await res.text()}`);
    };
    for (const n of cluster.nodes) {
      await statement('CREATE DATABASE IF NOT EXISTS own', n.httpUrl);
      await statement(`CREATE TABLE own.raw_local (${RAW_COLUMNS}) ENGINE = MergeTree ORDER BY (user_id, id)`, n.httpUrl);
    }
    await statement(`CREATE TABLE own.raw AS own.raw_local ENGINE = Distributed(${cluster.name}, 'own', 'raw_local', cityHash64(user_id))`);
    const params = new URLSearchParams({ query: 'INSERT INTO own.raw FORMAT JSONEachRow', input_format_skip_unknown_fields: '1', insert_distributed_sync: '1' });
    const pids = cluster.nodes.map((n) => n.pid);
    const shardsCpu = () => pids.reduce((n, pid) => n + processCpuMs(pid), 0);
    const ownStart = shardsCpu();
    const own = await ingest('ClickHouse JSONEachRow', files, async (body, index) => {
      const res = await fetch(`${node}/?${params}`, { method: 'POST', body });
      if (!res.ok) throw new Error(await res.text());
      return Math.min(batch, total - index * batch);
    });
    console.log(`ClickHouse's own JSONEachRow insert of the NDJSON into the two shards (Distributed, sync): ${fmt(own)} rows/s`);
    console.log(`  the two shards' CPU for it: ${fmt((shardsCpu() - ownStart) / 1000, 1)} s`);
    // The floor of any path that reads each record in JavaScript: JSON.parse alone, one line at a time.
    const parseStart = performance.now();
    let parsed = 0;
    for (const file of files) for (const line of readFileSync(file, 'utf8').split('\n')) if (line) parsed += JSON.parse(line) ? 1 : 0;
    const parseRate = parsed / ((performance.now() - parseStart) / 1000);
    console.log(`  Node's JSON.parse alone of the same lines (reading the files included): ${fmt(parseRate)} records/s = ${fmt(parseRate / own, 2)}x ClickHouse's whole insert`);
    ingestTimes.clear();
    const ch = await brazenOn('brazen on ClickHouse', await ClickHouseStore.open({ url: url('brazen') }), files, freshDir('clickhouse-tmp'), pids);
    console.log(`brazen on ClickHouse, POST /currents end to end over HTTP: ${fmt(ch.rate)} events/s = ${fmt(ch.rate / own, 2)}x ClickHouse's own insert (target >= 0.5x)`);
    console.log(`  ${fmt(ch.wallMs / 1000, 1)} s wall; CPU: brazen's process ${fmt(ch.cpuMs / 1000, 1)} s, the two shards ${fmt(ch.serverCpuMs / 1000, 1)} s`);
    console.log("  where the engine's time goes (wall ms summed over batches; two requests in flight, so phases overlap):");
    for (const [phase, ms] of [...ingestTimes].sort((a, b) => b[1] - a[1])) console.log(`    ${fmt(ms).padStart(9)} ms  ${phase}`);
    const duck = await brazenOn('brazen on DuckDB', await DuckDbStore.open({ dataDir: freshDir('clickhouse-duckdb') }), files, freshDir('clickhouse-duckdb-tmp'));
    console.log(`brazen on DuckDB, POST /currents end to end over HTTP: ${fmt(duck.rate)} events/s`);

    console.log(`series over HTTP at length 100, ${envNumber('BENCH_ROUNDS', 200)} requests each (target p99 <= 25 ms):`);
    console.log(`  ${''.padEnd(58)} ${'ClickHouse p50'.padStart(15)} ${'p99'.padStart(9)} ${'DuckDB p50'.padStart(12)} ${'p99'.padStart(9)}`);
    ch.latency.forEach(([q, p50, p99], i) => {
      const [, d50, d99] = duck.latency[i];
      console.log(`  ${q.padEnd(58)} ${fmt(p50, 2).padStart(12)} ms ${fmt(p99, 2).padStart(6)} ms ${fmt(d50, 2).padStart(9)} ms ${fmt(d99, 2).padStart(6)} ms`);
    });
  } finally {
    await cluster.stop();
  }
}

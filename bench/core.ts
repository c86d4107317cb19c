/**
 * Core platform benchmark (issue 2): /currents and /users/track throughput end to end over HTTP,
 * DuckDB's raw appender rate as the baseline, and p50/p99 of every series endpoint at length 100.
 * BENCH_EVENTS (default 10,000,000) sets the size; BENCH_BATCH the records per /currents request.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { DuckDbStore } from '@brazen/store';
import { buildApp, hashKey } from '@brazen/server';
import { DATA_ROOT, envNumber, fmt, freshDir, percentile, prng } from './_lib.ts';

const KEY = 'bench-key';
const DAY = 86_400;
const DAYS = 100;
const START = Date.UTC(2024, 0, 1) / 1000;
const EVENT_NAMES = Array.from({ length: 20 }, (_, i) => `event_${String.fromCharCode(97 + i)}`);
const PRODUCTS = Array.from({ length: 50 }, (_, i) => `product_${i}`);
const APPS = ['app_ios', 'app_android', 'app_web'];
const PLATFORMS = ['ios', 'android', 'web'];

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

/** Time-ordered Currents records as Currents delivers them, one NDJSON body at a time. */
export function* currentsBodies(total: number, batch: number, users: number): Generator<string> {
  const rand = prng(42);
  let n = 0;
  while (n < total) {
    const size = Math.min(batch, total - n);
    const lines = new Array<string>(size);
    for (let i = 0; i < size; i++, n++) {
      const time = START + Math.floor((n / total) * DAYS * DAY);
      const u = Math.floor(rand() * users);
      const app = u % 3;
      const head = `{"id":"ev-${n}","user_id":"u${u}","external_user_id":"x${u}","time":${time},"app_id":"${APPS[app]}","platform":"${PLATFORMS[app]}"`;
      const r = rand();
      if (r < 0.3) lines[i] = `${head},"event_type":"users.behaviors.app.SessionStart","session_id":"s${n}"}`;
      else if (r < 0.7) lines[i] = `${head},"event_type":"users.behaviors.CustomEvent","name":"${EVENT_NAMES[Math.floor(rand() * 20)]}","properties":"{\\"level\\":${u % 50}}"}`;
      else if (r < 0.75) lines[i] = `${head},"event_type":"users.behaviors.Purchase","product_id":"${PRODUCTS[Math.floor(rand() * 50)]}","price":${(1 + Math.floor(rand() * 2000) / 100).toFixed(2)},"currency":"USD"}`;
      else if (r < 0.752) lines[i] = `${head},"event_type":"users.behaviors.Uninstall"}`;
      else {
        const action = ['Send', 'Delivery', 'Open', 'Click'][Math.floor(rand() * 4)];
        lines[i] = `${head},"event_type":"users.messages.email.${action}","campaign_id":"camp_${u % 10}","message_variation_id":"var_${u % 2}","email_address":"u${u}@example.com"}`;
      }
    }
    yield lines.join('\n');
  }
}

async function appenderBaseline(dir: string, rows: number): Promise<number> {
  const instance = await DuckDBInstance.create(join(dir, 'baseline.duckdb'));
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE events (id VARCHAR, event_type VARCHAR, time DOUBLE, uid INTEGER, app_id VARCHAR, name VARCHAR, payload VARCHAR)`);
  const rand = prng(1);
  const started = performance.now();
  const app = await conn.createAppender('events');
  for (let i = 0; i < rows; i++) {
    app.appendVarchar(`ev-${i}`);
    app.appendVarchar('users.behaviors.CustomEvent');
    app.appendDouble(START + i);
    app.appendInteger(Math.floor(rand() * 200_000));
    app.appendVarchar('app_ios');
    app.appendVarchar(EVENT_NAMES[i % 20]);
    app.appendVarchar('{"level":3}');
    app.endRow();
  }
  app.closeSync();
  const rate = rows / ((performance.now() - started) / 1000);
  conn.closeSync();
  instance.closeSync();
  return rate;
}

export async function run(): Promise<void> {
  const total = envNumber('BENCH_EVENTS', 10_000_000);
  const batch = envNumber('BENCH_BATCH', 100_000);
  const users = envNumber('BENCH_USERS', 200_000);
  // BENCH_REUSE=1 measures again on the data of the last run (no ingestion figures).
  const reuse = process.env.BENCH_REUSE === '1';
  const dir = reuse ? join(DATA_ROOT, 'core') : freshDir('core');

  if (!reuse) {
    const baseline = await appenderBaseline(dir, Math.min(total, 1_000_000));
    console.log(`baseline  DuckDB appender, row by row (7 columns): ${fmt(baseline)} rows/s`);
  }

  const store = await DuckDbStore.open({ dataDir: join(dir, 'data') });
  await store.addApiKey({ name: 'bench', workspace: 'default', hash: hashKey(KEY), permissions: ALL_PERMISSIONS, createdAt: new Date().toISOString() });
  // No background profile keeping: it would take the CPU from whatever this run measures next.
  const app = await buildApp({ store, tmpDir: join(dir, 'tmp'), now: () => (START + DAYS * DAY) * 1000, profiles: { idleMs: false } });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const auth = { authorization: `Bearer ${KEY}` };

  // /currents: two requests in flight, so the next body is built and sent while one is stored.
  let stored = 0;
  let sent = 0;
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  let lastReport = started;
  for (const body of reuse ? [] : currentsBodies(total, batch, users)) {
    const p = fetch(`${base}/currents`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body })
      .then(async (res) => {
        const json = (await res.json()) as { events_processed: number; errors?: unknown[] };
        if (res.status !== 201 || json.errors) throw new Error(`ingest failed: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
        stored += json.events_processed;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    sent += batch;
    if (inFlight.size >= 2) await Promise.race(inFlight);
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      process.stderr.write(`  ... ${fmt(stored)} / ${fmt(total)} events stored (${fmt(stored / ((lastReport - started) / 1000))}/s)\n`);
    }
  }
  await Promise.all(inFlight);
  if (!reuse) {
  const currentsRate = stored / ((performance.now() - started) / 1000);
  console.log(`/currents  end to end over HTTP: ${fmt(currentsRate)} events/s (${fmt(stored)} events, ${fmt(batch)} a request; target >= 200,000)`);

  // /users/track: 75 attributes + 75 events + 75 purchases a request.
  const trackRequests = envNumber('BENCH_TRACK_REQUESTS', 200);
  const trackStarted = performance.now();
  for (let r = 0; r < trackRequests; r++) {
    const ids = Array.from({ length: 75 }, (_, i) => `track-${(r * 75 + i) % 20_000}`);
    const time = new Date((START + (r % DAYS) * DAY) * 1000).toISOString();
    const body = {
      attributes: ids.map((external_id, i) => ({ external_id, first_name: `N${i}`, country: 'FR', visits: { inc: 1 } })),
      events: ids.map((external_id, i) => ({ external_id, name: EVENT_NAMES[i % 20], time, properties: { i } })),
      purchases: ids.map((external_id, i) => ({ external_id, product_id: PRODUCTS[i % 50], price: 1.5, quantity: 2, currency: 'USD', time })),
    };
    const res = await fetch(`${base}/users/track`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`track failed: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  const trackRate = (trackRequests * 225) / ((performance.now() - trackStarted) / 1000);
  console.log(`/users/track end to end over HTTP: ${fmt(trackRate)} objects/s (${trackRequests} requests of 225 objects)`);
  }

  if (reuse) {
    // One small batch, so that the store does its upkeep (clustering) as it would after ingestion.
    const res = await fetch(`${base}/currents`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: [...currentsBodies(1_000, 1_000, users)][0].replaceAll('"id":"ev-', '"id":"reuse-') });
    if (res.status !== 201) throw new Error(`reuse ingest failed: ${res.status}`);
  }

  // Series latency at length 100.
  const rounds = envNumber('BENCH_ROUNDS', 200);
  console.log(`series latency over HTTP, length 100, ${rounds} requests each (target p99 <= 25 ms):`);
  for (const [q, p50, p99] of await seriesLatency(base, auth, rounds)) {
    console.log(`  ${q.padEnd(58)} p50 ${fmt(p50, 2).padStart(7)} ms   p99 ${fmt(p99, 2).padStart(7)} ms`);
  }
  await app.close();
  await store.close();
}

/**
 * Campaign and Canvas analytics benchmark (issue 3): p50/p99 of /campaigns/data_series,
 * /sends/data_series and /canvas/data_series (+ data_summary) at length 100 over HTTP, from
 * `brazen serve` in a process of its own and again with the server in this process, on
 * BENCH_CAMPAIGN_EVENTS (default 10,000,000) engagement events plus 10% behaviour events that
 * conversions match. Baseline, same run: the same campaign's figures computed from the raw
 * `events` table without the rollups.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { DuckDbStore, type Workspace } from '@brazen/store';
import { buildApp, hashKey } from '@brazen/server';
import { exited, startServerProcess } from '../packages/server/test/cli-process.ts';
import { DATA_ROOT, envNumber, fmt, freshDir, percentile, prng, processCpuMs } from './_lib.ts';

const KEY = 'bench-key';
const DAY = 86_400;
const DAYS = 100;
const START = Date.UTC(2024, 0, 1) / 1000;
const CAMPAIGNS = 20;
const API_CAMPAIGNS = 3;
const CANVASES = 5;

type Channel = 'email' | 'push' | 'sms' | 'in_app' | 'content_card';
const CHANNELS: Channel[] = ['email', 'push', 'sms', 'in_app', 'content_card'];
const DEF_CHANNEL: Record<Channel, string> = {
  email: 'email', push: 'ios_push', sms: 'sms', in_app: 'trigger_in_app_message', content_card: 'content_cards',
};
/** Event types of a channel: the receipt first, then the engagement that follows. */
const TYPES: Record<Channel, string[]> = {
  email: ['users.messages.email.Send', 'users.messages.email.Delivery', 'users.messages.email.Open', 'users.messages.email.Click'],
  push: ['users.messages.pushnotification.Send', 'users.messages.pushnotification.Open', 'users.messages.pushnotification.Bounce'],
  sms: ['users.messages.sms.Send', 'users.messages.sms.CarrierSend', 'users.messages.sms.Delivery', 'users.messages.sms.ShortLinkClick'],
  in_app: ['users.messages.inappmessage.Impression', 'users.messages.inappmessage.Click'],
  content_card: ['users.messages.contentcard.Send', 'users.messages.contentcard.Impression', 'users.messages.contentcard.Click'],
};
const PLATFORMS = ['ios', 'android', 'web'];
const CONVERSIONS = [
  { type: 'Makes Any Purchase', window: 3 * DAY },
  { type: 'Performs Custom Event', window: DAY, custom_event_name: 'played' },
];

const channelOf = (c: number): Channel => CHANNELS[c % CHANNELS.length];

function workspace(): Workspace {
  const campaigns = Array.from({ length: CAMPAIGNS }, (_, c) => {
    const ch = DEF_CHANNEL[channelOf(c)];
    return {
      id: `bc-${c}`,
      name: `Bench campaign ${c}`,
      is_api_campaign: c < API_CAMPAIGNS,
      created_at: new Date((START - (CAMPAIGNS - c) * DAY) * 1000).toISOString(),
      messages: {
        [`bc-${c}-v0`]: { channel: ch, name: 'Variation 1' },
        [`bc-${c}-v1`]: { channel: ch, name: 'Variation 2' },
        [`bc-${c}-ctl`]: { channel: ch, name: 'Control', type: 'control' },
      },
      conversion_behaviors: CONVERSIONS,
    };
  });
  const canvases = Array.from({ length: CANVASES }, (_, k) => ({
    id: `cv-${k}`,
    name: `Bench canvas ${k}`,
    created_at: new Date((START - 1) * 1000).toISOString(),
    variants: [
      { id: `cv-${k}-a`, name: 'A', first_step_ids: [`cv-${k}-s0`] },
      { id: `cv-${k}-b`, name: 'B', first_step_ids: [`cv-${k}-s1`] },
    ],
    steps: [0, 1, 2].map((s) => ({
      id: `cv-${k}-s${s}`,
      name: `Step ${s}`,
      next_step_ids: s < 2 ? [`cv-${k}-s2`] : [],
      channels: [DEF_CHANNEL[channelOf(s)]],
      messages: { [`cv-${k}-s${s}-m`]: { channel: DEF_CHANNEL[channelOf(s)], name: `Message ${s}` } },
    })),
    conversion_behaviors: [CONVERSIONS[0]],
  }));
  return { apps: [], campaigns, canvases, segments: [], cards: [] };
}

/** Writes one NDJSON batch of time-ordered records and returns its path. */
function writeBatch(dir: string, rand: () => number, from: number, size: number, total: number, users: number): string {
  const lines = new Array<string>(size);
  for (let i = 0; i < size; i++) {
    const n = from + i;
    const time = START + Math.floor((n / total) * DAYS * DAY);
    const u = Math.floor(rand() * users);
    const head = `{"id":"e${n}","user_id":"u${u}","time":${time}`;
    const r = rand();
    if (r < 0.09) {
      // behaviour events that conversions match
      lines[i] = r < 0.045
        ? `${head},"event_type":"users.behaviors.Purchase","product_id":"p${u % 50}","price":${(1 + (u % 20)).toFixed(2)},"currency":"USD"}`
        : `${head},"event_type":"users.behaviors.CustomEvent","name":"played"}`;
      continue;
    }
    const receipt = rand() < 0.4;
    if (r < 0.79) {
      const c = Math.floor(rand() * CAMPAIGNS);
      const ch = channelOf(c);
      const v = rand() < 0.05 ? 'ctl' : rand() < 0.5 ? 'v0' : 'v1';
      const types = TYPES[ch];
      const type = v === 'ctl' ? 'users.campaigns.EnrollInControl' : receipt ? types[0] : types[1 + Math.floor(rand() * (types.length - 1))];
      const send = c < API_CAMPAIGNS ? `,"send_id":"s-${c}-${Math.floor((time - START) / (5 * DAY))}"` : '';
      const platform = ch === 'push' ? `,"platform":"${PLATFORMS[u % 3]}"` : '';
      lines[i] = `${head},"event_type":"${type}","campaign_id":"bc-${c}","message_variation_id":"bc-${c}-${v}"${send}${platform}}`;
    } else {
      const k = Math.floor(rand() * CANVASES);
      const variant = u % 2 === 0 ? 'a' : 'b';
      if (receipt && rand() < 0.3) {
        lines[i] = `${head},"event_type":"users.canvas.Entry","canvas_id":"cv-${k}","canvas_variation_id":"cv-${k}-${variant}","canvas_step_id":"cv-${k}-s0"}`;
        continue;
      }
      const s = Math.floor(rand() * 3);
      const types = TYPES[channelOf(s)];
      const type = receipt ? types[0] : types[1 + Math.floor(rand() * (types.length - 1))];
      lines[i] = `${head},"event_type":"${type}","canvas_id":"cv-${k}","canvas_variation_id":"cv-${k}-${variant}","canvas_step_id":"cv-${k}-s${s}","canvas_step_message_variation_id":"cv-${k}-s${s}-m"}`;
    }
  }
  const file = join(dir, 'batch.ndjson');
  writeFileSync(file, lines.join('\n'));
  return file;
}

/**
 * Wall-clock p50/p99 of `rounds` requests, and the mean CPU time per request of this process (server,
 * DuckDB's threads and the client alike): on a shared machine the wall clock mostly measures the wait
 * for a core, the CPU time what a request costs.
 */
/** CPU milliseconds used so far by the server: this process, or the `brazen serve` child. */
function serverCpu(pid: number | undefined): number {
  if (pid === undefined) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  return processCpuMs(pid);
}

async function latency(base: string, path: string, rounds: number, pid?: number): Promise<{ p50: number; p99: number; cpu: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  const cpu0 = serverCpu(pid);
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
    const text = await res.text();
    times.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text.slice(0, 300)}`);
    bytes = text.length;
  }
  const cpu = serverCpu(pid) - cpu0;
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), cpu: cpu / rounds, bytes };
}

/** The baseline: one campaign's daily counts, distinct users and primary conversions from raw `events`. */
async function rawCampaignSeries(dbFile: string, campaign: string, from: number, to: number, rounds: number): Promise<{ p50: number; p99: number }> {
  const instance = await DuckDBInstance.create(dbFile, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  const window = CONVERSIONS[0].window;
  const sql = `
    WITH counts AS (
      SELECT floor((time - ${START}) / 86400) AS day, message_variation_id, event_type, platform, count(*) AS n, count(DISTINCT uid) AS u
      FROM events WHERE campaign_id = $c AND time >= $from AND time < $to GROUP BY ALL),
    r AS (
      SELECT uid, time, message_variation_id FROM events
      WHERE campaign_id = $c AND time >= $from - ${window} AND time < $to
        AND event_type IN ('users.messages.email.Send', 'users.messages.pushnotification.Send', 'users.messages.sms.Send',
          'users.messages.inappmessage.Impression', 'users.messages.contentcard.Send', 'users.campaigns.EnrollInControl')),
    e AS (SELECT uid, time FROM events WHERE category = 'purchase' AND time >= $from - ${window} AND time < $to),
    m AS (SELECT r.uid, r.time, r.message_variation_id, min(e.time) AS conv FROM r JOIN e ON e.uid = r.uid AND e.time >= r.time
          AND e.time <= r.time + ${window} GROUP BY ALL)
    SELECT (SELECT count(*) FROM counts), (SELECT count(*) FROM m)`;
  const times: number[] = [];
  await conn.runAndReadAll(sql, { c: campaign, from, to }); // warm-up
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await conn.runAndReadAll(sql, { c: campaign, from, to });
    times.push(performance.now() - t0);
  }
  conn.closeSync();
  instance.closeSync();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function ingest(store: DuckDbStore, dir: string, total: number, batch: number, users: number, engagement: number): Promise<void> {
  const rand = prng(7);
  const started = performance.now();
  let stored = 0;
  let ingestMs = 0;
  for (let from = 0; from < total; from += batch) {
    const file = writeBatch(dir, rand, from, Math.min(batch, total - from), total, users);
    const t0 = performance.now();
    const result = await store.ingestCurrents({ bytes: readFileSync(file), format: 'ndjson' });
    ingestMs += performance.now() - t0;
    if (result.errors.length > 0) throw new Error(`ingest: ${JSON.stringify(result.errors.slice(0, 3))}`);
    stored += result.stored;
    process.stderr.write(`  ... ${fmt(stored)} / ${fmt(total)} records stored (${fmt((stored / ingestMs) * 1000)}/s in the store)\n`);
  }
  console.log(
    `ingested ${fmt(stored)} records (${fmt(engagement)} engagement + behaviour) in ${fmt((performance.now() - started) / 1000, 1)} s; ` +
      `store.ingestCurrents with every rollup: ${fmt((stored / ingestMs) * 1000)} records/s`,
  );
}

export async function run(): Promise<void> {
  const engagement = envNumber('BENCH_CAMPAIGN_EVENTS', 10_000_000);
  const total = Math.round(engagement / 0.91);
  const batch = envNumber('BENCH_CAMPAIGN_BATCH', 1_000_000);
  const users = envNumber('BENCH_CAMPAIGN_USERS', 500_000);
  const rounds = envNumber('BENCH_ROUNDS', 200);
  // BENCH_CAMPAIGN_REUSE=1 measures the latencies again on the data of the previous run.
  const reuse = process.env.BENCH_CAMPAIGN_REUSE === '1' && existsSync(join(DATA_ROOT, 'campaigns', 'data', 'brazen.duckdb'));
  const dir = reuse ? join(DATA_ROOT, 'campaigns') : freshDir('campaigns');
  const dataDir = join(dir, 'data');

  const store = await DuckDbStore.open({ dataDir });
  if (!reuse) {
    await store.addApiKey({ name: 'bench', workspace: 'default', hash: hashKey(KEY), permissions: ALL_PERMISSIONS, createdAt: new Date().toISOString() });
    await store.putWorkspace(workspace());
    await ingest(store, dir, total, batch, users, engagement);
  }
  console.log(`${fmt(await store.recordCount())} stored records${reuse ? ' (reused from the previous run)' : ''}`);

  const endingAt = new Date((START + (DAYS - 1) * DAY) * 1000).toISOString();
  const startingAt = new Date(START * 1000).toISOString();
  const queries: Array<[string, string]> = [
    // the floor on this machine at this moment: a daily series read from a small rollup
    ['reference: /kpi/dau/data_series', `/kpi/dau/data_series?length=100&ending_at=${endingAt}`],
    ['campaign email (multivariate + control)', `/campaigns/data_series?campaign_id=bc-5&length=100&ending_at=${endingAt}`],
    ['campaign push (3 platforms)', `/campaigns/data_series?campaign_id=bc-6&length=100&ending_at=${endingAt}`],
    ['campaign in-app', `/campaigns/data_series?campaign_id=bc-8&length=100&ending_at=${endingAt}`],
    ['API campaign (20 sends)', `/campaigns/data_series?campaign_id=bc-0&length=100&ending_at=${endingAt}`],
    ['send', `/sends/data_series?campaign_id=bc-0&send_id=s-0-3&length=100&ending_at=${endingAt}`],
    ['canvas totals', `/canvas/data_series?canvas_id=cv-1&starting_at=${startingAt}&ending_at=${endingAt}`],
    [
      'canvas + variant + step breakdown',
      `/canvas/data_series?canvas_id=cv-1&starting_at=${startingAt}&ending_at=${endingAt}&include_variant_breakdown=true&include_step_breakdown=true`,
    ],
    [
      'canvas summary + breakdowns',
      `/canvas/data_summary?canvas_id=cv-1&starting_at=${startingAt}&ending_at=${endingAt}&include_variant_breakdown=true&include_step_breakdown=true`,
    ],
  ];
  const measure = async (base: string, pid?: number) => {
    for (const [name, path] of queries) {
      await latency(base, path, 5, pid); // warm-up
      const r = await latency(base, path, rounds, pid);
      console.log(
        `  ${name.padEnd(40)} p50 ${fmt(r.p50, 1).padStart(6)} ms   p99 ${fmt(r.p99, 1).padStart(6)} ms   ` +
          `server cpu ${fmt(r.cpu, 1).padStart(5)} ms/request   (${fmt(r.bytes)} bytes)`,
      );
    }
  };
  // As deployed: `brazen serve` in a process of its own, the client in this one.
  await store.close();
  const server = await startServerProcess(dataDir, KEY, ['--no-rate-limits']);
  console.log(`series latency over HTTP from \`brazen serve\` in its own process, 100 days, ${rounds} requests each (target p99 <= 25 ms); load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores:`);
  try {
    await measure(server.url, server.child.pid);
  } finally {
    server.child.kill('SIGTERM');
    await exited(server.child);
  }
  // The same with the server in this process, sharing its event loop with the client.
  const reopened = await DuckDbStore.open({ dataDir });
  const app = await buildApp({ store: reopened, tmpDir: join(dir, 'tmp'), now: () => (START + DAYS * DAY) * 1000, profiles: { idleMs: false } });
  console.log(`the same with the server in the benchmark's process (its event loop shared with the client):`);
  await measure(await app.listen({ port: 0, host: '127.0.0.1' }));
  await app.close();
  await reopened.close();

  const baselineRounds = Math.max(5, Math.round(rounds / 20));
  const raw = await rawCampaignSeries(join(dataDir, 'brazen.duckdb'), 'bc-5', START, START + DAYS * DAY, baselineRounds);
  console.log(
    `baseline  bc-5 counts, distinct users and primary conversions from raw events (no rollups, no HTTP), ${baselineRounds} runs: ` +
      `p50 ${fmt(raw.p50, 1)} ms   p99 ${fmt(raw.p99, 1)} ms`,
  );
}

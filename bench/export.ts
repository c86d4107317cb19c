/**
 * Segment export (SPEC §6): a 1M-user segment to gzipped NDJSON by a real `brazen serve` process
 * (the one users run), timed from the request to the job's end, with that process's CPU and peak
 * RSS. Baseline: `gzip -1` of the same NDJSON bytes, in the same run. Targets: ≥ 100,000 users/s
 * and ≤ 300 MB peak RSS. Three exports: with no profile kept (computed from the events), then with
 * every profile kept (an export of every field then streams their lines from the profile line
 * files), at `--memory-limit` BENCH_DUCKDB_MEMORY (default 1GB, serve's default) and 128MB.
 * `BENCH_EXPORT_USERS` changes the size (the data is kept under bench/.data/export-N/).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { SCHEMA } from '../packages/store/src/duckdb/schema.ts';
import { exited, startServerProcess } from '../packages/server/test/cli-process.ts';
import { DATA_ROOT, envNumber, fmt, processCpuMs } from './_lib.ts';

const WORKER = fileURLToPath(new URL('./_export-worker.ts', import.meta.url));
const DAY0 = 1_704_067_200; // 2024-01-01

/** Users with ~6 attributes, 3 sessions, 4 custom events, a purchase for 30%, an email (and an open
 * for half): about 9 events per user, generated in SQL. */
async function generate(dir: string, users: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const db = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
  const c = await db.connect();
  for (const ddl of SCHEMA) await c.run(ddl);
  await c.run(`INSERT INTO users SELECT i + 1, lpad(to_hex(i * 2654435761 % 4294967296), 24, '0'), ${DAY0} FROM range(${users}) t(i)`);
  await c.run(`INSERT INTO identities SELECT 'braze_id', braze_id, uid FROM users`);
  await c.run(`INSERT INTO identities SELECT 'external_id', 'user-' || uid, uid FROM users`);
  await c.run(`INSERT INTO attributes SELECT uid, name, value::JSON, ${DAY0} + uid % 86400, row_number() OVER () FROM (
      SELECT uid, unnest(['first_name', 'email', 'country', 'gender', 'loyalty_points', 'plan']) AS name,
             unnest([to_json('Name' || uid)::VARCHAR, to_json('user' || uid || '@example.com')::VARCHAR,
                     to_json(['US', 'DE', 'FR', 'BR', 'IN'][1 + uid % 5])::VARCHAR, to_json(['M', 'F'][1 + uid % 2])::VARCHAR,
                     (uid % 1000)::VARCHAR, to_json(['free', 'pro'][1 + uid % 2])::VARCHAR]) AS value
      FROM users)`);
  const event = (type: string, category: string, extra: string) => `SELECT 'e' || uid || '-' || k || '-${category}' AS id, NULL::UBIGINT AS id_hash,
      '${type}' AS event_type, '${category}' AS category, ${DAY0} + (uid * 37 + k * 86400) % (90 * 86400) AS time, uid, ${extra}
      FROM users, range(`;
  const cols = (o: Record<string, string>) => {
    const all = ['app_id', 'name', 'campaign_id', 'message_variation_id', 'canvas_id', 'canvas_variation_id', 'canvas_step_id', 'send_id', 'card_id', 'platform', 'price', 'currency', 'quantity', 'revenue', 'payload'];
    return all.map((k) => `${o[k] ?? 'NULL'} AS ${k}`).join(', ');
  };
  await c.run(`INSERT INTO events ${event('users.behaviors.app.SessionStart', 'session_start', cols({
    app_id: `'app-1'`, platform: `'android'`,
    payload: `json_object('device_id', 'dev-' || uid, 'device_model', 'Pixel 8', 'os_version', 'Android 14', 'platform', 'android', 'app_id', 'app-1')`,
  }))}3) r(k)`);
  await c.run(`INSERT INTO events ${event('users.behaviors.CustomEvent', 'custom_event', cols({
    app_id: `'app-1'`, name: `['Played', 'Viewed'][1 + k % 2]`, payload: `'{}'`,
  }))}4) r(k)`);
  await c.run(`INSERT INTO events ${event('users.behaviors.Purchase', 'purchase', cols({
    app_id: `'app-1'`, name: `'sku-' || uid % 7`, price: '9.99', currency: `'USD'`, quantity: '1', revenue: '9.99', payload: `'{}'`,
  }))}1) r(k) WHERE uid % 10 < 3`);
  await c.run(`INSERT INTO events ${event('users.messages.email.Send', 'message', cols({
    campaign_id: `'campaign-' || uid % 5`, message_variation_id: `'variation-' || uid % 5`, payload: `'{}'`,
  }))}1) r(k)`);
  await c.run(`INSERT INTO events ${event('users.messages.email.Open', 'message', cols({
    campaign_id: `'campaign-' || uid % 5`, message_variation_id: `'variation-' || uid % 5`, payload: `'{}'`,
  }))}1) r(k) WHERE uid % 2 = 0`);
  await c.run(`INSERT INTO workspace VALUES (1, $doc)`, {
    doc: JSON.stringify({
      apps: [{ id: 'app-1', name: 'Bench app', platform: 'android' }],
      campaigns: Array.from({ length: 5 }, (_, i) => ({ id: `campaign-${i}`, name: `Campaign ${i}`, messages: { [`variation-${i}`]: { name: `Variant ${i}` } } })),
      canvases: [], cards: [], segments: [{ id: 'everyone', name: 'Everyone', analytics_tracking_enabled: true }],
    }),
  });
  await c.run('CHECKPOINT');
  c.closeSync();
  db.closeSync();
  writeFileSync(join(dir, 'ready'), String(users));
}

export interface ServedExport {
  users: number;
  seconds: number;
  cpuSeconds: number;
  listeningMb: number;
  peakMb: number;
  folder: string;
}

/** A figure of /proc/PID/status, in MB. */
const procStatusMb = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** `brazen serve` on the data folder; one segment export (of everyone unless another segment is
 * named), started as soon as it listens, timed from the request to the job's end as /admin/exports
 * reports it, with the server process's CPU and peak RSS. */
export async function serveExport(dir: string, memoryLimit: string, segmentId = 'everyone'): Promise<ServedExport> {
  rmSync(join(dir, 'tmp'), { recursive: true, force: true });
  const db = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
  const c = await db.connect();
  await c.run(`DELETE FROM export_jobs`);
  await c.run(`DELETE FROM export_ranks`);
  c.closeSync();
  db.closeSync();
  const { child, url } = await startServerProcess(dir, 'bench', ['--memory-limit', memoryLimit, '--no-rate-limits']);
  try {
    const pid = child.pid!;
    const listeningMb = procStatusMb(pid, 'VmRSS');
    const headers = { authorization: 'Bearer bench', 'content-type': 'application/json' };
    const cpuBefore = processCpuMs(pid);
    const started = performance.now();
    const res = await fetch(`${url}/users/export/segment`, { method: 'POST', headers, body: JSON.stringify({ segment_id: segmentId, output_format: 'gzip' }) });
    if (res.status !== 201) throw new Error(`export refused: ${res.status} ${await res.text()}`);
    const prefix = ((await res.json()) as { object_prefix: string }).object_prefix;
    for (;;) {
      const list = (await (await fetch(`${url}/admin/exports`, { headers })).json()) as { exports: Array<{ id: string; object_prefix: string; status: string; users?: number; error?: string }> };
      const job = list.exports.find((j) => j.object_prefix === prefix);
      if (job?.status === 'done') {
        return {
          users: job.users ?? 0, seconds: (performance.now() - started) / 1000, cpuSeconds: (processCpuMs(pid) - cpuBefore) / 1000,
          listeningMb, peakMb: procStatusMb(pid, 'VmHWM'), folder: join(dir, 'tmp', 'exports', job.id),
        };
      }
      if (job && job.status !== 'running' && job.status !== 'pending') throw new Error(`export ended ${job.status}: ${job.error}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill('SIGTERM');
    await exited(child);
  }
}

/** Every kept profile of the data folder forgotten (as in a folder made before they were kept). */
export async function forgetProfiles(dir: string): Promise<void> {
  const db = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
  const c = await db.connect();
  for (const table of ['profile_parts', 'profile_lines', 'profile_files']) await c.run(`DROP TABLE IF EXISTS ${table}`);
  c.closeSync();
  db.closeSync();
  rmSync(join(dir, 'profiles'), { recursive: true, force: true });
}

/** What a quiet server does in the background, in a process of its own: every profile kept. */
export function keepProfiles(dir: string): { kept: number; caughtUp: number; seconds: number } {
  const keeper = spawnSync(process.execPath, ['--import', 'tsx', WORKER, dir], { encoding: 'utf8' });
  if (keeper.status !== 0) throw new Error(`keeping profiles failed:\n${keeper.stdout}\n${keeper.stderr}`);
  return JSON.parse(keeper.stdout.trim().split('\n').pop()!) as { kept: number; caughtUp: number; seconds: number };
}

export async function run(): Promise<void> {
  const users = envNumber('BENCH_EXPORT_USERS', 1_000_000);
  const dir = join(DATA_ROOT, `export-${users}`);
  if (!existsSync(join(dir, 'ready'))) {
    rmSync(dir, { recursive: true, force: true });
    const t = performance.now();
    await generate(dir, users);
    console.log(`generated ${fmt(users)} users in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  // First export: no profile is kept yet, so the export computes them from the events on the way.
  // Then what a quiet server does in the background: every profile computed and kept. Then the
  // same export again, reading kept profiles; and once more with DuckDB held to 128MB.
  await forgetProfiles(dir);
  const memory = process.env.BENCH_DUCKDB_MEMORY ?? '1GB';
  const cold = await serveExport(dir, memory);
  const keeping = keepProfiles(dir);
  const bounded = await serveExport(dir, '128MB');
  const result = await serveExport(dir, memory);
  const files = readdirSync(result.folder).filter((f) => f.endsWith('.gz')).map((f) => join(result.folder, f));
  const gzBytes = files.reduce((n, f) => n + statSync(f).size, 0);

  // Baseline: the same NDJSON bytes through gzip -1.
  const ndjson = join(dir, 'baseline.ndjson');
  execFileSync('sh', ['-c', `cat ${files.map((f) => `'${f}'`).join(' ')} | gunzip > '${ndjson}'`]);
  const rawBytes = statSync(ndjson).size;
  const t = performance.now();
  execFileSync('sh', ['-c', `gzip -1 -c '${ndjson}' > /dev/null`]);
  const gzipSeconds = (performance.now() - t) / 1000;
  rmSync(ndjson);

  const rate = result.users / result.seconds;
  const line = (label: string, r: ServedExport) =>
    `${label}: ${r.seconds.toFixed(2)} s  ${fmt(r.users / r.seconds)} users/s  peak RSS ${fmt(r.peakMb)} MB (${fmt(r.listeningMb)} MB before), ${r.cpuSeconds.toFixed(1)} s of CPU`;
  console.log(`segment export of ${fmt(result.users)} users by \`brazen serve\` (its process measured), gzip NDJSON, ${files.length} files, ${fmt(rawBytes / 1e6, 1)} MB of JSON -> ${fmt(gzBytes / 1e6, 1)} MB`);
  console.log(`  ${line(`profiles kept, --memory-limit ${memory}`, result)}  (targets: >= 100,000 users/s, <= 300 MB)`);
  console.log(`  ${line('profiles kept, --memory-limit 128MB', bounded)}`);
  console.log(`  ${line(`none kept (computed from the events), --memory-limit ${memory}`, cold)}`);
  console.log(`  (keeping the ${fmt(keeping.kept)} profiles in between, as a quiet server does in the background: ${keeping.seconds.toFixed(1)} s)`);
  console.log(`  baseline gzip -1 of the same bytes: ${gzipSeconds.toFixed(2)} s  ${fmt(result.users / gzipSeconds)} users/s`);
  rmSync(join(dir, 'tmp'), { recursive: true, force: true });
}

/**
 * Scale (issue 24): the answers that grow with a workspace, on the demo of BENCH_USERS users
 * (default 1,000,000) × BENCH_DAYS days (default 100), built once by `brazen demo` into
 * bench/.data/scale-USERSxDAYS/ (not in git) and reused by later runs.
 *
 * - the time to compute every tracked segment's history (and its members' counters for today) in
 *   the built folder, as `brazen demo` does when it ends;
 * - p50/p99 of `/segments/data_series?length=100` for every tracked demo segment, and of
 *   `/sessions/data_series` and `/events/data_series` with `segment_id` at length 100 (targets: p99
 *   ≤ 100 ms and ≤ 50 ms), beside the same requests answered from the records (the store opened
 *   with kept segments off: what every request cost before they were kept), in the same run;
 * - a segment export of all users ("All users") started as soon as `brazen serve --memory-limit
 *   256MB` listens (targets: ≥ 100,000 users/s, peak RSS ≤ 500 MB), beside the same export with no
 *   profile kept (what the first export after a load did before `brazen demo` kept them), unless
 *   BENCH_COLD_EXPORT=0.
 *
 * The series are asked of the app in this process (its clock set to noon of the day after the
 * demo's last, so windows cover the data); the export of a real `brazen serve` process, whose RSS
 * is measured. BENCH_REPEATS (default 20) requests of each series with kept segments,
 * BENCH_BASELINE_REPEATS (default 1) without.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { join } from 'node:path';
import { cpus, loadavg, tmpdir } from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { buildApp, hashKey } from '@brazen/server';
import { DuckDbStore, type Workspace } from '@brazen/store';
import { BIN } from '../packages/server/test/cli-process.ts';
import { DATA_ROOT, envNumber, fmt, percentile } from './_lib.ts';
import { forgetProfiles, keepProfiles, serveExport, type ServedExport } from './export.ts';
import { COMPRESSION_LEVEL } from '../packages/server/src/export/files.ts';

const SEED = '3';
/** The demo's end (exclusive): a fixed day, so that a folder built once stays the same. */
const END = '2024-04-01';
const NOW = Date.parse(`${END}T12:00:00Z`);
const KEY = 'bench-scale';

/** Runs `brazen ARGS` to its end, its output passed through; rejects on a non-zero exit. */
function brazen(args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, BRAZEN_API_KEY: undefined }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`brazen ${args[0]} exited ${code}`))));
  });
}

/** The demo's data folder, built when missing (a `ready` file marks a finished build). */
export async function scaleData(users: number, days: number): Promise<string> {
  const dir = join(DATA_ROOT, `scale-${users}x${days}`);
  if (existsSync(join(dir, 'ready'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  await brazen(['demo', '--users', String(users), '--days', String(days), '--seed', SEED, '--end', END, '--data', dir]);
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(join(dir, 'ready'), JSON.stringify({ users, days, seed: SEED, end: END, seconds }));
  console.log(`built the ${fmt(users)}-user × ${days}-day demo in ${fmt(seconds, 1)} s`);
  return dir;
}

/** The folder's kept segment histories forgotten (as in a folder made before they were kept). */
async function forgetSegments(dir: string): Promise<void> {
  const db = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
  const c = await db.connect();
  for (const table of ['segment_changes', 'segment_days', 'segment_counters', 'segment_movers', 'kept_segments']) await c.run(`DROP TABLE IF EXISTS ${table}`);
  await c.run(`DROP SEQUENCE IF EXISTS kept_segment_numbers`);
  c.closeSync();
  db.closeSync();
}

const open = (dir: string, keptSegments: boolean) =>
  DuckDbStore.open({ dataDir: dir, now: () => NOW, memoryLimit: process.env.BENCH_DUCKDB_MEMORY ?? '1GB', keptSegments });

interface Timed {
  label: string;
  ms: number[];
}

/** Each request of `paths` asked `repeats` times (after one first request, timed apart), in turn. */
async function timeRequests(dir: string, keptSegments: boolean, paths: Array<[string, string]>, repeats: number): Promise<{ first: Timed[]; rest: Timed[] }> {
  const store = await open(dir, keptSegments);
  const tmp = mkdtempSync(join(tmpdir(), 'brazen-bench-scale-'));
  const app = await buildApp({ store, now: () => NOW, tmpDir: tmp, rateLimits: false, profiles: { idleMs: false } });
  const hash = hashKey(KEY);
  if (!(await store.keys.findApiKey(hash))) {
    await store.keys.addApiKey({ name: KEY, workspace: 'default', hash, permissions: ALL_PERMISSIONS, createdAt: new Date(NOW).toISOString() });
  }
  const ask = async (path: string): Promise<number> => {
    const started = performance.now();
    const res = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${KEY}` } });
    const ms = performance.now() - started;
    if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
    return ms;
  };
  try {
    const first: Timed[] = [];
    for (const [label, path] of paths) first.push({ label, ms: [await ask(path)] });
    const rest = paths.map(([label]) => ({ label, ms: [] as number[] }));
    for (let r = 0; r < repeats; r++) {
      for (const [i, [, path]] of paths.entries()) rest[i].ms.push(await ask(path));
    }
    return { first, rest };
  } finally {
    await app.close();
    await store.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The limit of an export on this machine: node's zlib alone (the export's level, two files at a
 * time, one a core) compressing the NDJSON of the export's files, read back and decompressed first
 * (not timed). */
async function gzipAlone(folder: string): Promise<{ seconds: number; bytes: number }> {
  const files = readdirSync(folder).filter((f) => f.endsWith('.json.gz'));
  const compress = promisify(gzip);
  let seconds = 0;
  let bytes = 0;
  for (let i = 0; i < files.length; i += 2) {
    const texts = files.slice(i, i + 2).map((f) => gunzipSync(readFileSync(join(folder, f))));
    const started = performance.now();
    await Promise.all(texts.map((text) => compress(text, { level: COMPRESSION_LEVEL })));
    seconds += (performance.now() - started) / 1000;
    bytes += texts.reduce((n, t) => n + t.length, 0);
  }
  return { seconds, bytes };
}

const ms = (n: number) => `${n < 10 ? n.toFixed(1) : fmt(n)} ms`;
const p = (list: number[], q: number) => percentile([...list].sort((a, b) => a - b), q);

/** BENCH_SCALE_ONLY=export: the export of "All users" and its limit alone (the segments as kept). */
async function exportOnly(dir: string): Promise<void> {
  const store = await open(dir, true);
  const ws: Workspace = await store.workspace().catalog.getWorkspace();
  await store.close();
  const everyone = (ws.segments as Array<{ id: string; name: string }>).find((s) => s.name === 'All users')!;
  const keeping = keepProfiles(dir);
  if (keeping.kept > 0 || keeping.caughtUp > 0) console.log(`  (${fmt(keeping.kept)} profiles kept first, ${keeping.caughtUp} line files compressed in blocks once: ${keeping.seconds.toFixed(1)} s)`);
  const served = await serveExport(dir, '256MB', everyone.id);
  console.log(`profiles kept: ${fmt(served.users)} users in ${served.seconds.toFixed(1)} s, ${fmt(served.users / served.seconds)} users/s, peak RSS ${fmt(served.peakMb)} MB (${fmt(served.listeningMb)} MB listening), ${served.cpuSeconds.toFixed(1)} s of CPU`);
  const alone = await gzipAlone(served.folder);
  console.log(`the limit, node's zlib alone (level ${COMPRESSION_LEVEL}, two files at a time): ${alone.seconds.toFixed(1)} s, ${fmt(served.users / alone.seconds)} users/s; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  rmSync(join(dir, 'tmp'), { recursive: true, force: true });
}

export async function run(): Promise<void> {
  const users = envNumber('BENCH_USERS', 1_000_000);
  const days = envNumber('BENCH_DAYS', 100);
  const repeats = envNumber('BENCH_REPEATS', 20);
  const baselineRepeats = envNumber('BENCH_BASELINE_REPEATS', 1);
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (on ${cpus().length} CPUs)`);
  const dir = await scaleData(users, days);
  if (process.env.BENCH_SCALE_ONLY === 'export') return exportOnly(dir);

  // The history of every tracked segment, computed from nothing as `brazen demo` does when it ends.
  await forgetSegments(dir);
  const store = await open(dir, true);
  const ws: Workspace = await store.workspace().catalog.getWorkspace();
  const events = await store.workspace().data.recordCount();
  let started = performance.now();
  const computed = await store.workspace().keptSegments!.refresh();
  const historySeconds = (performance.now() - started) / 1000;
  await store.close();
  console.log(`${fmt(users)} users × ${days} days, ${fmt(events)} events (demo seed ${SEED}, ending ${END}); clock ${new Date(NOW).toISOString()}`);
  console.log(`every tracked segment's history (${computed} segments) and its members' counters for today computed in ${fmt(historySeconds, 1)} s`);

  const tracked = (ws.segments as Array<{ id: string; name: string; analytics_tracking_enabled?: boolean; archived?: boolean }>)
    .filter((s) => s.analytics_tracking_enabled === true && s.archived !== true);
  const sizes: Array<[string, string]> = tracked.map((s) => [s.name, `/segments/data_series?segment_id=${s.id}&length=100`]);
  const series: Array<[string, string]> = tracked.flatMap((s): Array<[string, string]> => [
    [`sessions, ${s.name}`, `/sessions/data_series?segment_id=${s.id}&length=100&unit=day`],
    [`events, ${s.name}`, `/events/data_series?segment_id=${s.id}&length=100&unit=day&event=viewed_product`],
  ]);
  // Kept first, then the same requests answered from the records, then the exports: each printed
  // as it is measured (the baselines take minutes at a million users).
  const kept = await timeRequests(dir, true, [...sizes, ...series], repeats);
  const report = (title: string, offset: number, n: number, target: number, plain?: { first: Timed[]; rest: Timed[] }) => {
    console.log(`\n${title} (target p99 <= ${target} ms); kept: ${repeats} requests each after a first`
      + `${plain ? `; from the records (BRAZEN_KEPT_SEGMENTS=off): ${baselineRepeats + 1} each` : ''}`);
    const all: number[] = [];
    const before: number[] = [];
    for (let i = offset; i < offset + n; i++) {
      const mine = kept.rest[i].ms;
      all.push(...mine);
      let theirs = '';
      if (plain) {
        const list = [...plain.first[i].ms, ...plain.rest[i].ms];
        before.push(...list);
        theirs = `   from the records p50 ${ms(p(list, 50)).padStart(9)} max ${ms(Math.max(...list)).padStart(9)}`;
      }
      console.log(`  ${kept.rest[i].label.padEnd(44)} kept p50 ${ms(p(mine, 50)).padStart(8)} p99 ${ms(p(mine, 99)).padStart(8)} (first ${ms(kept.first[i].ms[0])})${theirs}`);
    }
    console.log(`  all of them: kept p50 ${ms(p(all, 50))} p99 ${ms(p(all, 99))}${plain ? `; from the records p50 ${ms(p(before, 50))} p99 ${ms(p(before, 99))}` : ''}`);
  };
  report('/segments/data_series?length=100', 0, sizes.length, 100);
  report('/sessions/data_series and /events/data_series (viewed_product) with segment_id, length=100', sizes.length, series.length, 50);

  // The export of all users, right after `brazen serve` starts, with the profiles kept as `brazen
  // demo` leaves them.
  const everyone = tracked.find((s) => s.name === 'All users')!;
  const line = (label: string, r: ServedExport) =>
    `  ${label}: ${fmt(r.users)} users in ${r.seconds.toFixed(1)} s, ${fmt(r.users / r.seconds)} users/s, peak RSS ${fmt(r.peakMb)} MB (${fmt(r.listeningMb)} MB listening), ${r.cpuSeconds.toFixed(1)} s of CPU`;
  console.log(`\nsegment export of "All users" (gzip) started as soon as \`brazen serve --memory-limit 256MB\` listens (targets: >= 100,000 users/s, peak RSS <= 500 MB)`);
  const keeping = keepProfiles(dir);
  if (keeping.kept > 0) console.log(`  (${fmt(keeping.kept)} profiles kept first, as \`brazen demo\` and \`brazen import\` do when they end: ${keeping.seconds.toFixed(1)} s)`);
  const served = await serveExport(dir, '256MB', everyone.id);
  console.log(line('profiles kept', served));
  const alone = await gzipAlone(served.folder);
  console.log(`  the limit, node's zlib alone (level ${COMPRESSION_LEVEL}, two files at a time) on the export's ${fmt(alone.bytes / 1e6)} MB of NDJSON: `
    + `${alone.seconds.toFixed(1)} s, ${fmt(served.users / alone.seconds)} users/s; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  // What the same requests cost before: answered from the records.
  const plain = await timeRequests(dir, false, [...sizes, ...series], baselineRepeats);
  report('/segments/data_series?length=100', 0, sizes.length, 100, plain);
  report('/sessions/data_series and /events/data_series (viewed_product) with segment_id, length=100', sizes.length, series.length, 50, plain);
  if (process.env.BENCH_COLD_EXPORT !== '0') {
    await forgetProfiles(dir);
    console.log(line('\nexport with no profile kept (computed from the events), as the first export after a load before', await serveExport(dir, '256MB', everyone.id)));
  }
  rmSync(join(dir, 'tmp'), { recursive: true, force: true });
}

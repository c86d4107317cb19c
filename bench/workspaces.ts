/**
 * Several workspaces and their states (issue 22, parts 4 and 5).
 *
 * 1. Snapshots of the demo workspace (BENCH_DEMO_USERS × BENCH_DEMO_DAYS, default 10,000 × 90) over
 *    HTTP: POST /admin/snapshots, POST /admin/snapshots/NAME/restore and POST /admin/reset, each
 *    BENCH_SNAPSHOT_RUNS times (default 7); beside them, measured in the same run, what they are
 *    made of: copying the data file alone, and closing and opening the workspace alone.
 * 2. Memory of N workspaces (BENCH_WORKSPACES, default 8, each a copy of a 2,000-user demo) in one
 *    DuckDB instance (each file attached: what brazen does) against an instance each, under the
 *    same --memory-limit (BENCH_DUCKDB_MEMORY, default 1GB), in child processes, the same reads on
 *    every workspace.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { buildDemo } from '@brazen/demo';
import { DuckDbWorkspaces } from '@brazen/store';
import { buildApp, hashKey } from '@brazen/server';
import { envNumber, fmt, freshDir, percentile } from './_lib.ts';

const END = Date.UTC(2024, 3, 1) / 1000;
const NOW = Date.UTC(2024, 2, 31, 12);
const WORKER = fileURLToPath(new URL('./_workspaces-memory-worker.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const spread = (xs: number[]) => `median ${fmt(median(xs))} ms (min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))})`;

async function snapshots(): Promise<void> {
  const users = envNumber('BENCH_DEMO_USERS', 10_000);
  const days = envNumber('BENCH_DEMO_DAYS', 90);
  const runs = envNumber('BENCH_SNAPSHOT_RUNS', 7);
  const dir = freshDir('workspaces-snapshots');
  const store = await DuckDbWorkspaces.open(dir, { now: () => NOW });
  const built = performance.now();
  const summary = await buildDemo(store.workspace(), { users, days, seed: 1, end: END });
  console.log(`demo: ${fmt(users)} users × ${days} days, ${fmt(summary.stored)} records, built in ${fmt((performance.now() - built) / 1000, 1)} s`);
  await store.keys.addApiKey({ name: 'bench', workspace: 'default', hash: hashKey('bench'), permissions: ALL_PERMISSIONS, createdAt: new Date(NOW).toISOString() });
  const app = await buildApp({ store, now: () => NOW, tmpDir: join(dir, 'tmp'), rateLimits: false, profiles: { idleMs: false } });
  await app.ready();
  const post = async (url: string, body?: object) => {
    const started = performance.now();
    const res = await app.inject({ method: 'POST', url, headers: { authorization: 'Bearer bench', 'content-type': 'application/json' }, ...(body ? { payload: body } : {}) });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return performance.now() - started;
  };
  const file = join(dir, 'brazen.duckdb');
  const times = { save: [] as number[], restore: [] as number[], reset: [] as number[], copy: [] as number[], reopen: [] as number[] };
  for (let i = 0; i < runs; i++) times.save.push(await post('/admin/snapshots', { name: 'demo' }));
  console.log(`data file ${fmt(statSync(file).size / 1e6, 1)} MB; snapshot ${fmt(statSync(join(dir, 'snapshots', 'default', 'demo', 'brazen.duckdb')).size / 1e6, 1)} MB`);
  for (let i = 0; i < runs; i++) times.restore.push(await post('/admin/snapshots/demo/restore'));
  for (let i = 0; i < runs; i++) {
    times.reset.push(await post('/admin/reset', {}));
    await post('/admin/snapshots/demo/restore');
  }
  // The parts, alone: a copy of the file, and the workspace detached and attached again.
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    copyFileSync(file, join(dir, 'copy.duckdb'));
    times.copy.push(performance.now() - started);
  }
  await app.close();
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await store.states.restoreSnapshot('default', 'demo');
    times.reopen.push(performance.now() - started);
  }
  await store.close();
  console.log(`POST /admin/snapshots (save):            ${spread(times.save)}`);
  console.log(`POST /admin/snapshots/demo/restore:      ${spread(times.restore)}`);
  console.log(`POST /admin/reset:                       ${spread(times.reset)}`);
  console.log(`baseline, the data file copied alone:    ${spread(times.copy)}`);
  console.log(`baseline, restore in the store alone:    ${spread(times.reopen)} (no HTTP, no export runner or keeper to stop)`);
}

function memory(): void {
  const n = envNumber('BENCH_WORKSPACES', 8);
  const limit = process.env.BENCH_DUCKDB_MEMORY ?? '1GB';
  const dir = freshDir('workspaces-memory');
  const template = join(dir, 'template');
  // One 2,000-user demo, copied into every workspace's place.
  execFileSync(process.execPath, [fileURLToPath(new URL('../packages/cli/bin/brazen.js', import.meta.url)), 'demo', '--users', '2000', '--days', '90', '--end', '2024-04-01', '--data', template], { stdio: 'ignore' });
  for (let i = 0; i < n; i++) {
    const folder = join(dir, 'workspaces', `ws${i}`);
    mkdirSync(folder, { recursive: true });
    copyFileSync(join(template, 'brazen.duckdb'), join(folder, 'brazen.duckdb'));
    writeFileSync(join(folder, 'workspace.json'), JSON.stringify({ name: `ws${i}`, created_at: new Date(NOW).toISOString() }));
  }
  console.log(`${n} workspaces of a 2,000-user × 90-day demo (${fmt(statSync(join(template, 'brazen.duckdb')).size / 1e6, 1)} MB each), memory limit ${limit}:`);
  for (const mode of ['shared', 'separate']) {
    const out = JSON.parse(execFileSync(TSX, [WORKER, mode, dir, String(n), limit]).toString()) as Record<string, number>;
    console.log(`  ${mode === 'shared' ? 'one instance, files attached' : 'an instance each          '}: opened in ${fmt(out.openSeconds, 2)} s, reads in ${fmt(out.loadSeconds, 2)} s; RSS ${fmt(out.rssOpenedMb)} MB opened, ${fmt(out.rssLoadedMb)} MB after the reads, peak ${fmt(out.peakMb)} MB`);
  }
}

export async function run(): Promise<void> {
  await snapshots();
  memory();
}

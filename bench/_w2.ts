/** Child of bench/export.ts: one segment export through the real server, then its figures as JSON. */
import { join } from 'node:path';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { DuckDbStore } from '@brazen/store';
import { buildApp, hashKey } from '@brazen/server';

const dir = process.argv[2];
// DuckDB's memory limit as `brazen serve` sets it by default (1GB), unless BENCH_DUCKDB_MEMORY says otherwise.
const store = await DuckDbStore.open({ dataDir: dir, memoryLimit: process.env.BENCH_DUCKDB_MEMORY ?? '1GB' });
await store.addApiKey({ name: 'bench', hash: hashKey('bench'), permissions: ALL_PERMISSIONS, createdAt: new Date().toISOString() });
const app = await buildApp({ store, tmpDir: join(dir, 'tmp'), exports: { filesPerBatch: Number(process.env.BENCH_FILES_PER_BATCH ?? 10) } });
// KEEP=1: only what a quiet server does in the background, profiles computed and kept (a process
// of its own, so that the export's peak RSS is the export's).
if (process.env.KEEP === '1') {
  const started = performance.now();
  const kept = await store.refreshProfiles();
  await app.close();
  await store.close();
  process.stdout.write(`${JSON.stringify({ kept, seconds: (performance.now() - started) / 1000 })}\n`);
  process.exit(0);
}
const cpuBefore = process.cpuUsage(); let peak = { rss: 0 } as any; const iv = setInterval(() => { const m = process.memoryUsage(); if (m.rss > peak.rss) peak = { rss: m.rss >> 20, heap: m.heapUsed >> 20, heapTotal: m.heapTotal >> 20, ext: m.external >> 20, ab: m.arrayBuffers >> 20 }; }, 5);
const rssBefore = process.resourceUsage().maxRSS;
const started = performance.now();
const res = await app.inject({
  method: 'POST', url: '/users/export/segment', headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
  payload: JSON.stringify({ segment_id: 'everyone', output_format: 'gzip' }),
});
if (res.statusCode !== 201) throw new Error(res.body);
await app.exportRunner.idle();
clearInterval(iv); console.error(JSON.stringify(peak)); const seconds = (performance.now() - started) / 1000;
const job = (await store.exportJobs()).at(-1)!;
if (job.status !== 'done') throw new Error(`export ended ${job.status}: ${job.error}`);
const folder = app.exportRunner.folder(job.id);
await app.close();
await store.close();
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(`${JSON.stringify({ users: job.users, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssKb: process.resourceUsage().maxRSS, rssBeforeKb: rssBefore, folder })}\n`);

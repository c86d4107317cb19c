/**
 * `tsx bench/_track-split.ts`: /users/track's two halves measured apart on a fresh store (the core
 * benchmark measures them together, beside /currents): 130 requests of the core benchmark's shape
 * (9,750 objects: more would wait for the applier, whose backlog is bounded at 10,000)
 * acknowledged while the store's writer is held (the request path alone: HTTP on both sides,
 * JSON.parse, the route's checks, the log), then applied with nothing else running (the applier
 * alone, with its steps per 100k objects), then 870 more with both at once. Run it under the heavy
 * lock.
 */
import { join } from 'node:path';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { DuckDbStore } from '@brazen/store';
import { buildApp, hashKey } from '@brazen/server';
import { DAY, DAYS, START } from './_currents-data.ts';
import { fmt, freshDir } from './_lib.ts';
import { trackBodies, trackLoad } from './_track-load.ts';

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

const dir = freshDir('track-split');
const store = await DuckDbStore.open({ dataDir: join(dir, 'data'), memoryLimit: '1GB' });
await store.addApiKey({ name: 'bench', workspace: 'default', hash: hashKey('k'), permissions: ALL_PERMISSIONS, createdAt: new Date().toISOString() });
const app = await buildApp({ store, tmpDir: join(dir, 'tmp'), now: () => (START + DAYS * DAY) * 1000, profiles: { idleMs: false }, rateLimits: false });
const base = await app.listen({ port: 0, host: '127.0.0.1' });
const auth = { authorization: 'Bearer k' };
const bodies = trackBodies(1400, 20_000);
// Warm-up, and users to find: the first 400 requests.
await trackLoad(base, auth, bodies.slice(0, 400), 8);
await store.recordCount();

let release = () => {};
const held = new Promise<void>((r) => (release = r));
void (store as unknown as { db: { serialized(work: () => Promise<void>): Promise<void> } }).db.serialized(() => held);
let cpu = process.cpuUsage();
const acks = await trackLoad(base, auth, bodies.slice(400, 530), 8);
console.log(`acknowledgements alone: ${fmt(acks.objects / acks.seconds)} objects/s, ${fmt((cpuMs(cpu) * 100_000) / acks.objects)} ms CPU per 100k`);
store.writeSteps.reset();
cpu = process.cpuUsage();
const started = performance.now();
release();
await store.recordCount();
console.log(`the applier alone: ${fmt(acks.objects / ((performance.now() - started) / 1000))} objects/s, ${fmt((cpuMs(cpu) * 100_000) / acks.objects)} ms CPU per 100k`);
for (const t of store.writeSteps.totals()) console.log(`  ${t.step.padEnd(44)} ${fmt((t.ms * 100_000) / acks.objects).padStart(7)} ms  ${fmt((t.cpuMs * 100_000) / acks.objects).padStart(7)} ms CPU`);

cpu = process.cpuUsage();
const both = await trackLoad(base, auth, bodies.slice(530), 8);
await store.recordCount();
console.log(`both at once: ${fmt(both.objects / ((performance.now() - both.started) / 1000))} objects/s queryable, ${fmt((cpuMs(cpu) * 100_000) / both.objects)} ms CPU per 100k`);
await app.close();
await store.close();

/**
 * `tsx bench/_track-apply.ts`: the /users/track applier alone, without HTTP or the log: the route's
 * checks (normalizeTrack) of the core benchmark's bodies, then the store's storeTrack on groups of
 * TRACK_GROUP requests (default 33, ~2,500 objects; 133 is ~10,000), TRACK_REQUESTS of them (default
 * 800) after 200 to warm up, on a fresh store: CPU per 100k objects and the applier's steps. How much
 * a group's size matters: 6.2 s of CPU per 100k objects at 33 requests a group, 3.9 s at 133.
 */
import { join } from 'node:path';
import { DuckDbStore } from '@brazen/store';
import { normalizeTrack } from '../packages/server/src/ingest/track.ts';
import { DAY, DAYS, START } from './_currents-data.ts';
import { envNumber, fmt, freshDir } from './_lib.ts';
import { trackBodies } from './_track-load.ts';

const dir = freshDir('track-apply');
const store = await DuckDbStore.open({ dataDir: join(dir, 'data'), memoryLimit: '1GB' });
const n = envNumber('TRACK_REQUESTS', 800);
const bodies = trackBodies(200 + n, 20_000);
const options = { now: START + DAYS * DAY, zone: 'UTC', currencies: new Set(['USD']) };
let cpu = process.cpuUsage();
const batches = bodies.map((b) => normalizeTrack(JSON.parse(b), options).batch);
const used0 = process.cpuUsage(cpu);
const per = (u: NodeJS.CpuUsage, objects: number) => fmt(((u.user + u.system) / 1000) * (100_000 / objects));
console.log(`JSON.parse + normalizeTrack: ${per(used0, bodies.length * 75)} ms CPU per 100k`);
const s = store as unknown as { ingest: { storeTrack(g: unknown[], w: () => Promise<void>): Promise<void> }; db: { serialized<T>(f: () => Promise<T>): Promise<T> } };
let seq = 1;
const GROUP = envNumber('TRACK_GROUP', 33);
const apply = async (from: number, to: number) => {
  for (let i = from; i < to; i += GROUP) {
    const group = batches.slice(i, Math.min(to, i + GROUP)).map((batch) => ({ seq: seq++, at: options.now, batch }));
    await s.db.serialized(() => s.ingest.storeTrack(group, async () => {}));
  }
};
await apply(0, 200);
store.writeSteps.reset();
cpu = process.cpuUsage();
const started = performance.now();
await apply(200, 200 + n);
const used = process.cpuUsage(cpu);
console.log(`the applier alone: ${fmt((n * 75) / ((performance.now() - started) / 1000))} objects/s, ${per(used, n * 75)} ms CPU per 100k`);
for (const t of store.writeSteps.totals()) console.log(`  ${t.step.padEnd(44)} ${fmt((t.ms * 100_000) / (n * 75)).padStart(7)} ms  ${fmt((t.cpuMs * 100_000) / (n * 75)).padStart(7)} ms CPU`);
await store.close();

/**
 * Child of bench/workspaces.ts: opens N copies of one workspace's file, either as the workspaces of
 * one folder (one DuckDB instance, each file attached: `shared`) or as N stores of their own (an
 * instance each: `separate`), runs the same reads on every one, and prints its memory as JSON.
 * Usage: _workspaces-memory-worker.ts shared|separate DIR N MEMORY_LIMIT
 */
import { readFileSync } from 'node:fs';
import { DuckDbStore, DuckDbWorkspaces, type WorkspaceStore } from '@brazen/store';
import { seriesUnits } from '@brazen/analytics';

const [mode, dir, count, memoryLimit] = process.argv.slice(2);
const n = Number(count);
const rssMb = () => Number(readFileSync('/proc/self/status', 'utf8').match(/VmRSS:\s+(\d+)/)![1]) / 1024;
const hwmMb = () => Number(readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+)/)![1]) / 1024;

const names = Array.from({ length: n }, (_, i) => `ws${i}`);
let workspaces: WorkspaceStore[];
let close: () => Promise<void>;
const started = performance.now();
if (mode === 'shared') {
  const store = await DuckDbWorkspaces.open(dir, { memoryLimit });
  workspaces = names.map((name) => store.workspace(name));
  close = () => store.close();
} else {
  const stores = await Promise.all(names.map((name) => DuckDbStore.open({ dataDir: `${dir}/workspaces/${name}`, memoryLimit })));
  workspaces = stores.map((s) => s.workspace());
  close = async () => {
    for (const s of stores) await s.close();
  };
}
const openSeconds = (performance.now() - started) / 1000;
const opened = rssMb();

const END = Date.UTC(2024, 3, 1) / 1000 - 1;
const loadStarted = performance.now();
for (const ws of workspaces) {
  const units = { unit: 'day' as const, zone: 'UTC', list: seriesUnits('day', 90, END, 'UTC') };
  await ws.data.counterSeries({ kind: 'session', units });
  await ws.data.counterSeries({ kind: 'session', units: { unit: 'hour', zone: 'UTC', list: seriesUnits('hour', 100, END, 'UTC') } });
  await ws.data.activitySeries({ metric: 'mau', days: units.list.map((u) => u.time) });
  const filter = { and: [{ session_count: { op: 'gte', value: 3 } }, { custom_event: 'added_to_cart', op: 'gte', count: 1, within_days: 30 }] };
  await ws.data.segmentSizes(filter as never, units.list.slice(-30).map((u) => ({ at: u.end, inclusive: false })));
  const found = await ws.data.findUsers('external_id', Array.from({ length: 500 }, (_, i) => `user-${String(i).padStart(6, '0')}`));
  await ws.data.userProfiles([...found.values()].flat(), { fields: ['external_id', 'braze_id', 'custom_events', 'purchases', 'total_revenue', 'apps'] });
}
const loadSeconds = (performance.now() - loadStarted) / 1000;
const loaded = rssMb();
await close();
process.stdout.write(`${JSON.stringify({ mode, workspaces: n, openSeconds, loadSeconds, rssOpenedMb: opened, rssLoadedMb: loaded, peakMb: hwmMb() })}\n`);

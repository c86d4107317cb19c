/**
 * `npm run load`: LOAD_SECONDS (default 600) against a real `brazen serve` at twice Braze's
 * per-key rate (2 x 250,000 requests an hour = ~139 requests/s), on a mix of series endpoints and
 * ingestion, with Braze's rate limits on. Reports errors, latency and the server's memory over time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, startServerProcess } from '../packages/server/test/cli-process.ts';

const KEY = 'load-key';
const SECONDS = Number(process.env.LOAD_SECONDS ?? 600);
const RATE = Number(process.env.LOAD_RATE ?? (2 * 250_000) / 3600);
const DAY0 = Date.UTC(2024, 0, 1) / 1000;

// DuckDB's memory limit (`serve --memory-limit`): its buffer pool is a cache that fills up to it.
const MEMORY_LIMIT = process.env.LOAD_MEMORY_LIMIT ?? '1GB';

const dir = mkdtempSync(join(tmpdir(), 'brazen-load-'));
const server = await startServerProcess(dir, KEY, ['--memory-limit', MEMORY_LIMIT]);
const auth = { authorization: `Bearer ${KEY}` };
let n = 0;

const series = [
  '/kpi/dau/data_series?length=30', '/kpi/mau/data_series?length=100', '/kpi/new_users/data_series?length=30',
  '/kpi/uninstalls/data_series?length=30', '/sessions/data_series?length=100', '/sessions/data_series?length=48&unit=hour',
  '/events/data_series?length=30&event=Played', '/purchases/revenue_series?length=30', '/purchases/quantity_series?length=30',
  '/campaigns/list', '/canvas/list', '/segments/list', '/feed/list',
];
const mix: Array<() => Promise<Response>> = [
  ...series.map((q) => () => fetch(`${server.url}${q}&ending_at=2024-02-01`.replace('list&', 'list?'), { headers: auth })),
  () => {
    const t = new Date((DAY0 + (n % 30) * 86_400) * 1000).toISOString();
    const id = `load-${n++}`;
    return fetch(`${server.url}/users/track`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        attributes: [{ external_id: id, first_name: 'Load', visits: { inc: 1 } }],
        events: [{ external_id: id, name: 'Played', time: t }],
        purchases: [{ external_id: id, product_id: 'Gem', price: 1.99, currency: 'USD', time: t }],
      }),
    });
  },
  () => {
    const lines = Array.from({ length: 500 }, (_, i) => {
      const k = n++;
      return JSON.stringify({ id: `cur-${k}`, event_type: i % 2 ? 'users.behaviors.app.SessionStart' : 'users.behaviors.CustomEvent', name: 'Played', user_id: `u${k % 20_000}`, time: DAY0 + (k % 2_592_000) });
    });
    return fetch(`${server.url}/currents`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') });
  },
];

// The workspace has data before the clock starts: /events/data_series answers 400 for an event
// name never recorded, as it should.
for (const op of mix.slice(-2)) {
  const res = await op();
  if (res.status !== 201) throw new Error(`priming failed: ${res.status} ${await res.text()}`);
}

const latencies: number[] = [];
const failed = new Map<string, number>();
const statuses = new Map<number, number>();
let failures = 0;
const memory: Array<[number, number]> = [];
const started = performance.now();
const inflight = new Set<Promise<void>>();
const rssOf = async () => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^brazen_process_resident_memory_bytes (\d+)/m.exec(text)?.[1] ?? NaN) / 1024 / 1024;
};

let sent = 0;
while (performance.now() - started < SECONDS * 1000) {
  const due = Math.floor(((performance.now() - started) / 1000) * RATE);
  while (sent < due) {
    const which = sent % mix.length;
    const op = mix[which];
    sent++;
    const t = performance.now();
    const p = op()
      .then(async (res) => {
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 400) {
          failures++;
          const what = `${which < series.length ? series[which] : which === series.length ? '/users/track' : '/currents'} ${res.status}`;
          failed.set(what, (failed.get(what) ?? 0) + 1);
        }
      })
      .catch(() => {
        failures++;
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  const elapsed = Math.floor((performance.now() - started) / 1000);
  if (memory.length === 0 || elapsed - memory[memory.length - 1][0] >= 30) {
    memory.push([elapsed, await rssOf()]);
    process.stdout.write(`  t=${elapsed}s sent=${sent} rss=${memory[memory.length - 1][1].toFixed(0)} MB\n`);
  }
  await new Promise((r) => setTimeout(r, 5));
}
await Promise.all(inflight);
memory.push([SECONDS, await rssOf()]);
server.child.kill('SIGTERM');
await exited(server.child);
rmSync(dir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)].toFixed(1);
const firstAfterWarmup = memory.find(([t]) => t >= Math.min(120, SECONDS / 5)) ?? memory[0];
console.log(`load: ${sent} requests in ${SECONDS} s (${(sent / SECONDS).toFixed(1)}/s), ${failures} errors, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
if (failed.size > 0) console.log(`  failed: ${JSON.stringify(Object.fromEntries(failed))}`);
console.log(`  DuckDB memory limit ${MEMORY_LIMIT}`);
console.log(`  latency p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
console.log(`  server RSS: ${memory.map(([t, m]) => `${t}s ${m.toFixed(0)}MB`).join(', ')}`);
console.log(`  RSS after warm-up ${firstAfterWarmup[1].toFixed(0)} MB -> end ${memory[memory.length - 1][1].toFixed(0)} MB`);
process.exitCode = failures === 0 ? 0 : 1;

/**
 * `npm run crash`: kills a real `brazen serve` with SIGKILL at random moments during sustained
 * /currents ingestion (CRASH_ROUNDS, default 20), then checks the data folder: every acknowledged
 * record is there once, nothing is counted twice, and the rollups agree with the records.
 * CRASH_BATCH sets the records a request (default 2,000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { exited, startServerProcess } from '../packages/server/test/cli-process.ts';

const KEY = 'crash-key';
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 20);
const SENDERS = 3;
/** Records a request (CRASH_BATCH). Groups of 32,768 records or more fill row groups, which
 * DuckDB writes into the data file before the commit instead of into its WAL. */
const BATCH = Number(process.env.CRASH_BATCH ?? 2_000);
const DAY0 = Date.UTC(2024, 0, 1) / 1000;

let seed = 20241122;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

const dir = mkdtempSync(join(tmpdir(), 'brazen-crash-run-'));
const acknowledged = new Set<string>();
let sentBatches = 0;
let next = 0;

for (let round = 1; round <= ROUNDS; round++) {
  const server = await startServerProcess(dir, KEY, ['--no-rate-limits']);
  let alive = true;
  const sender = async () => {
    while (alive) {
      const ids: string[] = [];
      const lines: string[] = [];
      for (let i = 0; i < BATCH; i++) {
        const n = next++;
        ids.push(`c${n}`);
        const type = n % 3 === 0 ? 'users.behaviors.app.SessionStart' : 'users.behaviors.CustomEvent';
        lines.push(JSON.stringify({ id: `c${n}`, event_type: type, name: 'Tick', user_id: `u${n % 5000}`, time: DAY0 + (n % 8_640_000) }));
      }
      sentBatches++;
      try {
        const res = await fetch(`${server.url}/currents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
          body: lines.join('\n'),
        });
        if (res.status === 201) {
          const body = (await res.json()) as { events_processed: number; duplicates: number };
          if (body.events_processed + body.duplicates !== BATCH) throw new Error(`short batch: ${JSON.stringify(body)}`);
          for (const id of ids) acknowledged.add(id);
        }
      } catch (error) {
        if (alive) throw error;
        return; // the server died under this request: it was never acknowledged
      }
    }
  };
  const senders = Array.from({ length: SENDERS }, sender);
  const lifetime = 300 + Math.floor(rand() * 2500);
  await new Promise((r) => setTimeout(r, lifetime));
  alive = false;
  server.child.kill('SIGKILL');
  await exited(server.child);
  await Promise.allSettled(senders);
  process.stdout.write(`round ${round}/${ROUNDS}: killed after ${lifetime} ms, ${acknowledged.size} records acknowledged so far\n`);
}

const instance = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
const conn = await instance.connect();
const [[stored, distinct, customEvents, counted, sessions, sessionCounters]] = (
  await conn.runAndReadAll(`SELECT count(*)::DOUBLE, count(DISTINCT id)::DOUBLE,
      (SELECT count(*) FROM events WHERE category = 'custom_event')::DOUBLE,
      (SELECT coalesce(sum(n), 0) FROM counters WHERE kind = 'custom_event' AND name <> chr(1) AND app_id <> chr(1))::DOUBLE,
      (SELECT count(*) FROM events WHERE category = 'session_start')::DOUBLE,
      (SELECT coalesce(sum(n), 0) FROM counters WHERE kind = 'session' AND name <> chr(1) AND app_id <> chr(1))::DOUBLE
    FROM events`)
).getRows() as number[][];
await conn.run(`CREATE TEMP TABLE acked (id VARCHAR)`);
const app = await conn.createAppender('acked', 'main', 'temp');
for (const id of acknowledged) {
  app.appendVarchar(id);
  app.endRow();
}
app.closeSync();
const [[lost]] = (await conn.runAndReadAll(`SELECT count(*)::DOUBLE FROM acked a ANTI JOIN events e ON e.id = a.id`)).getRows() as number[][];
conn.closeSync();
instance.closeSync();
rmSync(dir, { recursive: true, force: true });

console.log(`crash run: ${ROUNDS} SIGKILLs, ${sentBatches} batches sent, ${acknowledged.size} records acknowledged, ${stored} stored`);
console.log(`  acknowledged but lost: ${lost}`);
console.log(`  stored twice: ${stored - distinct}`);
console.log(`  custom-event counter vs records: ${counted} / ${customEvents}; session counter vs records: ${sessionCounters} / ${sessions}`);
const ok = lost === 0 && stored === distinct && counted === customEvents && sessionCounters === sessions;
console.log(ok ? 'crash run: OK' : 'crash run: FAILED');
process.exitCode = ok ? 0 : 1;

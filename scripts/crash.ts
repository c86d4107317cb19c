/**
 * `npm run crash`: kills a real `brazen serve` with SIGKILL at random moments during sustained
 * /currents and /users/track ingestion (CRASH_ROUNDS, default 20), then checks the data folder:
 * every acknowledged record is there once, nothing is counted twice, and the rollups agree with the
 * records. /users/track is acknowledged before it is applied (track-log.ts), and Currents records
 * before their rollups are made (pending-rollups.ts): what a kill leaves between the two is applied
 * or rolled up when the server starts again, and the check opens the folder only after a last start.
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
/** /users/track events acknowledged, by their `properties.k`. */
const tracked = new Set<string>();
let sentBatches = 0;
let next = 0;
let nextTracked = 0;

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
  const trackSender = async () => {
    while (alive) {
      const keys = Array.from({ length: 75 }, () => `t${nextTracked++}`);
      const time = new Date((DAY0 + (nextTracked % 8_640_000)) * 1000).toISOString();
      const events = keys.map((k, i) => ({ external_id: `tu${(nextTracked + i) % 3000}`, name: 'Tracked', time, properties: { k } }));
      sentBatches++;
      try {
        const res = await fetch(`${server.url}/users/track`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        });
        if (res.status === 201) {
          const body = (await res.json()) as { events_processed?: number };
          if (body.events_processed !== events.length) throw new Error(`short /users/track: ${JSON.stringify(body)}`);
          for (const k of keys) tracked.add(k);
        }
      } catch (error) {
        if (alive) throw error;
        return;
      }
    }
  };
  const senders = [...Array.from({ length: SENDERS }, sender), trackSender(), trackSender()];
  const lifetime = 300 + Math.floor(rand() * 2500);
  await new Promise((r) => setTimeout(r, lifetime));
  alive = false;
  server.child.kill('SIGKILL');
  await exited(server.child);
  await Promise.allSettled(senders);
  process.stdout.write(`round ${round}/${ROUNDS}: killed after ${lifetime} ms, ${acknowledged.size} records and ${tracked.size} /users/track events acknowledged so far\n`);
}
// Currents groups acknowledged whose rollups were not made when the server was last killed (rolled
// up when the store opens next: every round's start did it for the round before).
const pendingAtLastKill = await (async () => {
  const instance = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
  const conn = await instance.connect();
  const [[n]] = (await conn.runAndReadAll(`SELECT count(*)::DOUBLE FROM pending_rollups`)).getRows() as number[][];
  conn.closeSync();
  instance.closeSync();
  return n;
})();
// A last start applies what the last kill left in the /users/track log, and rolls up those groups.
const last = await startServerProcess(dir, KEY, ['--no-rate-limits']);
last.child.kill('SIGTERM');
await exited(last.child);

const instance = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
const conn = await instance.connect();
const [[pendingAfter]] = (await conn.runAndReadAll(`SELECT count(*)::DOUBLE FROM pending_rollups`)).getRows() as number[][];
const [[stored, distinct, customEvents, counted, sessions, sessionCounters]] = (
  await conn.runAndReadAll(`SELECT count(*)::DOUBLE, count(DISTINCT id)::DOUBLE,
      (SELECT count(*) FROM events WHERE category = 'custom_event')::DOUBLE,
      (SELECT coalesce(sum(n), 0) FROM counters WHERE kind = 'custom_event' AND name <> chr(1) AND app_id <> chr(1))::DOUBLE,
      (SELECT count(*) FROM events WHERE category = 'session_start')::DOUBLE,
      (SELECT coalesce(sum(n), 0) FROM counters WHERE kind = 'session' AND name <> chr(1) AND app_id <> chr(1))::DOUBLE
    FROM events`)
).getRows() as number[][];
/** A temp table of one text column holding `values`. */
async function tempTable(name: string, column: string, values: Iterable<string>): Promise<void> {
  await conn.run(`CREATE TEMP TABLE ${name} (${column} VARCHAR)`);
  const app = await conn.createAppender(name, 'main', 'temp');
  for (const v of values) {
    app.appendVarchar(v);
    app.endRow();
  }
  app.closeSync();
}
await tempTable('acked', 'id', acknowledged);
const [[lost]] = (await conn.runAndReadAll(`SELECT count(*)::DOUBLE FROM acked a ANTI JOIN events e ON e.id = a.id`)).getRows() as number[][];
await tempTable('tracked_acked', 'k', tracked);
await conn.run(`CREATE TEMP TABLE tracked_stored AS SELECT payload->'properties'->>'k' AS k FROM events WHERE name = 'Tracked'`);
const [[trackLost, trackStored, trackDistinct]] = (await conn.runAndReadAll(`SELECT
    (SELECT count(*) FROM tracked_acked a ANTI JOIN tracked_stored s USING (k))::DOUBLE,
    (SELECT count(*) FROM tracked_stored)::DOUBLE, (SELECT count(DISTINCT k) FROM tracked_stored)::DOUBLE`)).getRows() as number[][];
conn.closeSync();
instance.closeSync();
rmSync(dir, { recursive: true, force: true });

console.log(`crash run: ${ROUNDS} SIGKILLs, ${sentBatches} batches sent, ${acknowledged.size} records acknowledged, ${stored} stored`);
console.log(`  acknowledged but lost: ${lost}`);
console.log(`  stored twice: ${stored - distinct}`);
console.log(`  Currents groups acknowledged, not rolled up yet at the last kill: ${pendingAtLastKill} (after the last start: ${pendingAfter} left)`);
console.log(`/users/track: ${tracked.size} events acknowledged, ${trackStored} stored; acknowledged but lost: ${trackLost}; stored twice: ${trackStored - trackDistinct}`);
console.log(`  custom-event counter vs records: ${counted} / ${customEvents}; session counter vs records: ${sessionCounters} / ${sessions}`);
const ok = lost === 0 && stored === distinct && trackLost === 0 && trackStored === trackDistinct && counted === customEvents && sessionCounters === sessions
  && pendingAfter === 0;
console.log(ok ? 'crash run: OK' : 'crash run: FAILED');
process.exitCode = ok ? 0 : 1;

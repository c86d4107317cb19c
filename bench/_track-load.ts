/**
 * /users/track as Braze's customers send it: CLIENTS senders at once, each request 75 objects
 * (attributes, events and purchases mixed), half of the users new and half already known (named by
 * the external ids of the Currents records stored before, or by earlier requests of this run).
 */
import { writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { normalizeTrack } from '../packages/server/src/ingest/track.ts';
import { DAY, DAYS, EVENT_NAMES, PRODUCTS, START } from './_currents-data.ts';
import { post } from './_http.ts';
import { prng } from './_lib.ts';

export interface TrackLoad {
  requests: number;
  objects: number;
  /** Events and purchases among the objects. */
  records: number;
  /** performance.now() when the first request was sent. */
  started: number;
  /** Until the last acknowledgement. */
  seconds: number;
  /** Per request, milliseconds, sorted. */
  latencies: number[];
}

const COUNTRIES = ['US', 'FR', 'DE', 'BR', 'JP', 'IN'];

/** One request's body: 75 objects, each an attribute update (40%), an event (40%) or a purchase (20%). */
function trackBody(rand: () => number, request: number, knownUsers: number, newUsers: { next: number }): string {
  const attributes: unknown[] = [];
  const events: unknown[] = [];
  const purchases: unknown[] = [];
  const time = new Date((START + (request % DAYS) * DAY + Math.floor(rand() * DAY)) * 1000).toISOString();
  for (let i = 0; i < 75; i++) {
    const external_id = rand() < 0.5 ? `track-new-${newUsers.next++}` : `x${Math.floor(rand() * knownUsers)}`;
    const r = rand();
    if (r < 0.4) {
      attributes.push({
        external_id, first_name: `N${i}`, country: COUNTRIES[i % COUNTRIES.length], visits: { inc: 1 },
        ...(rand() < 0.3 ? { email: `${external_id}@example.com` } : {}),
        ...(rand() < 0.2 ? { tags: { add: [`t${i % 7}`] } } : {}),
      });
    } else if (r < 0.8) {
      events.push({ external_id, name: EVENT_NAMES[i % EVENT_NAMES.length], time, properties: { i, level: request % 50 } });
    } else {
      purchases.push({ external_id, product_id: PRODUCTS[i % PRODUCTS.length], price: 1.5 + (i % 10), quantity: 1 + (i % 3), currency: 'USD', time });
    }
  }
  return JSON.stringify({ attributes, events, purchases });
}

/** The bodies of `requests` requests; `knownUsers`: external ids x0.. already stored. */
export function trackBodies(requests: number, knownUsers: number): string[] {
  const rand = prng(7);
  const newUsers = { next: 0 };
  return Array.from({ length: requests }, (_, r) => trackBody(rand, r, knownUsers, newUsers));
}

/**
 * Sends the bodies from `clients` senders at once, each on a connection kept alive. Through
 * node:http, not fetch: the senders stand for the customers' machines, and in this process fetch
 * (undici) cost 2.2-2.5 s of CPU per 100k objects with Fastify answering at once and doing
 * nothing, capping that at ~16,000 objects/s on this machine, where node:http cost 1.0 s and
 * reached ~46,600/s (same hour, load 6).
 */
export async function trackLoad(base: string, auth: Record<string, string>, bodies: string[], clients: number): Promise<TrackLoad> {
  const latencies: number[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const url = new URL(`${base}/users/track`);
  const headers = { ...auth, 'content-type': 'application/json' };
  let next = 0;
  const started = performance.now();
  const client = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const t = performance.now();
      const { status, text } = await post(agent, url, headers, body);
      if (status !== 201 || text.includes('"errors"')) throw new Error(`track failed: ${status} ${text.slice(0, 300)}`);
      latencies.push(performance.now() - t);
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, client));
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  const records = bodies.reduce((sum, b) => {
    const o = JSON.parse(b) as { events: unknown[]; purchases: unknown[] };
    return sum + o.events.length + o.purchases.length;
  }, 0);
  return { requests: bodies.length, objects: bodies.length * 75, records, started, seconds, latencies: latencies.sort((a, b) => a - b) };
}

/** JavaScript's work on a request before the store sees it (JSON.parse of the body, then checking and
 * normalising it as the route does), alone on one thread: milliseconds of CPU per 100k objects. */
export function requestWork(bodies: string[]): { parse: number; normalize: number } {
  const options = { now: START + DAYS * DAY, zone: 'UTC', currencies: new Set(['USD']) };
  let cpu = process.cpuUsage();
  const parsed = bodies.map((b) => JSON.parse(b) as unknown);
  const parse = process.cpuUsage(cpu);
  cpu = process.cpuUsage();
  for (const body of parsed) normalizeTrack(body, options);
  const normalize = process.cpuUsage(cpu);
  const per = 100_000 / (bodies.length * 75) / 1000;
  return { parse: (parse.user + parse.system) * per, normalize: (normalize.user + normalize.system) * per };
}

/**
 * DuckDB alone storing the same objects (the limit): the bodies as one NDJSON file, read with typed
 * columns, their events and purchases inserted as rows of a table shaped like brazen's `events`
 * (typed columns and the whole object), and every attribute value as a row (user, name, value),
 * then a CHECKPOINT. Seconds and CPU seconds (every thread of the process).
 */
export async function duckdbAloneTrack(dir: string, bodies: string[]): Promise<{ seconds: number; cpuSeconds: number; rows: number }> {
  const file = join(dir, 'track-bodies.ndjson');
  writeFileSync(file, bodies.join('\n'));
  const path = join(dir, 'track-alone.duckdb');
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  const started = performance.now();
  const cpu = process.cpuUsage();
  await conn.run(`CREATE TABLE bodies AS SELECT * FROM read_ndjson('${file}', columns = {attributes: 'JSON[]', events: 'JSON[]', purchases: 'JSON[]'})`);
  await conn.run(`CREATE TABLE events AS
    SELECT gen_random_uuid()::VARCHAR AS id, e->>'external_id' AS external_id, coalesce(e->>'name', e->>'product_id') AS name,
           epoch(strptime(e->>'time', '%Y-%m-%dT%H:%M:%S.%gZ')) AS time, (e->>'price')::DOUBLE AS price, e->>'currency' AS currency,
           (e->>'quantity')::INTEGER AS quantity, e AS payload
    FROM (SELECT unnest(list_concat(events, purchases)) AS e FROM bodies)`);
  await conn.run(`CREATE TABLE attributes AS
    SELECT a->>'external_id' AS external_id, k AS name, a->k AS value
    FROM (SELECT unnest(attributes) AS a FROM bodies), unnest(json_keys(a)) AS t(k) WHERE k <> 'external_id'`);
  await conn.run('CHECKPOINT');
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const n = Number((await conn.runAndReadAll(`SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM attributes)`)).getRows()[0][0]);
  conn.closeSync();
  instance.closeSync();
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, rows: n };
}

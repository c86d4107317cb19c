/**
 * Currents from where Braze delivers them (issue 23).
 *
 * 1. `brazen import currents`: N Avro files as a Currents integration writes them (one event type and
 *    hour each, BENCH_IMPORT_FILE_EVENTS records, Braze's write threshold of 15,000 by default; null,
 *    deflate and snappy in turn), imported from a local S3 server (s3rver, in this process) and, in
 *    the same run, the same files from local disk: events/s of each, each `brazen import` a process
 *    of its own on a fresh data folder.
 * 2. The Custom Currents connector: `brazen serve` in its own process fed BENCH_CONNECTOR_EVENTS
 *    events in batches of 100 by BENCH_SENDERS concurrent senders (`POST /currents/connector`), beside
 *    the same events as NDJSON in batches of 100 to `POST /currents` of another fresh server.
 *
 * BENCH_IMPORT_FILES (default 40) sets N. Data goes to bench/.data/currents-import/.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { encodeAvro, type AvroCodec } from '../packages/cli/test/avro-files.ts';
import { BIN } from '../packages/cli/test/run-cli.ts';
import { currentsKey, startS3 } from '../packages/cli/test/s3-bucket.ts';
import { exited, startServerProcess } from '../packages/server/test/cli-process.ts';
import { envNumber, fmt, freshDir, prng } from './_lib.ts';

const KEY = 'bench-key';
const BUCKET = 'currents-bench';
const START = Date.UTC(2024, 0, 1) / 1000;
const USERS = 50_000;
const CODECS: AvroCodec[] = ['null', 'deflate', 'snappy'];

/** The event types of the Avro schemas at hand, with how often each occurs. */
const MIX: Array<[string, number]> = [
  ['users.behaviors.app.SessionStart', 0.3], ['users.behaviors.CustomEvent', 0.35], ['users.messages.email.Send', 0.15],
  ['users.messages.email.Open', 0.1], ['users.messages.pushnotification.Send', 0.07], ['users.behaviors.Purchase', 0.03],
];

/** A flat Currents record of `eventType` (its storage form) and the same event as the connector posts it. */
function event(eventType: string, n: number, time: number, u: number, rand: () => number) {
  const user = { user_id: `u${u}`, external_user_id: `x${u}` };
  const campaign = { campaign_id: `camp_${u % 10}`, message_variation_id: `var_${u % 2}` };
  let fields: Record<string, unknown>;
  let own: [string, object] | undefined;
  switch (eventType) {
    case 'users.behaviors.app.SessionStart': fields = { app_id: 'app_ios', session_id: `s${n}`, platform: 'ios' }; break;
    case 'users.behaviors.CustomEvent': fields = { app_id: 'app_ios', name: `event_${n % 20}` }; own = ['custom_properties', { level: u % 50 }]; break;
    case 'users.behaviors.Purchase': fields = { app_id: 'app_ios', product_id: `product_${n % 50}`, price: 1 + Math.floor(rand() * 2000) / 100, currency: 'USD' }; own = ['purchase_properties', {}]; break;
    case 'users.messages.pushnotification.Send': fields = { app_id: 'app_ios', platform: 'ios', ...campaign }; break;
    default: fields = { email_address: `u${u}@example.com`, ...campaign };
  }
  const id = `ev-${n}`;
  return {
    flat: { id, time, ...user, ...fields, ...(own ? { properties: JSON.stringify(own[1]) } : {}) },
    nested: { event_type: eventType, id, time, user, properties: { ...fields, ...(own ? { [own[0]]: own[1] } : {}) } },
  };
}

interface BenchFile {
  key: string;
  body: Buffer;
  records: number;
}

/** `files` objects of `perFile` records each, an event type and an hour each, time-ordered. */
async function currentsFiles(files: number, perFile: number): Promise<BenchFile[]> {
  const rand = prng(7);
  const out: BenchFile[] = [];
  for (let f = 0; f < files; f++) {
    const [eventType] = MIX[f % MIX.length];
    const hour = new Date((START + Math.floor(f / MIX.length) * 3600) * 1000).toISOString().slice(0, 13).replace('T', '-');
    const records = Array.from({ length: perFile }, (_, i) => {
      const n = f * perFile + i;
      return event(eventType, n, START + Math.floor(f / MIX.length) * 3600 + Math.floor((i / perFile) * 3600), Math.floor(rand() * USERS), rand).flat;
    });
    out.push({ key: currentsKey('currents', eventType, hour, f), body: await encodeAvro(eventType, records, CODECS[f % CODECS.length]), records: perFile });
  }
  return out;
}

/** Runs `brazen ARGS...` to its end; the wall-clock seconds it took. */
function timeCli(args: string[], env: Record<string, string> = {}): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`brazen ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

/** Events/s of `bodies` POSTed to `url` by `senders` at once, each body until it is acknowledged. */
async function send(url: string, bodies: string[], contentType: string, senders: number, events: number): Promise<{ rate: number; retried: number }> {
  let next = 0;
  let retried = 0;
  const started = performance.now();
  const sender = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      for (;;) {
        const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': contentType }, body });
        await res.arrayBuffer();
        if (res.status === 201) break;
        if (res.status !== 429 && res.status !== 503) throw new Error(`${url} answered ${res.status}`);
        retried += 1;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: senders }, sender));
  return { rate: events / ((performance.now() - started) / 1000), retried };
}

export async function run(): Promise<void> {
  const files = envNumber('BENCH_IMPORT_FILES', 40);
  const perFile = envNumber('BENCH_IMPORT_FILE_EVENTS', 15_000);
  const connectorEvents = envNumber('BENCH_CONNECTOR_EVENTS', 50_000);
  const senders = envNumber('BENCH_SENDERS', 4);
  const root = freshDir('currents-import');
  console.log(`load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);

  // ---- 1. bucket and disk
  const made = performance.now();
  const objects = await currentsFiles(files, perFile);
  const total = objects.reduce((n, o) => n + o.records, 0);
  const bytes = objects.reduce((n, o) => n + o.body.length, 0);
  const local = join(root, 'files');
  for (const o of objects) {
    mkdirSync(dirname(join(local, o.key)), { recursive: true });
    writeFileSync(join(local, o.key), o.body);
  }
  const s3 = await startS3(BUCKET);
  try {
    for (const o of objects) await s3.put(o.key, o.body);
    console.log(`${files} Avro files of ${fmt(perFile)} records (${fmt(total)} records, ${fmt(bytes / 1e6, 1)} MB), written to disk and to s3rver in ${fmt((performance.now() - made) / 1000, 1)} s`);
    const fromDisk = await timeCli(['import', 'currents', join(local, 'currents'), '--data', join(root, 'disk')]);
    const fromS3 = await timeCli(['import', 'currents', `s3://${BUCKET}/currents`, '--s3-endpoint', s3.endpoint, '--data', join(root, 's3')], s3.env);
    console.log(`brazen import currents, ${fmt(total)} records, each a process on a fresh data folder:`);
    console.log(`  from local disk        ${fmt(total / fromDisk).padStart(9)} events/s  (${fmt(fromDisk, 1)} s)`);
    console.log(`  from S3 (s3rver)       ${fmt(total / fromS3).padStart(9)} events/s  (${fmt(fromS3, 1)} s)`);
  } finally {
    await s3.close();
  }

  // ---- 2. the connector, beside /currents, batches of 100
  const rand = prng(11);
  const events = Array.from({ length: connectorEvents }, (_, n) => {
    const [eventType] = MIX[n % MIX.length];
    return { eventType, ...event(eventType, n, START + Math.floor((n / connectorEvents) * 14 * 86_400), Math.floor(rand() * USERS), rand) };
  });
  const batches = (make: (slice: typeof events) => string) => Array.from({ length: Math.ceil(events.length / 100) }, (_, b) => make(events.slice(b * 100, b * 100 + 100)));
  const runs: Array<[string, string, string[], string]> = [
    ['POST /currents/connector', '/currents/connector', batches((s) => JSON.stringify({ events: s.map((e) => e.nested) })), 'application/json'],
    ['POST /currents (NDJSON)', '/currents', batches((s) => s.map((e) => JSON.stringify({ event_type: e.eventType, ...e.flat })).join('\n')), 'application/x-ndjson'],
  ];
  console.log(`${fmt(connectorEvents)} events in batches of 100 from ${senders} senders at once, \`brazen serve\` in its own process on a fresh data folder:`);
  for (const [label, path, bodies, type] of runs) {
    const server = await startServerProcess(freshDir(`currents-import/serve-${path.replaceAll('/', '')}`), KEY, ['--no-rate-limits']);
    try {
      const { rate, retried } = await send(`${server.url}${path}`, bodies, type, senders, connectorEvents);
      console.log(`  ${label.padEnd(26)} ${fmt(rate).padStart(7)} events/s${retried > 0 ? ` (${retried} batches sent again after a 429/503)` : ''}`);
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '@brazen/store';
import { startHarness } from '../../server/test/harness.ts';
import { exited, startServerProcess } from '../../server/test/cli-process.ts';
import { encodeAvro, type AvroCodec } from './avro-files.ts';
import { BIN, runCli } from './run-cli.ts';
import { currentsKey, startS3 } from './s3-bucket.ts';

const BUCKET = 'currents-bucket';
const KEY = 'import-s3-test-key';
const at = (iso: string) => Date.parse(`${iso}Z`) / 1000;
const brazeId = (i: number) => `5f00000000000000000000${String(i).padStart(2, '0')}`;

const session = (i: number, time: string) => ({
  id: `session-${i}-${time}`, user_id: brazeId(i), external_user_id: `user-${i}`, app_id: 'app-ios', time: at(time), session_id: `s-${i}-${time}`, platform: 'ios',
});
const played = (i: number, time: string) => ({ id: `played-${i}-${time}`, user_id: brazeId(i), time: at(time), name: 'played', properties: '{"level":3}' });
const purchase = (i: number, time: string, price: number) => ({ id: `purchase-${i}-${time}`, user_id: brazeId(i), time: at(time), product_id: 'gems', price, currency: 'USD', properties: '{}' });
const email = (what: string, i: number, time: string) => ({
  id: `email-${what}-${i}-${time}`, user_id: brazeId(i), time: at(time), email_address: `user-${i}@example.com`, campaign_id: 'cmp-1', message_variation_id: 'var-1', send_id: null,
});
const push = (i: number, time: string) => ({ id: `push-${i}-${time}`, user_id: brazeId(i), app_id: 'app-android', time: at(time), platform: 'android', campaign_id: 'cmp-2', message_variation_id: 'var-2' });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

interface CurrentsObject {
  eventType: string;
  hour: string;
  offset: number;
  codec: AvroCodec;
  records: Array<Record<string, unknown>>;
  schema?: number;
}

/**
 * Three days of a workspace as Currents writes it: one object per event type and hour, in each codec
 * Currents uses. Figures by day (Mar 1, 2, 3):
 * - sessions 6+2, 7, 2 = [8, 7, 2]; DAU [6, 7, 2]: users 0-5 (0 and 1 twice) on the 1st, 3-9 on the 2nd, 0 and 9 on the 3rd;
 *   new users [6, 4, 0] (6-9 are new on the 2nd); MAU [6, 10, 10].
 * - played [5, 3, 0]; revenue [0, 12.50 + 20.25, 4.99]; campaign cmp-1 (email): sent [6, 0, 0], opens [3, 2, 0],
 *   unique opens [3, 2, 0] (user 0 opens on both days).
 */
const OBJECTS: CurrentsObject[] = [
  { eventType: 'users.messages.email.Send', hour: '2024-03-01-09', offset: 0, codec: 'deflate', records: range(0, 5).map((i) => email('send', i, '2024-03-01T09:30:00')) },
  { eventType: 'users.behaviors.app.SessionStart', hour: '2024-03-01-10', offset: 0, codec: 'deflate', records: range(0, 5).map((i) => session(i, `2024-03-01T10:0${i}:00`)) },
  { eventType: 'users.behaviors.CustomEvent', hour: '2024-03-01-11', offset: 0, codec: 'snappy', records: range(0, 4).map((i) => played(i, '2024-03-01T11:00:00')) },
  { eventType: 'users.messages.email.Open', hour: '2024-03-01-12', offset: 0, codec: 'null', records: range(0, 2).map((i) => email('open', i, '2024-03-01T12:00:00')) },
  { eventType: 'users.behaviors.app.SessionStart', hour: '2024-03-01-15', offset: 6, codec: 'snappy', records: [session(0, '2024-03-01T15:00:00'), session(1, '2024-03-01T15:30:00')] },
  { eventType: 'users.messages.email.Open', hour: '2024-03-02-08', offset: 3, codec: 'snappy', records: [email('open', 0, '2024-03-02T08:00:00'), email('open', 3, '2024-03-02T08:10:00')] },
  { eventType: 'users.behaviors.app.SessionStart', hour: '2024-03-02-09', offset: 8, codec: 'null', records: range(3, 9).map((i) => session(i, '2024-03-02T09:00:00')) },
  { eventType: 'users.messages.pushnotification.Send', hour: '2024-03-02-10', offset: 0, codec: 'deflate', records: range(6, 8).map((i) => push(i, '2024-03-02T10:00:00')) },
  { eventType: 'users.behaviors.Purchase', hour: '2024-03-02-13', offset: 0, codec: 'deflate', records: [purchase(1, '2024-03-02T13:00:00', 12.5), purchase(2, '2024-03-02T13:05:00', 20.25)] },
  { eventType: 'users.behaviors.CustomEvent', hour: '2024-03-02-20', offset: 5, codec: 'null', records: range(7, 9).map((i) => played(i, '2024-03-02T20:00:00')) },
  { eventType: 'users.behaviors.Purchase', hour: '2024-03-03-08', offset: 2, codec: 'snappy', records: [purchase(3, '2024-03-03T08:00:00', 4.99)] },
  // A newer schema version writes under its own schema-id folder.
  { eventType: 'users.behaviors.app.SessionStart', hour: '2024-03-03-12', offset: 15, codec: 'deflate', schema: 2, records: [session(0, '2024-03-03T12:00:00'), session(9, '2024-03-03T12:30:00')] },
];
const RECORDS = OBJECTS.reduce((n, o) => n + o.records.length, 0); // 42

const WORKSPACE = {
  campaigns: [{ id: 'cmp-1', name: 'Welcome', messages: { 'var-1': { channel: 'email', name: 'Email' } } }],
};

async function putObjects(s3: Awaited<ReturnType<typeof startS3>>, prefix: string, objects: CurrentsObject[]): Promise<void> {
  for (const o of objects) {
    await s3.put(currentsKey(prefix, o.eventType, o.hour, o.offset, { schema: o.schema }), await encodeAvro(o.eventType, o.records, o.codec));
  }
}

/** The figures of the store in `dir`, read through the API. */
async function figures(dir: string) {
  const h = await startHarness({ dataDir: dir, now: Date.UTC(2024, 2, 4) });
  try {
    const put = await h.put('/admin/workspace', WORKSPACE);
    expect(put.statusCode, put.body).toBe(200);
    const q = { length: 3, ending_at: '2024-03-03' };
    const series = async (path: string, field: string, query: Record<string, string | number> = {}) => {
      const res = await h.get(path, { ...q, ...query });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { data: Array<Record<string, number>> }).data.map((d) => d[field]);
    };
    const campaign = (await h.get('/campaigns/data_series', { ...q, campaign_id: 'cmp-1' })).json() as {
      data: Array<{ messages: { email: Array<{ sent: number; opens: number; unique_opens: number }> } }>;
    };
    return {
      events: await h.data.recordCount(),
      sessions: await series('/sessions/data_series', 'sessions'),
      dau: await series('/kpi/dau/data_series', 'dau'),
      newUsers: await series('/kpi/new_users/data_series', 'new_users'),
      mau: await series('/kpi/mau/data_series', 'mau'),
      played: await series('/events/data_series', 'count', { event: 'played' }),
      revenue: await series('/purchases/revenue_series', 'revenue'),
      email: campaign.data.map((d) => d.messages.email[0]).map((e) => [e.sent, e.opens, e.unique_opens]),
    };
  } finally {
    await h.close();
  }
}

const EXPECTED = {
  events: RECORDS,
  sessions: [8, 7, 2],
  dau: [6, 7, 2],
  newUsers: [6, 4, 0],
  mau: [6, 10, 10],
  played: [5, 3, 0],
  revenue: [0, 32.75, 4.99],
  email: [[6, 3, 3], [0, 2, 2], [0, 0, 0]],
};

/** Every id the events table holds, with how many rows each has. */
async function storedIds(dir: string): Promise<Map<string, number>> {
  const db = await DuckDBInstance.create(join(dir, 'brazen.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll('SELECT id, count(*)::INTEGER AS n FROM events GROUP BY id');
    return new Map(reader.getRowObjectsJS().map((r) => [String(r.id), Number(r.n)]));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** `brazen ARGS...` as a child process whose output the test reads as it comes. */
function startCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: tmpdir(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ test: () => boolean; done: () => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.test()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); check(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); check(); });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Resolves once the output satisfies `test`. */
    until: (test: (out: { stdout: string; stderr: string }) => boolean, what: string, ms = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}:\n${stdout}\n${stderr}`)), ms);
        const w = { test: () => test({ stdout, stderr }), done: () => { clearTimeout(timer); resolve(); } };
        if (w.test()) w.done();
        else waiters.push(w);
      }),
  };
}

const importedLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('imported s3://'));

describe('brazen import currents from an S3 bucket laid out as Currents writes it', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  const dir = mkdtempSync(join(tmpdir(), 'brazen-import-s3-'));

  beforeAll(async () => {
    s3 = await startS3(BUCKET);
    await putObjects(s3, 'currents', OBJECTS);
    // Not Currents files, or not under the prefix: left alone.
    await s3.put('currents/README.txt', 'not a Currents file');
    await putObjects(s3, 'currents-old', OBJECTS.slice(0, 1));
  }, 60_000);
  afterAll(async () => {
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says what is wrong with a bucket source, a --follow without one, a bucket through --url, or a --follow-currents that is no bucket (exit 2)', async () => {
    const cases: Array<[string[], string]> = [
      [['import', 'currents', 's3://', '--data', dir], 's3://: not a bucket URL (expected s3://BUCKET or s3://BUCKET/PREFIX)'],
      [['import', 'currents', dir, '--follow', '--data', dir], '--follow watches buckets: name one as s3://BUCKET/PREFIX'],
      [['import', 'currents', `s3://${BUCKET}/currents`, '--url', 'http://127.0.0.1:9', '--key', 'k'], 'an import from a bucket keeps its ledger in the store'],
      [['import', 'currents', `s3://${BUCKET}/currents`, '--poll-interval', '0', '--data', dir], "option '--poll-interval <seconds>' argument '0' is invalid"],
      [['serve', '--follow-currents', 'https://example.com/currents', '--data', dir], 'https://example.com/currents: not a bucket URL'],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args, s3.env);
      expect([args.join(' '), run.code]).toEqual([args.join(' '), 2]);
      expect(run.stderr).toContain(message);
    }
  });

  it('imports every object once, with the figures of its records; a second import finds nothing new', async () => {
    const data = join(dir, 'full');
    const source = `s3://${BUCKET}/currents`;
    const first = await runCli(['import', 'currents', source, '--s3-endpoint', s3.endpoint, '--data', data], s3.env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Imported 12 object(s) of ${source} (0 imported before), ${RECORDS} records: ${RECORDS} stored, 0 already stored, 0 rejected.`);
    expect(first.stderr).toContain('import 12 object(s)');
    expect(await figures(data)).toEqual(EXPECTED);

    const second = await runCli(['import', 'currents', source, '--s3-endpoint', s3.endpoint, '--data', data], s3.env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`Imported 0 object(s) of ${source} (12 imported before), 0 records: 0 stored, 0 already stored, 0 rejected.`);

    const store = await DuckDbStore.open({ dataDir: data });
    try {
      const ledger = await store.importedObjects(source);
      expect(ledger.map((o) => o.url).sort()).toEqual(OBJECTS.map((o) => `s3://${BUCKET}/${currentsKey('currents', o.eventType, o.hour, o.offset, { schema: o.schema })}`).sort());
      expect(ledger.reduce((n, o) => n + o.records, 0)).toBe(RECORDS);
      expect(ledger.every((o) => /^[0-9a-f]{32}$/.test(o.etag))).toBe(true);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('with --follow, imports an object written after it started, and a rewritten object again, each once', async () => {
    const data = join(dir, 'follow');
    const prefix = 'follow';
    await putObjects(s3, prefix, OBJECTS);
    const cli = startCli(['import', 'currents', `s3://${BUCKET}/${prefix}`, '--s3-endpoint', s3.endpoint, '--data', data, '--follow', '--poll-interval', '1'], s3.env);
    await cli.until(({ stdout }) => importedLines(stdout).length === 12, 'the first 12 objects');

    // Three more session starts on Mar 3 (users 5-7), in an object written now.
    const late: CurrentsObject = {
      eventType: 'users.behaviors.app.SessionStart', hour: '2024-03-03-13', offset: 17, codec: 'snappy', records: range(5, 7).map((i) => session(i, '2024-03-03T13:00:00')),
    };
    await putObjects(s3, prefix, [late]);
    const lateKey = currentsKey(prefix, late.eventType, late.hour, late.offset);
    await cli.until(({ stdout }) => stdout.includes(`imported s3://${BUCKET}/${lateKey}: 3 records: 3 stored`), 'the object written after start');

    // The same key written again with one more record: a new ETag, so imported again; only the new record is stored.
    const rewritten = { ...late, records: [...late.records, session(8, '2024-03-03T13:30:00')] };
    await putObjects(s3, prefix, [rewritten]);
    await cli.until(({ stdout }) => stdout.includes(`imported s3://${BUCKET}/${lateKey}: 4 records: 1 stored, 3 already stored`), 'the rewritten object');

    // Two more listings find nothing new.
    const lines = importedLines(cli.stdout()).length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(importedLines(cli.stdout()).length).toBe(lines);
    expect(lines).toBe(14);

    cli.child.kill('SIGTERM');
    expect(await exited(cli.child)).toBe(0);
    expect(await figures(data)).toEqual({ ...EXPECTED, events: RECORDS + 4, sessions: [8, 7, 6], dau: [6, 7, 6] });
  }, 120_000);

  it('after a SIGKILL in the middle of an object, a new import stores every record exactly once', async () => {
    const data = join(dir, 'kill');
    const prefix = 'kill';
    // The first object (the earliest hour) is big enough to be cut: 120,000 session starts of 1,000 users.
    const big: CurrentsObject = {
      eventType: 'users.behaviors.app.SessionStart', hour: '2024-03-01-00', offset: 0, codec: 'deflate',
      records: Array.from({ length: 120_000 }, (_, k) => ({ ...session(k % 1000, '2024-03-01T00:00:00'), id: `big-${k}`, time: at('2024-03-01T00:00:00') + Math.floor(k / 2) })),
    };
    const objects = [big, ...OBJECTS];
    await putObjects(s3, prefix, objects);
    const source = `s3://${BUCKET}/${prefix}`;
    const args = ['import', 'currents', source, '--s3-endpoint', s3.endpoint, '--data', data, '--batch', '4000'];

    const cli = startCli(args, s3.env);
    // The progress line counts records stored: kill once some of the big object's are.
    await cli.until(({ stderr }) => /, [1-9]\d* records/.test(stderr), 'a first stored batch');
    cli.child.kill('SIGKILL');
    await exited(cli.child);

    const cut = await storedIds(data);
    expect(cut.size).toBeGreaterThan(0);
    expect(cut.size).toBeLessThan(big.records.length);
    const store = await DuckDbStore.open({ dataDir: data });
    expect(await store.importedObjects(source)).toEqual([]);
    await store.close();

    const again = await runCli(args, s3.env);
    expect(again.code, again.stderr).toBe(0);
    const total = big.records.length + RECORDS;
    expect(again.stdout).toContain(`Imported 13 object(s) of ${source} (0 imported before), ${total} records: ${total - cut.size} stored, ${cut.size} already stored, 0 rejected.`);

    const ids = await storedIds(data);
    expect(ids.size).toBe(total);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect([...ids.keys()].sort()).toEqual(objects.flatMap((o) => o.records.map((r) => String(r.id))).sort());
  }, 180_000);

  it('brazen serve --follow-currents imports the bucket inside the server, and stops with it', async () => {
    const data = join(dir, 'serve');
    const prefix = 'serve';
    await putObjects(s3, prefix, OBJECTS);
    let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    const sessions = async () => {
      const res = await fetch(`${server!.url}/sessions/data_series?length=3&ending_at=2024-03-03`, { headers: { authorization: `Bearer ${KEY}` } });
      return ((await res.json()) as { data: Array<{ sessions: number }> }).data.map((d) => d.sessions);
    };
    const eventually = async (want: number[]) => {
      for (let i = 0; i < 120 && JSON.stringify(await sessions()) !== JSON.stringify(want); i++) await new Promise((r) => setTimeout(r, 250));
      expect(await sessions()).toEqual(want);
    };
    server = await startServerProcess(data, KEY, ['--follow-currents', `s3://${BUCKET}/${prefix}`, '--s3-endpoint', s3.endpoint, '--poll-interval', '1'], s3.env);
    await eventually([8, 7, 2]);
    await putObjects(s3, prefix, [{ eventType: 'users.behaviors.app.SessionStart', hour: '2024-03-03-14', offset: 20, codec: 'null', records: [session(4, '2024-03-03T14:00:00')] }]);
    await eventually([8, 7, 3]);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain(`brazen_ingested_records_total{endpoint="follow-currents"} ${RECORDS + 1}`);
    server.child.kill('SIGTERM');
    expect(await exited(server.child), server.output()).toBe(0);
    const store = await DuckDbStore.open({ dataDir: data });
    expect((await store.importedObjects(`s3://${BUCKET}/${prefix}`)).length).toBe(13);
    expect(await store.recordCount()).toBe(RECORDS + 1);
    await store.close();
  }, 120_000);
});

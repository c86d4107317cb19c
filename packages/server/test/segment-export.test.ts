import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { FastifyInstance } from 'fastify';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { openTestStore, serveStoreArgs } from './test-store.ts';
import { buildApp, hashKey } from '@brazen/server';
import { exited, startServerProcess } from './cli-process.ts';

const KEY = 'export-test-key';
const NOW = Date.UTC(2024, 2, 31, 12); // object prefixes end with 1711886400
const USERS = 12_345;
const LEFT = 345; // u0 … u344 performed "Left": the segment leaves them out

/** A server on a fresh store with a clock the test moves, and the callback's sleeps recorded. */
async function startExportServer() {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-export-'));
  const clock = { now: NOW };
  const sleeps: number[] = [];
  const store = await openTestStore({ dir, now: () => clock.now });
  await store.keys.addApiKey({ name: 'test', workspace: 'default', hash: hashKey(KEY), permissions: ALL_PERMISSIONS, createdAt: new Date(NOW).toISOString() });
  const app = await buildApp({
    store, now: () => clock.now, tmpDir: join(dir, 'tmp'),
    exports: { callback: { sleep: async (ms) => void sleeps.push(ms), allowPrivate: true } },
  });
  const auth = { authorization: `Bearer ${KEY}` };
  const send = (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method, url, headers: { ...auth, ...headers }, ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }) });
  return {
    app, dir, clock, sleeps,
    get: (url: string) => send('GET', url),
    post: (url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) => send('POST', url, body, headers),
    put: (url: string, body: unknown) => send('PUT', url, body, { 'content-type': 'application/json' }),
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
type ExportServer = Awaited<ReturnType<typeof startExportServer>>;

function usersNdjson(count: number, left: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(JSON.stringify({ id: `s-${i}`, event_type: 'users.behaviors.app.SessionStart', user_id: `b${i}`, external_user_id: `u${i}`, time: 1709280000 + i }));
    if (i < left) lines.push(JSON.stringify({ id: `l-${i}`, event_type: 'users.behaviors.CustomEvent', name: 'Left', user_id: `b${i}`, time: 1709290000 }));
  }
  return lines.join('\n');
}

const SEGMENT = { id: 'stayed', name: 'Stayed', filter: { custom_event: 'Left', op: 'eq', count: 0 } };
const expectedStayed = () => Array.from({ length: USERS - LEFT }, (_, i) => `u${i + LEFT}`).sort();

/** A real HTTP receiver for callback_endpoint: answers the given statuses in turn, then 200. */
async function callbackReceiver(statuses: number[] = []) {
  const bodies: unknown[] = [];
  let arrived: (() => void) | undefined;
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      bodies.push(JSON.parse(data));
      res.statusCode = statuses.shift() ?? 200;
      res.end();
      if (res.statusCode === 200) arrived?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const delivered = new Promise<void>((resolve) => (arrived = resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ready`,
    bodies,
    delivered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** NDJSON lines of each export file, read with the system's unzip and gunzip. */
function readFiles(folder: string, names: string[]): string[][] {
  return names.map((name) => {
    const path = join(folder, name);
    const text = name.endsWith('.gz') ? execFileSync('gunzip', ['-c', path]) : execFileSync('unzip', ['-p', path]);
    return text.toString('utf8').split('\n').filter(Boolean);
  });
}

const externalIds = (files: string[][]) => files.flat().map((l) => (JSON.parse(l) as { external_id: string }).external_id);

describe('POST /users/export/segment to S3', () => {
  let h: ExportServer;
  let s3rver: S3rver;
  let s3: S3Client;
  const s3dir = mkdtempSync(join(tmpdir(), 'brazen-s3rver-'));

  beforeAll(async () => {
    s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3dir, configureBuckets: [{ name: 'exports' }] });
    const { port } = await s3rver.run();
    const endpoint = `http://127.0.0.1:${port}`;
    s3 = new S3Client({
      region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    });
    h = await startExportServer();
    expect((await h.post('/currents', usersNdjson(USERS, LEFT), { 'content-type': 'application/x-ndjson' })).statusCode).toBe(201);
    const put = await h.put('/admin/workspace', {
      segments: [SEGMENT],
      s3: { bucket: 'exports', endpoint, force_path_style: true, region: 'us-east-1', access_key_id: 'S3RVER', secret_access_key: 'S3RVER', prefix: 'brazen' },
      global_control_group: { id: 'gcg', filter: { random_bucket: { lte: 999 } } },
    });
    expect(put.statusCode, put.body).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    s3?.destroy();
    await s3rver?.close();
    rmSync(s3dir, { recursive: true, force: true });
  });

  /** Downloads the objects under the export's key prefix into a folder; returns their names. */
  async function download(segmentId: string, prefix: string): Promise<{ folder: string; names: string[] }> {
    const keyPrefix = `brazen/segment-export/${segmentId}/2024-03-31/${prefix}/`;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: keyPrefix }));
    const folder = mkdtempSync(join(h.dir, 'dl-'));
    const names: string[] = [];
    for (const o of listed.Contents ?? []) {
      const name = o.Key!.slice(keyPrefix.length);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'exports', Key: o.Key! }));
      writeFileSync(join(folder, name), Buffer.from(await got.Body!.transformToByteArray()));
      names.push(name);
    }
    return { folder, names: names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })) };
  }

  it('writes gzipped NDJSON files of 5,000 users under the documented key, each user once, then calls back', async () => {
    const receiver = await callbackReceiver([500, 503]);
    try {
      const res = await h.post('/users/export/segment', {
        segment_id: 'stayed', output_format: 'gzip', callback_endpoint: receiver.url, fields_to_export: ['external_id', 'braze_id'],
      });
      expect(res.statusCode, res.body).toBe(201);
      const { message, object_prefix, url } = res.json();
      expect(message).toBe('success');
      expect(url).toBeUndefined();
      expect(object_prefix).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-1711886400$/);
      await receiver.delivered;
      await h.app.exportRunner.idle();
      // Two failures, then success: backoff of 1 s then 2 s.
      expect(receiver.bodies).toEqual([{ success: true }, { success: true }, { success: true }]);
      expect(h.sleeps).toEqual([1000, 2000]);

      const { folder, names } = await download('stayed', object_prefix);
      expect(names).toEqual([0, 1, 2].map((i) => `${object_prefix}-${i}.json.gz`));
      const files = readFiles(folder, names);
      expect(files.map((f) => f.length)).toEqual([5000, 5000, 2000]);
      expect(externalIds(files).sort()).toEqual(expectedStayed());
      // Only the fields asked for, each user with its own ids.
      for (const line of files.flat()) {
        const user = JSON.parse(line) as { external_id: string };
        expect(user).toEqual({ external_id: user.external_id, braze_id: `b${user.external_id.slice(1)}` });
      }

      const jobs = (await h.get('/admin/exports')).json().exports;
      expect(jobs[0]).toMatchObject({
        object_prefix, segment_id: 'stayed', status: 'done', destination: 's3', output_format: 'gzip',
        users: USERS - LEFT, files: 3, files_done: 3, callback: 'sent', callback_attempts: 3,
      });
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('zips each file by default, readable by unzip', async () => {
    const res = await h.post('/users/export/segment', { segment_id: 'stayed', fields_to_export: ['external_id'] });
    expect(res.statusCode, res.body).toBe(201);
    const { object_prefix } = res.json();
    await h.app.exportRunner.idle();
    const { folder, names } = await download('stayed', object_prefix);
    expect(names).toEqual([0, 1, 2].map((i) => `${object_prefix}-${i}.zip`));
    expect(execFileSync('unzip', ['-Z1', join(folder, names[2])]).toString().trim()).toBe(`${object_prefix}-2.json`);
    expect(externalIds(readFiles(folder, names)).sort()).toEqual(expectedStayed());
  }, 60_000);

  it('exports the Global Control Group named by a random bucket range of the workspace', async () => {
    const res = await h.post('/users/export/global_control_group', { fields_to_export: ['braze_id'], output_format: 'gzip' });
    expect(res.statusCode, res.body).toBe(201);
    await h.app.exportRunner.idle();
    const { folder, names } = await download('gcg', res.json().object_prefix);
    const got = readFiles(folder, names).flat().map((l) => (JSON.parse(l) as { braze_id: string }).braze_id).sort();
    // The definition: first 8 hex digits of md5(braze_id), modulo 10,000.
    const bucket = (id: string) => parseInt(createHash('md5').update(id).digest('hex').slice(0, 8), 16) % 10_000;
    const want = Array.from({ length: USERS }, (_, i) => `b${i}`).filter((id) => bucket(id) <= 999).sort();
    expect(want.length).toBeGreaterThan(1000);
    expect(got).toEqual(want);
  }, 60_000);

  it('answers 429 for a second export of a segment while one is in progress', async () => {
    const [a, b] = await Promise.all([
      h.post('/users/export/segment', { segment_id: 'stayed', fields_to_export: ['external_id'] }),
      h.post('/users/export/segment', { segment_id: 'stayed', fields_to_export: ['external_id'] }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 429]);
    expect((a.statusCode === 429 ? a : b).json().message).toBe(
      'segment_id stayed already has an export in progress: wait for it to finish (or cancel it) before starting another',
    );
    await h.app.exportRunner.idle();
  }, 60_000);

  it('refuses bad input with a 4xx naming the field', async () => {
    const cases: Array<[object, string]> = [
      [{ segment_id: 'nope' }, 'segment_id nope does not name a segment of this workspace'],
      [{ segment_id: 'stayed', output_format: 'csv' }, 'output_format must be one of zip, gzip'],
      [{ segment_id: 'stayed', fields_to_export: ['emails'] }, 'fields_to_export has unknown field "emails"'],
      [{ segment_id: 'stayed', callback_endpoint: 'not a url' }, 'callback_endpoint must be an http or https URL'],
      [{}, 'segment_id is required'],
    ];
    for (const [body, message] of cases) {
      const res = await h.post('/users/export/segment', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().message.startsWith(message), res.json().message).toBe(true);
    }
    const cancel = await h.post('/export/segment/cancel', { segment_id: 'stayed' });
    expect(cancel.statusCode).toBe(404);
    expect(cancel.json().message).toBe('segment_id stayed has no export in progress');
  });
});

describe('POST /users/export/segment without S3', () => {
  let h: ExportServer;
  beforeAll(async () => {
    h = await startExportServer();
    expect((await h.post('/currents', usersNdjson(USERS, LEFT), { 'content-type': 'application/x-ndjson' })).statusCode).toBe(201);
    await h.put('/admin/workspace', { segments: [SEGMENT, { id: 'all', name: 'All' }] });
  }, 60_000);
  afterAll(() => h?.close());

  it('serves one zip of every file at a signed URL once ready (404 before), and refuses an expired or forged URL', async () => {
    const receiver = await callbackReceiver();
    try {
      const res = await h.post('/users/export/segment', { segment_id: 'stayed', callback_endpoint: receiver.url, fields_to_export: ['external_id'] });
      expect(res.statusCode, res.body).toBe(201);
      const { object_prefix, url } = res.json();
      const path = new URL(url).pathname + new URL(url).search;
      expect(url).toMatch(new RegExp(`^http://localhost(:80)?/users/export/download/[0-9a-f-]+/${object_prefix}\\.zip\\?expires=1711908000&signature=[\\w-]+$`));
      const early = await h.get(path);
      expect(early.statusCode).toBe(404);
      expect(early.json().message).toContain(`export ${object_prefix} is not ready yet`);

      await receiver.delivered;
      await h.app.exportRunner.idle();
      expect(receiver.bodies).toHaveLength(1);
      expect((receiver.bodies[0] as { success: boolean }).success).toBe(true);
      const callbackUrl = new URL((receiver.bodies[0] as { url: string }).url);

      for (const p of [path, callbackUrl.pathname + callbackUrl.search]) {
        const zip = await h.get(p);
        expect(zip.statusCode).toBe(200);
        expect(zip.headers['content-type']).toBe('application/zip');
        const folder = mkdtempSync(join(h.dir, 'zip-'));
        writeFileSync(join(folder, 'all.zip'), zip.rawPayload);
        execFileSync('unzip', ['-q', join(folder, 'all.zip'), '-d', folder]);
        const names = readdirSync(join(folder, object_prefix)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
        expect(names).toEqual([0, 1, 2].map((i) => `${object_prefix}-${i}.zip`));
        expect(externalIds(readFiles(join(folder, object_prefix), names)).sort()).toEqual(expectedStayed());
      }

      const forged = await h.get(path.replace(/signature=[\w-]+/, 'signature=AAAA' + 'B'.repeat(39)));
      expect(forged.statusCode).toBe(403);
      expect(forged.json().message).toBe('signature does not match this download URL');
      const later = await h.get(path.replace('expires=1711908000', 'expires=1711999999'));
      expect(later.statusCode).toBe(403);
      h.clock.now = NOW + 6 * 3600 * 1000 + 1000; // six hours and one second later
      const expired = await h.get(path);
      expect(expired.statusCode).toBe(403);
      expect(expired.json().message).toBe('this download URL has expired: export the segment again');
    } finally {
      h.clock.now = NOW;
      await receiver.close();
    }
  }, 60_000);

  it('cancels an export that waits its turn, keeping nothing of it', async () => {
    const first = await h.post('/users/export/segment', { segment_id: 'stayed', fields_to_export: ['external_id'] });
    const second = await h.post('/users/export/segment', { segment_id: 'all', fields_to_export: ['external_id'] });
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    const cancel = await h.post('/export/segment/cancel', { segment_id: 'all' });
    expect(cancel.json()).toEqual({ message: 'success' });
    await h.app.exportRunner.idle();
    const jobs = (await h.get('/admin/exports')).json().exports;
    expect(jobs.slice(0, 2).map((j: { segment_id: string; status: string }) => [j.segment_id, j.status])).toEqual([['all', 'cancelled'], ['stayed', 'done']]);
    const path = new URL(second.json().url);
    expect((await h.get(path.pathname + path.search)).statusCode).toBe(404);
    const jobId = path.pathname.split('/')[4];
    expect(existsSync(h.app.exportRunner.folder(jobId))).toBe(false);
  }, 60_000);
});

describe('an export cut by kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-export-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finishes once after a restart: every user exactly once, in the same files', async () => {
    const users = 60_000;
    const auth = { authorization: `Bearer ${KEY}` };
    const storeArgs = await serveStoreArgs(dir);
    let server = await startServerProcess(dir, KEY, storeArgs);
    const call = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { ...auth, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    expect((await call('/currents', { method: 'POST', body: usersNdjson(users, 0), headers: { 'content-type': 'application/x-ndjson' } })).status).toBe(201);
    expect((await call('/admin/workspace', { method: 'PUT', body: JSON.stringify({ segments: [{ id: 'all', name: 'All' }] }) })).status).toBe(200);
    const started = await call('/users/export/segment', { method: 'POST', body: JSON.stringify({ segment_id: 'all', output_format: 'gzip' }) });
    expect(started.status).toBe(201);
    const { object_prefix, url } = (await started.json()) as { object_prefix: string; url: string };

    // Kill as soon as some but not all files are written.
    let state: { files_done: number; files?: number; status: string } = { files_done: 0, status: 'pending' };
    while (!(state.files_done > 0) && state.status !== 'done') {
      state = ((await (await call('/admin/exports')).json()) as { exports: typeof state[] }).exports[0];
    }
    server.child.kill('SIGKILL');
    await exited(server.child);
    expect(state.status).toBe('running');
    expect(state.files_done).toBeLessThan(12);

    server = await startServerProcess(dir, KEY, storeArgs);
    for (;;) {
      state = ((await (await call('/admin/exports')).json()) as { exports: typeof state[] }).exports[0];
      if (state.status !== 'running' && state.status !== 'pending') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toMatchObject({ status: 'done', users, files: 12, files_done: 12 });
    const jobs = ((await (await call('/admin/exports')).json()) as { exports: unknown[] }).exports;
    expect(jobs).toHaveLength(1);

    const downloaded = await fetch(url.replace(/^http:\/\/[^/]+/, server.url));
    expect(downloaded.status).toBe(200);
    const folder = join(dir, 'download');
    execFileSync('mkdir', ['-p', folder]);
    writeFileSync(join(folder, 'all.zip'), Buffer.from(await downloaded.arrayBuffer()));
    execFileSync('unzip', ['-q', join(folder, 'all.zip'), '-d', folder]);
    const names = readdirSync(join(folder, object_prefix)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    expect(names).toEqual(Array.from({ length: 12 }, (_, i) => `${object_prefix}-${i}.json.gz`));
    const files = readFiles(join(folder, object_prefix), names);
    expect(files.every((f) => f.length === 5000)).toBe(true);
    const ids = externalIds(files);
    expect(new Set(ids).size).toBe(users);
    expect(ids.length).toBe(users);
    server.child.kill('SIGTERM');
    await exited(server.child);
  }, 180_000);
});

describe('callback_endpoint safety', () => {
  it('refuses loopback, private and link-local callbacks unless allowed', async () => {
    const { callbackRefusal } = await import('../src/export/callback-guard.ts');
    expect(await callbackRefusal('http://127.0.0.1:9/x', false)).toBe(
      'callback_endpoint 127.0.0.1 resolves to 127.0.0.1, a private or loopback address; start the server with --allow-private-callbacks to allow it',
    );
    for (const url of ['http://10.1.2.3/', 'http://192.168.0.10/', 'http://172.20.0.1/', 'http://169.254.169.254/latest', 'http://[::1]:80/', 'http://localhost/']) {
      expect([url, await callbackRefusal(url, false)]).toEqual([url, expect.stringContaining('a private or loopback address')]);
    }
    expect(await callbackRefusal('http://93.184.216.34/hook', false)).toBeUndefined();
    expect(await callbackRefusal('ftp://93.184.216.34/hook', false)).toBe('callback_endpoint must be an http or https URL');
    expect(await callbackRefusal('http://127.0.0.1:9/x', true)).toBeUndefined();
  });
});

/**
 * Several stateless brazen processes on one ClickHouse cluster (issue 20): two `brazen serve`
 * processes on a cluster of two 18.16 shard processes, sharing a redis-server, behind a round-robin
 * client, answer every request byte for byte as one DuckDB process on the same data; and a segment
 * export whose process is killed with SIGKILL half-way is finished by the other process, once (one
 * callback, every user in exactly one file). A slow leg: BRAZEN_CLICKHOUSE_TESTS=1 (.ci/run sets it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { ClickHouseStore, DuckDbStore, type Store } from '@brazen/store';
import { buildDemo, demoPlan } from '@brazen/demo';
import { startClickHouseCluster, type ClickHouseCluster } from '../../store/test/clickhouse/servers.ts';
import { startRedisServer, type RedisServer } from '../../store/test/redis-server.ts';
import { exited, startServerProcess, type ServerProcess } from './cli-process.ts';

const KEY = 'instances-test-key';
const SMALL = { users: 400, days: 21, seed: 7, end: Date.UTC(2024, 3, 1) / 1000 };
const EXPORT_USERS = 100_000;
const slow = process.env.BRAZEN_CLICKHOUSE_TESTS === '1';

type Request = { method?: 'GET' | 'POST'; path: string; query?: Record<string, string | number>; body?: unknown };

/** Every GET endpoint of the export API with real demo ids, and user exports by id. */
function requests(segmentId: string): Request[] {
  const plan = demoPlan(SMALL);
  const campaign = plan.campaigns.newsletter.id;
  const canvas = plan.canvases.onboarding.id;
  const card = plan.cards[0].id;
  const days = { length: 21, ending_at: '2024-03-31' };
  return [
    ...['dau', 'mau', 'new_users', 'uninstalls'].map((k) => ({ path: `/kpi/${k}/data_series`, query: days })),
    { path: '/kpi/dau/data_series', query: { ...days, app_id: plan.apps.ios.id } },
    { path: '/sessions/data_series', query: days },
    { path: '/sessions/data_series', query: { length: 48, unit: 'hour', ending_at: '2024-03-30T23:00:00Z' } },
    { path: '/sessions/data_series', query: { ...days, segment_id: segmentId } },
    { path: '/events/list' },
    { path: '/events/data_series', query: { ...days, event: 'viewed_product' } },
    { path: '/events/data_series', query: { length: 24, unit: 'hour', ending_at: '2024-03-30T23:00:00Z', event: 'added_to_cart' } },
    { path: '/purchases/product_list' },
    { path: '/purchases/revenue_series', query: days },
    { path: '/purchases/quantity_series', query: days },
    { path: '/campaigns/list' },
    { path: '/campaigns/details', query: { campaign_id: campaign } },
    { path: '/campaigns/data_series', query: { ...days, campaign_id: campaign } },
    { path: '/canvas/list' },
    { path: '/canvas/details', query: { canvas_id: canvas } },
    { path: '/canvas/data_series', query: { canvas_id: canvas, length: 14, ending_at: '2024-03-31', include_variant_breakdown: 'true', include_step_breakdown: 'true' } },
    { path: '/canvas/data_summary', query: { canvas_id: canvas, length: 14, ending_at: '2024-03-31' } },
    { path: '/segments/list' },
    { path: '/segments/details', query: { segment_id: segmentId } },
    { path: '/segments/data_series', query: { ...days, segment_id: segmentId } },
    { path: '/feed/list' },
    { path: '/feed/details', query: { card_id: card } },
    { path: '/feed/data_series', query: { ...days, card_id: card } },
    { path: '/events' },
    { path: '/custom_attributes' },
    { method: 'POST', path: '/users/export/ids', body: { external_ids: ['user-000001', 'user-000002', 'user-000003', 'nobody'] } },
    { method: 'POST', path: '/users/export/ids', body: { external_ids: Array.from({ length: 50 }, (_, i) => `user-${String(i * 7).padStart(6, '0')}`) } },
  ];
}

async function send(server: ServerProcess, r: Request): Promise<{ status: number; body: string }> {
  const url = new URL(r.path, server.url);
  for (const [k, v] of Object.entries(r.query ?? {})) url.searchParams.set(k, String(v));
  const res = await fetch(url, {
    method: r.method ?? 'GET',
    headers: { authorization: `Bearer ${KEY}`, ...(r.body ? { 'content-type': 'application/json' } : {}) },
    ...(r.body ? { body: JSON.stringify(r.body) } : {}),
  });
  return { status: res.status, body: await res.text() };
}

/** A callback_endpoint receiver counting what arrives. */
async function callbackReceiver() {
  const bodies: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      bodies.push(JSON.parse(data));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ready`, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** One session of each of `count` users (one record a user), as NDJSON. */
const exportUsers = (count: number) =>
  Array.from({ length: count }, (_, i) => JSON.stringify({ id: `x-${i}`, event_type: 'users.behaviors.app.SessionStart', user_id: `xb${i}`, external_user_id: `xu${i}`, time: 1711000000 + i })).join('\n');

describe.skipIf(!slow)('two brazen processes on a two-shard ClickHouse cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-instances-'));
  let cluster: ClickHouseCluster;
  let redis: RedisServer;
  let s3rver: S3rver;
  let s3: S3Client;
  let s3settings: Record<string, unknown>;
  let url: string;
  const ch: ServerProcess[] = [];
  let duck: ServerProcess;

  const startClickHouseProcess = (n: number) =>
    startServerProcess(join(dir, `ch${n}`), KEY, ['--store', url, '--redis', redis.url, '--lease-seconds', '2', '--allow-private-callbacks']);

  beforeAll(async () => {
    [cluster, redis] = await Promise.all([startClickHouseCluster(2), startRedisServer()]);
    s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: 'exports' }] });
    const endpoint = `http://127.0.0.1:${(await s3rver.run()).port}`;
    s3 = new S3Client({
      region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    });
    s3settings = { bucket: 'exports', endpoint, force_path_style: true, region: 'us-east-1', access_key_id: 'S3RVER', secret_access_key: 'S3RVER', prefix: 'brazen' };
    url = `clickhouse://${cluster.nodes.map((n) => n.httpUrl.replace('http://', '')).join(',')}/instances?cluster=${cluster.name}`;
    // The same demo workspace built into both stores.
    const stores: Store[] = [await ClickHouseStore.open({ url }), await DuckDbStore.open({ dataDir: join(dir, 'duck') })];
    for (const [i, store] of stores.entries()) {
      await buildDemo(store.workspace(), SMALL);
      await store.close();
    }
    [ch[0], ch[1], duck] = await Promise.all([startClickHouseProcess(0), startClickHouseProcess(1), startServerProcess(join(dir, 'duck'), KEY)]);
  }, 600_000);

  afterAll(async () => {
    for (const p of [...ch, duck]) p?.child.kill('SIGKILL');
    await cluster?.stop();
    redis?.stop();
    s3?.destroy();
    await s3rver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every request byte for byte as one DuckDB process on the same data, whichever process a round-robin client reaches', async () => {
    // More records over HTTP: half of them sent to each ClickHouse process at once, 500 of them
    // twice (once in each half). Each names a demo user by external id with a braze_id of its own,
    // which becomes another of that user's braze_ids, whichever record arrives first.
    const extra = Array.from({ length: 3_000 }, (_, n) => {
      const i = n % 2_500;
      return JSON.stringify({
        id: `extra-${i}`, event_type: i % 3 ? 'users.behaviors.CustomEvent' : 'users.behaviors.app.SessionStart', name: 'viewed_product',
        user_id: `late-${i % 400}`, external_user_id: `user-${String(i % 400).padStart(6, '0')}`, time: 1711700000 + i * 60,
      });
    });
    const halves = [extra.slice(0, 1_500), extra.slice(1_500)];
    const post = (server: ServerProcess, lines: string[]) =>
      fetch(`${server.url}/currents`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') });
    const sent = await Promise.all([post(ch[0], halves[0]), post(ch[1], halves[1])]);
    expect(sent.map((r) => r.status)).toEqual([201, 201]);
    expect((await post(duck, extra)).status).toBe(201);

    const segments = JSON.parse((await send(duck, { path: '/segments/list' })).body) as { segments: Array<{ id: string; name: string }> };
    const all = segments.segments.find((s) => s.name === 'All users')!.id;
    const list = requests(all);
    // Round robin: each request goes to the next process; every one is asked of the other too.
    const differ: string[] = [];
    let turn = 0;
    for (const r of list) {
      const want = await send(duck, r);
      expect(want.status, `${r.path}: ${want.body}`).toBe(200);
      for (const server of [ch[turn++ % 2], ch[turn % 2]]) {
        const got = await send(server, r);
        if (got.body !== want.body) differ.push(`${r.method ?? 'GET'} ${r.path} ${JSON.stringify(r.query ?? r.body ?? {})}`);
      }
    }
    expect(differ).toEqual([]);
  }, 600_000);

  it('finishes a segment export once in the other process when the one running it is killed with SIGKILL', async () => {
    const callback = await callbackReceiver();
    try {
      // Enough users for several files (5,000 a file), in both deployments.
      const users = exportUsers(EXPORT_USERS);
      for (const server of [ch[0], duck]) {
        const res = await fetch(`${server.url}/currents`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' }, body: users });
        expect(res.status).toBe(201);
      }
      const put = await fetch(`${ch[0].url}/admin/workspace`, {
        method: 'PUT', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ s3: s3settings }),
      });
      expect(put.status).toBe(200);
      // The other process reads the workspace again within 5 seconds: it must know the bucket.
      await new Promise((r) => setTimeout(r, 5_500));
      const segmentId = (JSON.parse((await send(duck, { path: '/segments/list' })).body) as { segments: Array<{ id: string; name: string }> }).segments.find((s) => s.name === 'All users')!.id;
      const started = await send(ch[0], { method: 'POST', path: '/users/export/segment', body: { segment_id: segmentId, output_format: 'gzip', callback_endpoint: callback.url } });
      expect(started.status, started.body).toBe(201);
      const { object_prefix: prefix } = JSON.parse(started.body) as { object_prefix: string };

      type State = { status: string; files_done: number; files?: number; users?: number; callback: string };
      const state = async (server: ServerProcess) => (JSON.parse((await send(server, { path: '/admin/exports' })).body) as { exports: State[] }).exports[0];
      let seen = await state(ch[1]);
      while (seen.files_done === 0 && seen.status !== 'done') seen = await state(ch[1]);
      ch[0].child.kill('SIGKILL');
      await exited(ch[0].child);
      expect(seen.status).toBe('running');
      expect(seen.files_done).toBeLessThan(seen.files!);

      // The lease (2 s) runs out; the other process takes the job over and finishes it.
      const deadline = Date.now() + 300_000;
      while ((seen = await state(ch[1])).status !== 'done' || seen.callback === 'pending') {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(seen).toMatchObject({ status: 'done', callback: 'sent', files: seen.files, files_done: seen.files });
      expect(callback.bodies).toEqual([{ success: true }]);

      // Every member in exactly one file; the files' lines are the profiles DuckDB exports.
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: 'brazen/segment-export/' }));
      const keys = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => k.includes(prefix));
      expect(keys).toHaveLength(seen.files!);
      const lines: string[] = [];
      for (const key of keys) {
        const object = await s3.send(new GetObjectCommand({ Bucket: 'exports', Key: key }));
        lines.push(...gunzipSync(Buffer.from(await object.Body!.transformToByteArray())).toString('utf8').split('\n').filter(Boolean));
      }
      expect(lines).toHaveLength(seen.users!);
      expect(new Set(lines).size).toBe(lines.length);

      const duckStarted = await send(duck, { method: 'POST', path: '/users/export/segment', body: { segment_id: segmentId, output_format: 'gzip' } });
      expect(duckStarted.status, duckStarted.body).toBe(201);
      while ((await state(duck)).status !== 'done') await new Promise((r) => setTimeout(r, 200));
      const download = await fetch((JSON.parse(duckStarted.body) as { url: string }).url.replace(/^http:\/\/[^/]+/, duck.url));
      const zip = join(dir, 'duck-export.zip');
      execFileSync('sh', ['-c', `cat > ${zip}`], { input: Buffer.from(await download.arrayBuffer()) });
      const duckLines = execFileSync('sh', ['-c', `unzip -p ${zip} | gunzip -c`], { maxBuffer: 1 << 30 }).toString('utf8').split('\n').filter(Boolean);
      expect(lines.sort()).toEqual(duckLines.sort());
    } finally {
      await callback.close();
    }
  }, 900_000);
});

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { buildDemo } from '@brazen/demo';
import { DuckDbStore, DuckDbWorkspaces, type Store } from '@brazen/store';
import { buildApp, hashKey } from '@brazen/server';
import { everyAnswer } from './workspace-answers.ts';
import { ndjson, OPERATOR, startWorkspaces, type Caller, type WorkspacesHarness } from './workspaces-harness.ts';

const T0 = Date.UTC(2024, 2, 1) / 1000;
const MONTH = { length: 31, ending_at: '2024-03-31' };

let h: WorkspacesHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** `users` users (u0, u1, ... with external ids x0, x1, ...), `perUser` sessions each, a day apart. */
function sessions(users: number, perUser: number, tag: string) {
  const records = [];
  for (let u = 0; u < users; u++) {
    for (let k = 0; k < perUser; k++) {
      records.push({ id: `${tag}-${u}-${k}`, event_type: 'users.behaviors.app.SessionStart', user_id: `u${u}`, external_user_id: `x${u}`, time: T0 + k * 86_400 + u * 60 });
    }
  }
  return records;
}

const ingest = async (caller: Caller, records: object[]) => {
  const res = await caller.post('/currents', ndjson(records), { 'content-type': 'application/x-ndjson' });
  expect(res.statusCode).toBe(201);
  return res.json() as { events_processed: number };
};
const sessionTotal = async (caller: Caller) =>
  ((await caller.get('/sessions/data_series', MONTH)).json() as { data: Array<{ sessions: number }> }).data.reduce((s, d) => s + d.sessions, 0);
const status = async (res: Promise<{ statusCode: number; json(): unknown }>) => {
  const r = await res;
  return [r.statusCode, (r.json() as { message: string }).message];
};

describe('workspaces', () => {
  it('serve a data folder made before workspaces had names as the default one: the same answers, byte for byte', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brazen-folder-'));
    const now = Date.UTC(2024, 2, 31, 12);
    const answers = async (store: Store) => {
      const app = await buildApp({ store, now: () => now, tmpDir: join(dir, 'tmp'), rateLimits: false, profiles: { idleMs: false } });
      try {
        return await everyAnswer(app, OPERATOR);
      } finally {
        await app.close();
        await store.close();
      }
    };
    // The folder as a single-workspace store makes it (what every folder was until now).
    const single = await DuckDbStore.open({ dataDir: dir, now: () => now });
    await buildDemo(single.workspace(), { users: 300, days: 20, seed: 5, end: Date.UTC(2024, 3, 1) / 1000 });
    await single.addApiKey({ name: 'operator', workspace: 'default', hash: hashKey(OPERATOR), permissions: ALL_PERMISSIONS, createdAt: new Date(now).toISOString() });
    const before = await answers(single);
    const files = readdirSync(dir).sort();
    const after = await answers(await DuckDbWorkspaces.open(dir, { now: () => now }));
    expect(after.length).toBeGreaterThan(60);
    expect(after).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(files);
    rmSync(dir, { recursive: true, force: true });
  });

  it('are created and listed by the operator (an admin key of the default workspace), each with a first key', async () => {
    h = await startWorkspaces();
    const made = await h.operator.post('/admin/workspaces', { name: 'beta', time_zone: 'Europe/Paris' });
    expect(made.statusCode).toBe(201);
    const body = made.json() as { key: { key: string } };
    expect(body).toEqual({ message: 'success', name: 'beta', time_zone: 'Europe/Paris', key: { name: 'admin', key: body.key.key, permissions: ALL_PERMISSIONS } });
    expect(body.key.key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const beta = h.as(body.key.key);

    expect(await status(h.operator.post('/admin/workspaces', { name: 'beta' }))).toEqual([409, 'workspace beta exists already']);
    expect(await status(h.operator.post('/admin/workspaces', { name: 'Beta Two' }))).toEqual([400, 'name must be 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit (got "Beta Two")']);
    expect((await h.operator.post('/admin/workspaces', { name: 'mars', time_zone: 'Mars/Olympus' })).statusCode).toBe(400);
    expect(await status(h.operator.post('/admin/workspaces', { name: 'gamma', permissions: ['kpi.dau.data_series', 'x.y'] }))).toEqual([400, 'permissions has unknown permission x.y']);
    // A key of another workspace, even an admin one, neither creates nor sees workspaces.
    expect(await status(beta.post('/admin/workspaces', { name: 'delta' }))).toEqual([403, 'only an admin key of the default workspace may create workspaces; this key belongs to workspace beta']);
    expect((await beta.get('/admin/workspaces')).statusCode).toBe(403);

    const ci = (await h.operator.post('/admin/workspaces', { name: 'gamma', key_name: 'ci', permissions: ['kpi.dau.data_series'] })).json() as { key: { key: string; name: string } };
    expect(ci.key.name).toBe('ci');
    expect((await h.as(ci.key.key).get('/kpi/dau/data_series', { length: 1 })).statusCode).toBe(200);
    expect(await status(h.as(ci.key.key).get('/admin/api_keys'))).toEqual([403, 'this API key does not have the admin permission']);

    expect((await h.operator.get('/admin/workspaces')).json()).toEqual({
      message: 'success',
      workspaces: [
        { name: 'default', time_zone: 'UTC', api_keys: 1 },
        { name: 'beta', time_zone: 'Europe/Paris', created_at: '2024-03-31T12:00:00.000Z', api_keys: 1 },
        { name: 'gamma', time_zone: 'UTC', created_at: '2024-03-31T12:00:00.000Z', api_keys: 1 },
      ],
    });
  });

  it('keep their data, definitions, users and keys apart: the same ids name different things in each', async () => {
    h = await startWorkspaces();
    const beta = await h.workspace('beta');
    expect((await ingest(beta, sessions(3, 2, 's'))).events_processed).toBe(6);
    expect((await ingest(h.operator, sessions(1, 1, 's'))).events_processed).toBe(1);
    // The same record ids again in beta: duplicates there, and nothing to do with default's.
    expect(await ingest(beta, sessions(1, 1, 's'))).toMatchObject({ events_processed: 0, duplicates: 1 });
    expect([await sessionTotal(beta), await sessionTotal(h.operator)]).toEqual([6, 1]);

    expect((await beta.put('/admin/workspace', { campaigns: [{ id: 'c1', name: 'Beta only' }] })).statusCode).toBe(200);
    expect((await beta.get('/campaigns/list')).json().campaigns.map((c: { name: string }) => c.name)).toEqual(['Beta only']);
    expect((await h.operator.get('/campaigns/list')).json().campaigns).toEqual([]);
    expect(await status(h.operator.get('/campaigns/details', { campaign_id: 'c1' }))).toEqual([400, expect.stringContaining('c1')]);

    const ids = { external_ids: ['x0', 'x2'], fields_to_export: ['external_id'] };
    expect((await beta.post('/users/export/ids', ids)).json()).toEqual({ message: 'success', users: [{ external_id: 'x0' }, { external_id: 'x2' }] });
    expect((await h.operator.post('/users/export/ids', ids)).json()).toEqual({ message: 'success', users: [{ external_id: 'x0' }], invalid_user_ids: ['x2'] });

    // Keys made with a beta key belong to beta, and list only there.
    const made = (await beta.post('/admin/api_keys', { name: 'reader', permissions: ['sessions.data_series'] })).json() as { key: string };
    expect(await sessionTotal(h.as(made.key))).toBe(6);
    expect((await beta.get('/admin/api_keys')).json().api_keys.map((k: { name: string }) => k.name)).toEqual(['admin', 'reader']);
    expect((await h.operator.get('/admin/api_keys')).json().api_keys.map((k: { name: string }) => k.name)).toEqual(['operator']);
  });

  it('count rate limits per key, so apart', async () => {
    h = await startWorkspaces({ rateLimits: { default: { limit: 2, windowSeconds: 60 }, pools: {}, endpoints: {} } });
    const beta = await h.workspace('beta');
    const dau = (c: Caller) => c.get('/kpi/dau/data_series', { length: 1 });
    expect([(await dau(beta)).statusCode, (await dau(beta)).statusCode, (await dau(beta)).statusCode]).toEqual([200, 200, 429]);
    const other = await dau(h.operator);
    expect([other.statusCode, other.headers['x-ratelimit-remaining']]).toEqual([200, '1']);
  });

  it('keep fault rules and the draws of the seeded generator apart, even for keys of the same name', async () => {
    h = await startWorkspaces({ faults: { seed: 7 } });
    const made = (await h.operator.post('/admin/workspaces', { name: 'beta', key_name: 'operator' })).json() as { key: { key: string } };
    const beta = h.as(made.key.key);
    expect((await h.operator.put('/admin/faults', { key_name: 'operator', rules: '503' })).statusCode).toBe(200);
    expect((await h.operator.get('/kpi/dau/data_series', { length: 1 })).statusCode).toBe(503);
    expect((await beta.get('/kpi/dau/data_series', { length: 1 })).statusCode).toBe(200);
    // beta draws from its own sequence: default's stays where it was.
    for (let i = 0; i < 3; i++) await h.app.inject({ url: '/kpi/dau/data_series?length=1', headers: { authorization: `Bearer ${beta.key}`, 'x-brazen-fault': '500;p=0.5' } });
    expect((await beta.get('/admin/faults')).json()).toEqual({ message: 'success', seed: 7, draws: 3, faults: [] });
    expect((await h.operator.get('/admin/faults')).json()).toEqual({ message: 'success', seed: 7, draws: 0, faults: [{ key_name: 'operator', rules: '503' }] });
  });

  it('keep export jobs, their files and their download URLs apart', async () => {
    h = await startWorkspaces();
    const beta = await h.workspace('beta');
    const segment = { segments: [{ id: 'all', name: 'All', filter: { session_count: { op: 'gte', value: 1 } } }] };
    for (const c of [beta, h.operator]) expect((await c.put('/admin/workspace', segment)).statusCode).toBe(200);
    await ingest(beta, sessions(4, 1, 'e'));
    const started = (await beta.post('/users/export/segment', { segment_id: 'all', fields_to_export: ['external_id'] })).json() as { url: string; object_prefix: string };
    // The same segment id in default is another segment: its export is not "already in progress".
    expect((await h.operator.post('/users/export/segment', { segment_id: 'all' })).statusCode).toBe(201);
    await h.app.workspaces.context('beta').exports.idle();
    await h.app.workspaces.context().exports.idle();

    const url = new URL(started.url);
    expect(url.searchParams.get('workspace')).toBe('beta');
    const zip = await h.app.inject({ url: url.pathname + url.search });
    expect([zip.statusCode, zip.headers['content-type']]).toEqual([200, 'application/zip']);
    const jobId = url.pathname.split('/')[4];
    expect(existsSync(join(h.dir, 'tmp', 'exports', 'workspaces', 'beta', jobId))).toBe(true);
    // Moved to another workspace, the URL is signed with the wrong secret.
    const elsewhere = (workspace: string | null) => {
      const moved = new URL(url);
      if (workspace === null) moved.searchParams.delete('workspace');
      else moved.searchParams.set('workspace', workspace);
      return h!.app.inject({ url: moved.pathname + moved.search });
    };
    expect(await status(elsewhere(null))).toEqual([403, 'signature does not match this download URL']);
    expect(await status(elsewhere('default'))).toEqual([403, 'signature does not match this download URL']);
    expect(await status(elsewhere('nobody'))).toEqual([404, 'workspace nobody does not exist']);

    const jobs = async (c: Caller) => (await c.get('/admin/exports')).json().exports.map((j: { object_prefix: string; users: number }) => [j.object_prefix, j.users]);
    expect(await jobs(beta)).toEqual([[started.object_prefix, 4]]);
    expect((await jobs(h.operator)).map(([, users]: [string, number]) => users)).toEqual([0]);
  });
});

describe('POST /admin/reset', () => {
  it("empties the caller's workspace, keeping its definitions and keys unless asked; other workspaces keep theirs", async () => {
    h = await startWorkspaces();
    const beta = await h.workspace('beta', 'Asia/Tokyo');
    await beta.put('/admin/workspace', { campaigns: [{ id: 'c1', name: 'Kept' }], segments: [{ id: 'all', name: 'All', filter: { session_count: { op: 'gte', value: 1 } } }] });
    await ingest(beta, sessions(4, 3, 'r')); // 12 records
    const track = await beta.post('/users/track', {
      attributes: [{ external_id: 'x0', first_name: 'Ann' }],
      events: [{ external_id: 'x0', name: 'Played', time: '2024-03-10T00:00:00Z' }, { external_id: 'x9', name: 'Played', time: '2024-03-11T00:00:00Z' }],
      purchases: [{ external_id: 'x1', product_id: 'hat', currency: 'USD', price: 5, time: '2024-03-12T00:00:00Z' }],
    });
    expect(track.statusCode).toBe(201); // 3 more records: 15 in all
    await ingest(h.operator, sessions(5, 1, 'd'));
    const started = (await beta.post('/users/export/segment', { segment_id: 'all' })).json() as { url: string };
    await h.app.workspaces.context('beta').exports.idle();
    const jobFolder = join(h.dir, 'tmp', 'exports', 'workspaces', 'beta', new URL(started.url).pathname.split('/')[4]);
    expect(existsSync(jobFolder)).toBe(true);

    const reset = (await beta.post('/admin/reset', {})).json() as Record<string, unknown>;
    expect({ ...reset, took_ms: typeof reset.took_ms }).toEqual({ message: 'success', records_removed: 15, keys_removed: 0, definitions_removed: false, took_ms: 'number' });
    expect(await sessionTotal(beta)).toBe(0);
    expect((await beta.get('/events/list')).json().events).toEqual([]);
    expect((await beta.post('/users/export/ids', { external_ids: ['x0'] })).json()).toEqual({ message: 'success', users: [], invalid_user_ids: ['x0'] });
    expect((await beta.get('/admin/exports')).json().exports).toEqual([]);
    expect(existsSync(jobFolder)).toBe(false);
    expect((await beta.get('/campaigns/list')).json().campaigns.map((c: { name: string }) => c.name)).toEqual(['Kept']);
    expect(await sessionTotal(h.operator)).toBe(5);

    // Data comes in again as into a new workspace: ids seen before the reset are new again.
    expect((await ingest(beta, sessions(2, 1, 'r'))).events_processed).toBe(2);

    const other = (await beta.post('/admin/api_keys', { name: 'reader', permissions: ['sessions.data_series'] })).json() as { key: string };
    await beta.post('/admin/api_keys', { name: 'writer', permissions: ['currents.ingest'] });
    expect(await sessionTotal(h.as(other.key))).toBe(2);
    const all = (await beta.post('/admin/reset', { keys: true, definitions: true })).json() as Record<string, unknown>;
    expect([all.records_removed, all.keys_removed, all.definitions_removed]).toEqual([2, 2, true]);
    expect(await status(h.as(other.key).get('/sessions/data_series', MONTH))).toEqual([401, 'unknown REST API key']);
    expect((await beta.get('/admin/api_keys')).json().api_keys.map((k: { name: string }) => k.name)).toEqual(['admin']);
    expect((await beta.get('/admin/workspace')).json()).toEqual({ message: 'success', time_zone: 'Asia/Tokyo', apps: [], campaigns: [], canvases: [], segments: [], cards: [] });

    // A misspelt option is named (a reset that ignored it would keep what was meant to go).
    expect(await status(beta.post('/admin/reset', { definition: true }))).toEqual([400, 'definition is not a known field']);
    // The default workspace's file holds every key: its reset keeps beta's. A request with no body
    // at all is a plain reset.
    expect((await h.operator.post('/admin/reset')).json().records_removed).toBe(5);
    expect([await sessionTotal(h.operator), await sessionTotal(beta)]).toEqual([0, 0]);
    expect((await beta.get('/admin/api_keys')).statusCode).toBe(200);
  });

  it('needs the admin permission, and a store that can reset', async () => {
    h = await startWorkspaces();
    const made = (await h.operator.post('/admin/api_keys', { name: 'reader', permissions: ['sessions.data_series'] })).json() as { key: string };
    expect(await status(h.as(made.key).post('/admin/reset', {}))).toEqual([403, 'this API key does not have the admin permission']);

    const store = await DuckDbWorkspaces.open(':memory:');
    await store.keys.addApiKey({ name: 'k', workspace: 'default', hash: hashKey('k'), permissions: ALL_PERMISSIONS, createdAt: '2024-01-01T00:00:00Z' });
    const app = await buildApp({ store });
    const send = (method: 'POST' | 'GET', url: string, body?: object) => app.inject({ method, url, headers: { authorization: 'Bearer k' }, ...(body ? { payload: body } : {}) });
    expect((await send('POST', '/admin/reset', {})).statusCode).toBe(200);
    expect([(await send('POST', '/admin/snapshots', { name: 's' })).statusCode, (await send('POST', '/admin/snapshots', { name: 's' })).json().message])
      .toEqual([501, 'snapshots need a data folder: this store is in memory (duckdb::memory:)']);
    await app.close();
    await store.close();
  });
});

describe('snapshots', () => {
  /** Answers of every kind of read, as bytes. */
  const answers = async (c: Caller) => {
    const out: string[] = [];
    for (const [url, query] of [
      ['/sessions/data_series', MONTH], ['/sessions/data_series', { length: 48, unit: 'hour', ending_at: '2024-03-02T23:00:00Z' }],
      ['/kpi/dau/data_series', MONTH], ['/kpi/mau/data_series', MONTH], ['/kpi/new_users/data_series', MONTH],
      ['/events/list', {}], ['/events/data_series', { ...MONTH, event: 'Played' }], ['/purchases/revenue_series', MONTH],
      ['/campaigns/list', {}], ['/segments/data_series', { segment_id: 'all', length: 5 }], ['/custom_attributes', {}],
    ] as const) out.push((await c.get(url, query)).body);
    out.push((await c.post('/users/export/ids', { external_ids: ['x0', 'x1', 'x9'] })).body);
    return out;
  };

  it('save, list, restore (answers byte-identical) and delete, per workspace; keys stay as they are', async () => {
    h = await startWorkspaces();
    const beta = await h.workspace('beta');
    await beta.put('/admin/workspace', { campaigns: [{ id: 'c1', name: 'One' }], segments: [{ id: 'all', name: 'All', analytics_tracking_enabled: true, filter: { session_count: { op: 'gte', value: 1 } } }] });
    await ingest(beta, sessions(6, 4, 'a'));
    await beta.post('/users/track', { attributes: [{ external_id: 'x1', tier: 'gold' }], events: [{ external_id: 'x0', name: 'Played', time: '2024-03-05T00:00:00Z' }] });
    const before = await answers(beta);

    const saved = await beta.post('/admin/snapshots', { name: 'base' });
    expect(saved.statusCode).toBe(201);
    const body = saved.json() as { snapshot: { bytes: number }; took_ms: number };
    expect({ ...body, took_ms: typeof body.took_ms }).toEqual({
      message: 'success', snapshot: { name: 'base', created_at: '2024-03-31T12:00:00.000Z', records: 25, bytes: body.snapshot.bytes }, replaced: false, took_ms: 'number',
    });

    await ingest(beta, sessions(9, 2, 'b'));
    await beta.put('/admin/workspace', { campaigns: [{ id: 'c2', name: 'Two' }], segments: [{ id: 'all', name: 'All', analytics_tracking_enabled: true, filter: { session_count: { op: 'gte', value: 2 } } }] });
    await beta.post('/users/track', { events: [{ external_id: 'x9', name: 'Played', time: '2024-03-06T00:00:00Z' }] });
    const late = (await beta.post('/admin/api_keys', { name: 'late', permissions: ['admin'] })).json() as { key: string };
    const changed = await answers(beta);
    expect(changed.filter((a, i) => a !== before[i]).length).toBeGreaterThanOrEqual(8);

    const restored = await beta.post('/admin/snapshots/base/restore');
    expect([restored.statusCode, restored.json().snapshot.records]).toEqual([200, 25]);
    expect(await answers(beta)).toEqual(before);
    expect((await h.as(late.key).get('/admin/snapshots')).json().snapshots.map((s: { name: string }) => s.name)).toEqual(['base']);
    expect((await h.operator.get('/admin/snapshots')).json().snapshots).toEqual([]);
    expect(await status(h.operator.post('/admin/snapshots/base/restore'))).toEqual([404, "this key's workspace has no snapshot base (it has: none); snapshots are per workspace"]);

    expect((await beta.post('/admin/snapshots', { name: 'base' })).json().replaced).toBe(true);
    expect(await status(beta.post('/admin/snapshots', { name: '../up' }))).toEqual([400, expect.stringContaining('name must be')]);
    expect(await status(beta.post('/admin/snapshots/bsae/restore'))).toEqual([404, "this key's workspace has no snapshot bsae (it has: base); snapshots are per workspace"]);
    // A body left out names what is missing; a misspelt field is named, not ignored.
    expect(await status(beta.post('/admin/snapshots'))).toEqual([400, 'name is required']);
    expect(await status(beta.post('/admin/snapshots', { name: 'x', nmae: 'y' }))).toEqual([400, 'nmae is not a known field']);
    expect((await beta.del('/admin/snapshots/base')).json()).toEqual({ message: 'success' });
    expect(await status(beta.del('/admin/snapshots/base'))).toEqual([404, "this key's workspace has no snapshot base (it has: none); snapshots are per workspace"]);
    expect((await beta.get('/admin/snapshots')).json().snapshots).toEqual([]);
  });

  it('a holder of the gated workspace (a followed bucket) writes into the workspace as it is after a restore', async () => {
    h = await startWorkspaces();
    const beta = await h.workspace('beta');
    const held = h.app.workspaces.gated('beta');
    const body = (tag: string) => ({ bytes: new TextEncoder().encode(JSON.stringify(sessions(2, 1, tag))), format: 'array' as const });
    expect((await held.data.ingestCurrents(body('g1'))).stored).toBe(2);
    await beta.post('/admin/snapshots', { name: 'two' });
    expect((await held.data.ingestCurrents(body('g2'))).stored).toBe(2);
    await beta.post('/admin/snapshots/two/restore');
    expect((await held.data.ingestCurrents(body('g3'))).stored).toBe(2);
    expect([await held.data.recordCount(), await sessionTotal(beta)]).toEqual([4, 4]);
  });

  it('a restore waits for the requests under way, and those that come meanwhile wait for it: every answer is of one state or the other', async () => {
    h = await startWorkspaces();
    const beta = await h.workspace('beta');
    await ingest(beta, sessions(5, 2, 'a'));
    await beta.post('/admin/snapshots', { name: 'ten' });
    await ingest(beta, sessions(5, 1, 'b'));
    const states = new Set([(await beta.get('/sessions/data_series', MONTH)).body]);
    const reads = Array.from({ length: 30 }, (_, i) => (i === 15 ? beta.post('/admin/snapshots/ten/restore') : beta.get('/sessions/data_series', MONTH)));
    const done = await Promise.all(reads);
    states.add((await beta.get('/sessions/data_series', MONTH)).body);
    expect(states.size).toBe(2);
    expect(done.map((r) => r.statusCode)).toEqual(Array(30).fill(200));
    for (const [i, r] of done.entries()) if (i !== 15) expect(states.has(r.body)).toBe(true);
    expect(await sessionTotal(beta)).toBe(10);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { buildDemo } from '@brazen/demo';
import { DuckDbWorkspaces, type Workspace } from '@brazen/store';
import { buildApp, hashKey } from '@brazen/server';

/**
 * A snapshot of the demo workspace (10,000 users × 90 days, as `brazen serve --demo` builds it),
 * timed, and every answer after a restore byte-identical to the answer before: the workspace is
 * first changed in every way it can be (records, users, attributes, definitions and their time
 * zone, a key, an export), then reset, then restored.
 */
const NOW = Date.UTC(2024, 2, 31, 12);
const END = Date.UTC(2024, 3, 1) / 1000;
const USERS = Number(process.env.SNAPSHOT_DEMO_USERS ?? 10_000);
const DAYS = Number(process.env.SNAPSHOT_DEMO_DAYS ?? 90);

describe(`snapshots of the demo workspace (${USERS} users × ${DAYS} days)`, () => {
  let dir: string;
  let store: DuckDbWorkspaces;
  let app: FastifyInstance;
  const send = (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) =>
    app.inject({ method, url, headers: { authorization: 'Bearer demo', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-snapshot-demo-'));
    store = await DuckDbWorkspaces.open(dir, { now: () => NOW });
    await buildDemo(store.workspace(), { users: USERS, days: DAYS, seed: 1, end: END, tmpDir: join(dir, 'tmp') });
    await store.keys.addApiKey({ name: 'demo', workspace: 'default', hash: hashKey('demo'), permissions: ALL_PERMISSIONS, createdAt: new Date(NOW).toISOString() });
    app = await buildApp({ store, now: () => NOW, tmpDir: join(dir, 'tmp'), rateLimits: false, profiles: { idleMs: false } });
    await app.ready();
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every read of the workspace, as bytes: each campaign, Canvas, segment, card, event and product. */
  async function everyAnswer(ws: Workspace): Promise<string[]> {
    const month = 'length=100&ending_at=2024-03-31';
    const urls = [
      '/kpi/dau/data_series?' + month, '/kpi/mau/data_series?' + month, '/kpi/new_users/data_series?' + month, '/kpi/uninstalls/data_series?' + month,
      '/sessions/data_series?' + month, '/sessions/data_series?length=72&unit=hour&ending_at=2024-03-31T23:00:00Z',
      '/events/list', '/purchases/product_list', '/events', '/custom_attributes', '/purchases/revenue_series?' + month, '/purchases/quantity_series?' + month,
      // Not /admin/api_keys: keys are not part of a snapshot (checked below).
      '/campaigns/list', '/canvas/list', '/segments/list', '/feed/list', '/admin/workspace', '/admin/exports',
      ...ws.campaigns.flatMap((c) => [`/campaigns/details?campaign_id=${c.id}`, `/campaigns/data_series?campaign_id=${c.id}&${month}`]),
      ...ws.canvases.flatMap((c) => [`/canvas/details?canvas_id=${c.id}`, `/canvas/data_series?canvas_id=${c.id}&length=14&ending_at=2024-03-31&include_variant_breakdown=true&include_step_breakdown=true`, `/canvas/data_summary?canvas_id=${c.id}&length=14&ending_at=2024-03-31`]),
      ...ws.segments.flatMap((s) => [`/segments/details?segment_id=${s.id}`, `/segments/data_series?segment_id=${s.id}&length=30&ending_at=2024-03-31`]),
      ...ws.cards.flatMap((c) => [`/feed/details?card_id=${c.id}`, `/feed/data_series?card_id=${c.id}&${month}`]),
    ];
    const events = ((await send('GET', '/events/list')).json() as { events: string[] }).events;
    const products = ((await send('GET', '/purchases/product_list')).json() as { products: string[] }).products;
    urls.push(...events.map((e) => `/events/data_series?event=${encodeURIComponent(e)}&${month}`));
    urls.push(...products.map((p) => `/purchases/revenue_series?product=${encodeURIComponent(p)}&${month}`));
    const out: string[] = [];
    for (const url of urls) {
      const res = await send('GET', url);
      out.push(`${res.statusCode} ${url} ${res.body}`);
    }
    for (let from = 0; from < 300; from += 50) {
      const ids = Array.from({ length: 50 }, (_, i) => `user-${String(from + i).padStart(6, '0')}`);
      out.push((await send('POST', '/users/export/ids', { external_ids: ids })).body);
    }
    return out;
  }

  it('saves it, and a restore after every kind of change gives back the same answers, byte for byte', async () => {
    const doc = ((await send('GET', '/admin/workspace')).json()) as Workspace;
    const before = await everyAnswer(doc);
    expect(before.length).toBeGreaterThan(60);

    const save = await send('POST', '/admin/snapshots', { name: 'demo' });
    expect(save.statusCode).toBe(201);
    const saved = save.json() as { snapshot: { records: number; bytes: number }; took_ms: number };

    // Changed in every way it can be.
    expect((await send('POST', '/users/track', {
      attributes: [{ external_id: 'user-000001', first_name: 'Changed' }],
      events: [{ external_id: 'user-000002', name: 'searched', time: '2024-03-30T10:00:00Z' }],
      purchases: [{ external_id: 'user-000003', product_id: 'hoodie', currency: 'USD', price: 49.99, time: '2024-03-30T11:00:00Z' }],
    })).statusCode).toBe(201);
    const currents = [1, 2, 3].map((i) => ({ id: `later-${i}`, event_type: 'users.behaviors.app.SessionStart', user_id: `later-${i}`, time: END - 7200 - i }));
    expect((await app.inject({ method: 'POST', url: '/currents', headers: { authorization: 'Bearer demo', 'content-type': 'application/json' }, payload: JSON.stringify(currents) })).statusCode).toBe(201);
    expect((await send('PUT', '/admin/workspace', { time_zone: 'Asia/Tokyo', campaigns: [{ id: 'new', name: 'New' }] })).statusCode).toBe(200);
    expect((await send('POST', '/admin/api_keys', { name: 'later', permissions: ['admin'] })).statusCode).toBe(201);
    expect((await send('POST', '/users/export/segment', { segment_id: doc.segments[0].id })).statusCode).toBe(201);
    await app.workspaces.context().exports.idle();
    const changed = await everyAnswer(doc);
    expect(changed.filter((a, i) => a !== before[i]).length).toBeGreaterThan(before.length / 2);
    const reset = (await send('POST', '/admin/reset', { definitions: true })).json() as { records_removed: number; took_ms: number };
    expect(reset.records_removed).toBe(saved.snapshot.records + 3 + 2);

    const restore = await send('POST', '/admin/snapshots/demo/restore');
    expect(restore.statusCode).toBe(200);
    const restored = restore.json() as { took_ms: number };
    const after = await everyAnswer(doc);
    expect(after.filter((a, i) => a !== before[i]).map((a) => a.slice(0, 120))).toEqual([]);
    expect(after).toEqual(before);
    // The key made after the save stays: keys are not part of a snapshot.
    expect(((await send('GET', '/admin/api_keys')).json() as { api_keys: Array<{ name: string }> }).api_keys.map((k) => k.name)).toEqual(['demo', 'later']);
    console.log(
      `demo snapshot: ${saved.snapshot.records} records, ${(saved.snapshot.bytes / 1e6).toFixed(1)} MB; ` +
        `save ${saved.took_ms} ms, reset ${reset.took_ms} ms, restore ${restored.took_ms} ms; ${after.length} answers byte-identical after the restore`,
    );
  }, 600_000);
});

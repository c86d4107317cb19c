import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { buildDemo } from '@brazen/demo';
import { DuckDbWorkspaces, type Workspace } from '@brazen/store';
import { buildApp, hashKey } from '@brazen/server';
import { everyAnswer } from './workspace-answers.ts';

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
    await buildDemo(store.workspace(), { users: USERS, days: DAYS, seed: 1, end: END });
    await store.keys.addApiKey({ name: 'demo', workspace: 'default', hash: hashKey('demo'), permissions: ALL_PERMISSIONS, createdAt: new Date(NOW).toISOString() });
    app = await buildApp({ store, now: () => NOW, tmpDir: join(dir, 'tmp'), rateLimits: false, profiles: { idleMs: false } });
    await app.ready();
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('saves it, and a restore after every kind of change gives back the same answers, byte for byte', async () => {
    const doc = ((await send('GET', '/admin/workspace')).json()) as Workspace;
    const before = await everyAnswer(app, 'demo');
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
    const changed = await everyAnswer(app, 'demo');
    expect(changed.filter((a, i) => a !== before[i]).length).toBeGreaterThan(before.length / 2);
    const reset = (await send('POST', '/admin/reset', { definitions: true })).json() as { records_removed: number; took_ms: number };
    expect(reset.records_removed).toBe(saved.snapshot.records + 3 + 2);

    const restore = await send('POST', '/admin/snapshots/demo/restore');
    expect(restore.statusCode).toBe(200);
    const restored = restore.json() as { took_ms: number };
    const after = await everyAnswer(app, 'demo');
    expect(after.filter((a, i) => a !== before[i]).map((a) => a.slice(0, 120))).toEqual([]);
    expect(after).toEqual(before);
    // The key made after the save stays: keys are not part of a snapshot.
    expect(((await send('GET', '/admin/api_keys')).json() as { api_keys: Array<{ name: string }> }).api_keys.map((k) => k.name)).toEqual(['demo', 'later']);
    // The baseline, measured in the same run: the snapshot's data file copied alone.
    const copyStarted = performance.now();
    copyFileSync(join(dir, 'snapshots', 'default', 'demo', 'brazen.duckdb'), join(dir, 'copy.duckdb'));
    const copyMs = Math.round((performance.now() - copyStarted) * 10) / 10;
    console.log(
      `demo snapshot: ${saved.snapshot.records} records, ${(saved.snapshot.bytes / 1e6).toFixed(1)} MB; ` +
        `save ${saved.took_ms} ms, reset ${reset.took_ms} ms, restore ${restored.took_ms} ms (the file copied alone: ${copyMs} ms); ${after.length} answers byte-identical after the restore`,
    );
  }, 600_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbStore, type TrackBatch } from '@brazen/store';

// /users/track is acknowledged once logged and applied in the background (track-log.ts).

const T0 = Date.UTC(2024, 0, 1) / 1000;

/** Holds the store's writer (so that the applier cannot run) until the returned function is called. */
function holdWriter(store: DuckDbStore): () => void {
  let release = () => {};
  const gate = new Promise<void>((r) => (release = r));
  void (store as unknown as { db: { serialized(work: () => Promise<void>): Promise<void> } }).db.serialized(() => gate);
  return release;
}

const purchase = (user: string, price: number, time = T0): TrackBatch['purchases'][number] => ({
  id: `p-${user}-${price}`, eventType: 'users.behaviors.Purchase', time, user: { external_id: user }, name: 'sku', price, currency: 'USD', quantity: 1,
  payload: { external_id: user, product_id: 'sku', price },
});

describe('duckdb store: /users/track through its log', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies requests acknowledged together in their order, as if one by one, and reads wait for them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-track-order-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    const release = holdWriter(store);
    // Both acknowledged while the applier waits, so they are applied in one transaction: the
    // second request's attribute may only update an existing user, made by the first's purchase.
    await store.track({ attributes: [], events: [], purchases: [purchase('x1', 2.5)] });
    await store.track({ attributes: [{ user: { external_id: 'x1' }, time: T0, values: { first_name: 'Ann' }, updateExistingOnly: true }], events: [], purchases: [] });
    // An update-only attribute of somebody nobody made is left out.
    await store.track({ attributes: [{ user: { external_id: 'x2' }, time: T0, values: { first_name: 'Bo' }, updateExistingOnly: true }], events: [], purchases: [] });
    const count = store.recordCount();
    release();
    expect(await count).toBe(1);
    const users = await store.findUsers('external_id', ['x1', 'x2']);
    expect(users.get('x2') ?? []).toEqual([]);
    expect(await store.userProfiles(users.get('x1')!, { fields: ['first_name', 'total_revenue'] })).toEqual(['{"first_name":"Ann","total_revenue":2.5}']);
    await store.close();
  });

  it('applies at open what a store acknowledged and did not apply before it stopped, once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-track-crash-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    await store.track({ attributes: [], events: [], purchases: [purchase('x1', 2.5)] });
    await store.close();
    // What a crash between acknowledgement and application leaves: rows in the log.
    const instance = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
    const conn = await instance.connect();
    const left: TrackBatch = { attributes: [{ user: { external_id: 'x1' }, time: T0, values: { first_name: 'Ann' }, increments: { visits: 2 } }], events: [], purchases: [purchase('x1', 3.25)] };
    await conn.run(`INSERT INTO track_log VALUES (7, $at, $body)`, { at: T0, body: JSON.stringify(left) });
    conn.closeSync();
    instance.closeSync();

    for (let round = 0; round < 2; round++) {
      const reopened = await DuckDbStore.open({ dataDir: dir });
      expect(await reopened.recordCount()).toBe(2);
      const [brazeId] = (await reopened.findUsers('external_id', ['x1'])).get('x1')!;
      expect(await reopened.userProfiles([brazeId], { fields: ['first_name', 'custom_attributes', 'total_revenue'] }))
        .toEqual(['{"first_name":"Ann","custom_attributes":{"visits":2},"total_revenue":5.75}']);
      await reopened.close();
    }
  });

  it('gives a user made by a request the time of that request, among requests applied together', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-track-made-'));
    let now = (T0 + 100) * 1000;
    const store = await DuckDbStore.open({ dataDir: dir, now: () => now });
    const release = holdWriter(store);
    await store.track({ attributes: [{ user: { external_id: 'a' }, time: T0 + 100, values: {} }], events: [], purchases: [] });
    now = (T0 + 200) * 1000;
    await store.track({ attributes: [{ user: { external_id: 'b' }, time: T0 + 200, values: {} }], events: [], purchases: [] });
    release();
    const found = await store.findUsers('external_id', ['a', 'b']);
    const profiles = await store.userProfiles([...found.get('a')!, ...found.get('b')!], { fields: ['created_at'] });
    expect(profiles).toEqual([
      `{"created_at":"${new Date((T0 + 100) * 1000).toISOString()}"}`,
      `{"created_at":"${new Date((T0 + 200) * 1000).toISOString()}"}`,
    ]);
    await store.close();
  });

  it('finds the users of a large group (values joined, not listed) as of a small one, quotes and NULs included', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-track-lookup-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    const ids = ["o'brien", 'nul\u0000id', "it''s", ...Array.from({ length: 300 }, (_, i) => `u${i}`)];
    const visit = (external_id: string) => ({ user: { external_id }, time: T0, values: {}, increments: { visits: 1 } });
    // Made a few at a time (values listed), then all in one request (values joined).
    for (let i = 0; i < ids.length; i += 50) await store.track({ attributes: ids.slice(i, i + 50).map(visit), events: [], purchases: [] });
    const release = holdWriter(store);
    for (let i = 0; i < ids.length; i += 75) await store.track({ attributes: ids.slice(i, i + 75).map(visit), events: [], purchases: [] });
    release();
    const found = await store.findUsers('external_id', ids);
    expect(ids.filter((id) => found.get(id)?.length !== 1)).toEqual([]);
    const profiles = await store.userProfiles(ids.map((id) => found.get(id)![0]), { fields: ['custom_attributes'] });
    expect(new Set(profiles)).toEqual(new Set(['{"custom_attributes":{"visits":2}}']));
    await store.close();
  });
});

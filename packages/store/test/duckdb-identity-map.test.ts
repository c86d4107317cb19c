import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbStore, type TrackBatch } from '@brazen/store';
import { IdentityMap } from '../src/duckdb/identity-map.ts';

// /users/track finds its users in an in-process map of the identities (identity-map.ts), kept up
// to date with the identities table, whoever wrote them.

const T0 = Date.UTC(2024, 0, 1) / 1000;
const NOW = (T0 + 10 * 86_400) * 1000;
const everyKeyCollides = () => 7;


describe('IdentityMap', () => {
  it('keeps keys whose hashes collide apart, by kind and by value', () => {
    const map = new IdentityMap(everyKeyCollides);
    map.add('external_id', 'ann', 1);
    map.add('external_id', 'bob', 2);
    map.add('braze_id', 'ann', 3);
    map.add('external_id', 'Ann', 4);
    map.add('external_id', 'café ☕ 𝄞', 5);
    expect([map.get('external_id', 'ann'), map.get('external_id', 'bob'), map.get('braze_id', 'ann'), map.get('external_id', 'Ann')]).toEqual([1, 2, 3, 4]);
    expect(map.get('external_id', 'café ☕ 𝄞')).toBe(5);
    // A key that collides with every stored one but is none of them names nobody.
    expect(map.get('external_id', 'cat')).toBeUndefined();
    expect(map.get('email', 'ann')).toBeUndefined();
    expect(map.get('external_id', 'an')).toBeUndefined();
    expect(map.get('external_id', 'ann2')).toBeUndefined();
  });

  it('names the most recent user of an email several users share, and keeps no device ids', () => {
    const map = new IdentityMap();
    map.add('email', 'a@x.com', 4);
    map.add('email', 'a@x.com', 9);
    map.add('email', 'a@x.com', 6);
    map.add('device_id', 'd1', 3);
    expect(map.get('email', 'a@x.com')).toBe(9);
    expect(map.get('device_id', 'd1')).toBeUndefined();
    // Each user's row of the email is kept; the device id is not.
    expect(map.size).toBe(3);
  });

  it('grows past its first arrays and finds every key, colliding or not', () => {
    for (const hash of [undefined, everyKeyCollides]) {
      const map = new IdentityMap(hash);
      const n = hash ? 1_500 : 20_000;
      for (let i = 0; i < n; i++) map.add('external_id', `user-${i}-${'x'.repeat(i % 40)}`, i + 1);
      let found = 0;
      for (let i = 0; i < n; i++) if (map.get('external_id', `user-${i}-${'x'.repeat(i % 40)}`) === i + 1) found++;
      expect(found).toBe(n);
      expect(map.get('external_id', `user-${n}-`)).toBeUndefined();
    }
  });
});

const purchase = (user: string, price: number, id = `p-${user}-${price}`): TrackBatch => ({
  attributes: [], events: [],
  purchases: [{ id, eventType: 'users.behaviors.Purchase', time: T0, user: { external_id: user }, name: 'sku', price, currency: 'USD', quantity: 1, payload: { external_id: user, product_id: 'sku', price } }],
});
const updateOnly = (user: string, firstName: string): TrackBatch => ({
  attributes: [{ user: { external_id: user }, time: T0, values: { first_name: firstName }, updateExistingOnly: true }], events: [], purchases: [],
});
const session = (id: string, brazeId: string, externalId: string) =>
  ({ id, event_type: 'users.behaviors.app.SessionStart', user_id: brazeId, external_user_id: externalId, time: T0, app_id: 'a', device_id: `dev-${brazeId}` });

interface Internals {
  users: { keyHash: () => number };
  ingest: { storeTrack(group: Array<{ seq: number; at: number; batch: TrackBatch }>, within: () => Promise<void>): Promise<void> };
  db: { serialized<T>(work: () => Promise<T>): Promise<T> };
}

async function profile(store: DuckDbStore, externalId: string): Promise<string[]> {
  const ids = (await store.findUsers('external_id', [externalId])).get(externalId) ?? [];
  return store.userProfiles(ids, { fields: ['braze_id', 'first_name', 'total_revenue'] });
}

describe('duckdb store: /users/track finds users through the identity map', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('attaches objects of users whose identities share a hash to their own users', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-idmap-collide-'));
    const store = await DuckDbStore.open({ dataDir: dir, now: () => NOW });
    (store as unknown as Internals).users.keyHash = everyKeyCollides;
    await store.track(purchase('ann', 1));
    await store.track(purchase('bob', 10));
    await store.track(purchase('zoë ☕ 𝄞', 0.5));
    await store.recordCount();
    // The map is read from the table here, values of several bytes a character included.
    await store.track(purchase('ann', 2));
    await store.track(purchase('bob', 20));
    await store.track(purchase('cat', 100));
    await store.track(purchase('zoë ☕ 𝄞', 0.25));
    expect(await store.recordCount()).toBe(7);
    expect((await profile(store, 'ann')).map((p) => JSON.parse(p).total_revenue)).toEqual([3]);
    expect((await profile(store, 'bob')).map((p) => JSON.parse(p).total_revenue)).toEqual([30]);
    expect((await profile(store, 'cat')).map((p) => JSON.parse(p).total_revenue)).toEqual([100]);
    expect((await profile(store, 'zoë ☕ 𝄞')).map((p) => JSON.parse(p).total_revenue)).toEqual([0.75]);
    await store.close();
  });

  it('finds the users Currents records made, before and after the map was first read', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-idmap-currents-'));
    const store = await DuckDbStore.open({ dataDir: dir, now: () => NOW });
    const ndjson = (records: unknown[]) => new TextEncoder().encode(records.map((r) => JSON.stringify(r)).join('\n'));
    await store.ingestCurrents({ bytes: ndjson([session('s1', 'braze-one', 'one')]), format: 'ndjson' });
    await store.track(purchase('one', 5));
    await store.recordCount();
    // The map is read; Currents then makes another user, whom the next request names.
    await store.ingestCurrents({ bytes: ndjson([session('s2', 'braze-two', 'two')]), format: 'ndjson' });
    await store.track(updateOnly('two', 'Tess'));
    await store.track(purchase('two', 7));
    expect(await store.recordCount()).toBe(4);
    expect((await profile(store, 'one')).map((p) => JSON.parse(p))).toEqual([{ braze_id: 'braze-one', total_revenue: 5 }]);
    expect((await profile(store, 'two')).map((p) => JSON.parse(p))).toEqual([{ braze_id: 'braze-two', first_name: 'Tess', total_revenue: 7 }]);
    await store.close();
  });

  it('uses nothing of a group that was rolled back, and makes the map again after a reopen', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-idmap-rollback-'));
    const store = await DuckDbStore.open({ dataDir: dir, now: () => NOW });
    const s = store as unknown as Internals;
    await store.track(purchase('kept', 1));
    await store.recordCount();
    // A group that makes the user 'lost', then fails before its commit.
    const failed = s.db.serialized(() => s.ingest.storeTrack([{ seq: 1_000, at: T0, batch: purchase('lost', 2) }], async () => {
      throw new Error('the disk is full');
    }));
    await expect(failed).rejects.toThrow('the disk is full');
    // 'lost' was never made: an update of an existing user only names nobody.
    await store.track(updateOnly('lost', 'Lola'));
    await store.track(purchase('kept', 3));
    expect(await store.recordCount()).toBe(2);
    expect(await profile(store, 'lost')).toEqual([]);
    await store.track(purchase('lost', 4));
    await store.track(purchase('nul\u0000id', 0.5));
    expect(await store.recordCount()).toBe(4);
    expect((await profile(store, 'lost')).map((p) => JSON.parse(p).total_revenue)).toEqual([4]);
    await store.close();

    const reopened = await DuckDbStore.open({ dataDir: dir, now: () => NOW });
    await reopened.track(purchase('kept', 5, 'p-again'));
    await reopened.track(purchase('lost', 6, 'p-again-lost'));
    await reopened.track(purchase('nul\u0000id', 0.25));
    expect(await reopened.recordCount()).toBe(7);
    expect((await profile(reopened, 'kept')).map((p) => JSON.parse(p).total_revenue)).toEqual([9]);
    expect((await profile(reopened, 'lost')).map((p) => JSON.parse(p).total_revenue)).toEqual([10]);
    // A value holding a NUL, read back from the table by the new map.
    expect((await profile(reopened, 'nul\u0000id')).map((p) => JSON.parse(p).total_revenue)).toEqual([0.75]);
    await reopened.close();
  });
});

import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { seriesUnits } from '@brazen/analytics';
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

  it('applies at open the requests a crash left in the log file after the last one applied, once, and leaves no file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-track-file-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    await store.track({ attributes: [], events: [], purchases: [purchase('x1', 2.5)] });
    await store.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('track-log'))).toEqual([]);
    // What a crash leaves: request 8 applied (its seq recorded in the same transaction), 9 not,
    // and a last line cut short by the kill (never acknowledged).
    const instance = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
    const conn = await instance.connect();
    await conn.run(`INSERT OR REPLACE INTO meta VALUES ('track_log_applied', '8')`);
    conn.closeSync();
    instance.closeSync();
    const line = (seq: number, batch: TrackBatch) => JSON.stringify({ seq, at: T0, batch });
    writeFileSync(join(dir, 'track-log-3.ndjson'), [
      line(8, { attributes: [], events: [], purchases: [purchase('x1', 100)] }),
      line(9, { attributes: [{ user: { external_id: 'x1' }, time: T0, values: { first_name: 'Ann' }, increments: { visits: 2 } }], events: [], purchases: [purchase('x1', 3.25)] }),
      line(10, { attributes: [], events: [], purchases: [purchase('x1', 1000)] }).slice(0, 40),
    ].join('\n'));
    for (let round = 0; round < 2; round++) {
      const reopened = await DuckDbStore.open({ dataDir: dir });
      expect(existsSync(join(dir, 'track-log-3.ndjson'))).toBe(false);
      expect(await reopened.recordCount()).toBe(2 + round);
      const [brazeId] = (await reopened.findUsers('external_id', ['x1'])).get('x1')!;
      expect(await reopened.userProfiles([brazeId], { fields: ['first_name', 'custom_attributes', 'total_revenue'] }))
        .toEqual(['{"first_name":"Ann","custom_attributes":{"visits":2},"total_revenue":5.75}']);
      // A request after the reopening takes a seq after those of the file, and is applied.
      if (round === 0) await reopened.track({ attributes: [], events: [], purchases: [purchase('x2', 1)] });
      await reopened.close();
    }
  });

  it('follows values set, incremented and edited in one group, of users made before it and by it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-track-fold-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    const attrs = (external_id: string, values: Record<string, unknown>, more: Partial<TrackBatch['attributes'][number]> = {}) =>
      ({ user: { external_id }, time: T0, values, ...more });
    // `old` is stored before the group: visits 10, tags [a].
    await store.track({ attributes: [attrs('old', { visits: 10, tags: ['a'] })], events: [], purchases: [] });
    await store.recordCount();
    const release = holdWriter(store);
    await store.track({ attributes: [attrs('new', { visits: 5, first_name: 'N' }), attrs('old', {}, { increments: { visits: 1 } })], events: [], purchases: [] });
    await store.track({ attributes: [attrs('new', {}, { increments: { visits: 2 } }), attrs('new', { tags: ['a'] }), attrs('old', {}, { arrayEdits: { tags: { add: ['b'] } } })], events: [], purchases: [] });
    await store.track({ attributes: [attrs('new', {}, { arrayEdits: { tags: { add: ['b'], remove: ['a'] } }, increments: { visits: 1 } }), attrs('old', {}, { increments: { visits: 2.5 } })], events: [], purchases: [] });
    release();
    const found = await store.findUsers('external_id', ['new', 'old']);
    // new: 5 + 2 + 1 = 8, tags [a] + b - a = [b]; old: 10 + 1 + 2.5 = 13.5, tags [a] + b = [a, b].
    expect(await store.userProfiles([...found.get('new')!, ...found.get('old')!], { fields: ['first_name', 'custom_attributes'] })).toEqual([
      '{"first_name":"N","custom_attributes":{"tags":["b"],"visits":8}}',
      '{"custom_attributes":{"tags":["a","b"],"visits":13.5}}',
    ]);
    await store.close();
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

  it('finds the users of a large group as of a small one, quotes and NULs included', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-track-lookup-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    const ids = ["o'brien", 'nul\u0000id', "it''s", ...Array.from({ length: 300 }, (_, i) => `u${i}`)];
    const visit = (external_id: string) => ({ user: { external_id }, time: T0, values: {}, increments: { visits: 1 } });
    // Made a few at a time, then all found again in one group.
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

  it('counts the events of a large group (summed in SQL) as those of requests applied one at a time (summed in JavaScript)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-track-counters-'));
    // 16 requests: 50 custom events each (e0 or e1) in hour r of day 0, and 25 purchases of 'sku' at
    // price 2, quantity 1 or 2, at day 1 + r quarter-hours; 1,200 events, one group when held.
    const request = (r: number): TrackBatch => ({
      attributes: [],
      events: Array.from({ length: 50 }, (_, i) => ({
        id: `e-${r}-${i}`, eventType: 'users.behaviors.CustomEvent', time: T0 + r * 3600, user: { external_id: `u${i}` }, name: `e${r % 2}`,
        payload: { external_id: `u${i}`, name: `e${r % 2}` },
      })),
      purchases: Array.from({ length: 25 }, (_, i) => ({
        ...purchase(`u${i}`, 2, T0 + 86_400 + r * 900), id: `p-${r}-${i}`, quantity: 1 + (i % 2),
      })),
    });
    const series = async (store: DuckDbStore) => {
      const days = { unit: 'day' as const, zone: 'UTC', list: seriesUnits('day', 2, T0 + 86_400, 'UTC') };
      const hours = { unit: 'hour' as const, zone: 'UTC', list: seriesUnits('hour', 48, T0 + 47 * 3600, 'UTC') };
      return Promise.all([
        store.counterSeries({ kind: 'custom_event', units: days }),
        store.counterSeries({ kind: 'custom_event', name: 'e1', units: days }),
        store.counterSeries({ kind: 'purchase', units: days }),
        store.counterSeries({ kind: 'purchase', name: 'sku', units: hours }),
        store.counterSeries({ kind: 'custom_event', name: 'e0', units: hours }),
      ]);
    };
    const held = await DuckDbStore.open({ dataDir: join(dir, 'held') });
    const release = holdWriter(held);
    for (let r = 0; r < 16; r++) await held.track(request(r));
    release();
    const [events, e1, purchases, ...hourly] = await series(held);
    // By hand: 16 x 50 custom events on day 0, half of them e1; 16 x 25 purchases on day 1 with
    // quantities 13 x 1 + 12 x 2 = 37 a request (592 in all), at 2 USD each (1,184 USD).
    expect(events).toEqual([{ count: 800, quantity: 800, revenue: 0 }, { count: 0, quantity: 0, revenue: 0 }]);
    expect(e1).toEqual([{ count: 400, quantity: 400, revenue: 0 }, { count: 0, quantity: 0, revenue: 0 }]);
    expect(purchases).toEqual([{ count: 0, quantity: 0, revenue: 0 }, { count: 400, quantity: 592, revenue: 1184 }]);
    const oneByOne = await DuckDbStore.open({ dataDir: join(dir, 'one-by-one') });
    for (let r = 0; r < 16; r++) {
      await oneByOne.track(request(r));
      await oneByOne.recordCount();
    }
    expect(await series(oneByOne)).toEqual([events, e1, purchases, ...hourly]);
    // Hour 24 + k holds the purchases of requests 4k..4k+3 (quarter-hours); e0 is in the even hours.
    expect(hourly[0].slice(24, 29).map((t) => t.count)).toEqual([100, 100, 100, 100, 0]);
    expect(hourly[1].slice(0, 17).map((t) => t.count)).toEqual([50, 0, 50, 0, 50, 0, 50, 0, 50, 0, 50, 0, 50, 0, 50, 0, 0]);
    await held.close();
    await oneByOne.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, currents, ndjson, startHarness, type Harness } from './harness.ts';

const SESSION = 'users.behaviors.app.SessionStart';
const NDJSON = { 'content-type': 'application/x-ndjson' };

/** Every expected figure below is counted by hand from the records each test sends. */
describe('KPI series', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: Date.UTC(2024, 2, 15, 12) });
    const records = [
      // alice: one session on Jan 1 only -> in MAU through Jan 30 (day 30), out on Jan 31.
      currents(SESSION, 'alice', at('2024-01-01T08:00:00'), { app_id: 'ios' }),
      // bob: Jan 6 arrives before Jan 5 (out of order); two sessions on Jan 5.
      currents(SESSION, 'bob', at('2024-01-06T09:00:00'), { app_id: 'android' }),
      currents(SESSION, 'bob', at('2024-01-05T10:00:00'), { app_id: 'android' }),
      currents(SESSION, 'bob', at('2024-01-05T23:59:59'), { app_id: 'ios' }),
      // carol: Jan 31 only.
      currents(SESSION, 'carol', at('2024-01-31T00:00:00'), { app_id: 'ios' }),
      currents('users.behaviors.Uninstall', 'alice', at('2024-01-20T12:00:00'), { app_id: 'ios' }),
      currents('users.behaviors.Uninstall', 'bob', at('2024-01-20T13:00:00'), { app_id: 'android' }),
    ];
    for (const r of records) {
      const res = await h.post('/currents', ndjson([r]), NDJSON);
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(() => h.close());

  const series = async (path: string, query: Record<string, string | number>) => {
    const res = await h.get(path, query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ message: string; data: Array<Record<string, unknown>> }>();
  };

  it('MAU counts a user through day 30 of the window and not day 31', async () => {
    const body = await series('/kpi/mau/data_series', { length: 4, ending_at: '2024-02-01T10:00:00Z' });
    expect(body).toEqual({
      message: 'success',
      data: [
        // Jan 29 and 30: alice (Jan 1) + bob (Jan 5-6). Jan 31: alice is out, carol in. Feb 1 the same.
        { time: '2024-01-29', mau: 2 },
        { time: '2024-01-30', mau: 2 },
        { time: '2024-01-31', mau: 2 },
        { time: '2024-02-01', mau: 2 },
      ],
    });
    const feb = await series('/kpi/mau/data_series', { length: 2, ending_at: '2024-02-05' });
    // bob's last session day is Jan 6: in MAU through Feb 4 (day 30), out on Feb 5; carol stays.
    expect(feb.data).toEqual([
      { time: '2024-02-04', mau: 2 },
      { time: '2024-02-05', mau: 1 },
    ]);
  });

  it('DAU counts distinct users per day, zeros included', async () => {
    const body = await series('/kpi/dau/data_series', { length: 3, ending_at: '2024-01-06' });
    expect(body.data).toEqual([
      { time: '2024-01-04', dau: 0 },
      { time: '2024-01-05', dau: 1 },
      { time: '2024-01-06', dau: 1 },
    ]);
  });

  it('new users count on the first-session day only, even when it arrived last', async () => {
    const body = await series('/kpi/new_users/data_series', { length: 7, ending_at: '2024-01-06' });
    // Dec 31 .. Jan 6: alice new on Jan 1, bob on Jan 5 (his Jan 6 session arrived first).
    expect(body.data.map((d) => d.new_users)).toEqual([0, 1, 0, 0, 0, 1, 0]);
  });

  it('app_id restricts to one app', async () => {
    const dau = await series('/kpi/dau/data_series', { length: 2, ending_at: '2024-01-06', app_id: 'android' });
    expect(dau.data).toEqual([
      { time: '2024-01-05', dau: 1 },
      { time: '2024-01-06', dau: 1 },
    ]);
    const mau = await series('/kpi/mau/data_series', { length: 1, ending_at: '2024-01-31', app_id: 'ios' });
    // ios on Jan 31: bob (Jan 5, ios session) and carol; alice's Jan 1 is out.
    expect(mau.data).toEqual([{ time: '2024-01-31', mau: 2 }]);
    const fresh = await series('/kpi/new_users/data_series', { length: 1, ending_at: '2024-01-05', app_id: 'ios' });
    expect(fresh.data).toEqual([{ time: '2024-01-05', new_users: 1 }]);
  });

  it('uninstalls per day, per app', async () => {
    expect((await series('/kpi/uninstalls/data_series', { length: 2, ending_at: '2024-01-21' })).data).toEqual([
      { time: '2024-01-20', uninstalls: 2 },
      { time: '2024-01-21', uninstalls: 0 },
    ]);
    expect((await series('/kpi/uninstalls/data_series', { length: 1, ending_at: '2024-01-20', app_id: 'ios' })).data).toEqual([
      { time: '2024-01-20', uninstalls: 1 },
    ]);
  });

  it('ending_at defaults to now and accepts every ISO 8601 form', async () => {
    const now = await series('/kpi/dau/data_series', { length: 1 });
    expect(now.data).toEqual([{ time: '2024-03-15', dau: 0 }]);
    for (const endingAt of ['2024-01-05', '2024-01-05T23:59:59Z', '2024-01-05T18:00:00-05:00', '2024-01-05T12:00:00.123456Z', '20240105T120000Z']) {
      const body = await series('/kpi/dau/data_series', { length: 1, ending_at: endingAt });
      expect([endingAt, body.data]).toEqual([endingAt, [{ time: '2024-01-05', dau: 1 }]]);
    }
  });

  it('ignores unknown query parameters, as connectors send them', async () => {
    const body = await series('/kpi/dau/data_series', { length: 1, ending_at: '2024-01-05', page_size: 50, start_time: 'x' });
    expect(body.data).toEqual([{ time: '2024-01-05', dau: 1 }]);
  });
});

describe('sessions, events and purchases series', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const put = await h.put('/admin/workspace', {
      time_zone: 'America/New_York',
      apps: [{ id: 'ios', name: 'iOS' }, { id: 'web', name: 'Web' }],
      currency_rates: { EUR: 1.1 },
    });
    expect(put.statusCode, put.body).toBe(200);
    const records = [
      // Fall back on 2024-11-03 in New York: 01:00-02:00 happens twice (EDT 05:00Z, then EST 06:00Z).
      currents(SESSION, 'u1', at('2024-11-03T04:30:00'), { app_id: 'ios' }), // 00:30 EDT
      currents(SESSION, 'u1', at('2024-11-03T05:10:00'), { app_id: 'ios' }), // 01:10 EDT
      currents(SESSION, 'u2', at('2024-11-03T05:50:00'), { app_id: 'web' }), // 01:50 EDT
      currents(SESSION, 'u2', at('2024-11-03T06:20:00'), { app_id: 'web' }), // 01:20 EST
      currents(SESSION, 'u3', at('2024-11-04T04:30:00'), { app_id: 'ios' }), // 23:30 EST Nov 3
      currents(SESSION, 'u3', at('2024-11-04T05:30:00'), { app_id: 'ios' }), // 00:30 EST Nov 4
      // Spring forward on 2024-03-10: 02:00 EST jumps to 03:00 EDT.
      currents(SESSION, 'u1', at('2024-03-10T06:30:00'), { app_id: 'ios' }), // 01:30 EST
      currents(SESSION, 'u1', at('2024-03-10T07:30:00'), { app_id: 'ios' }), // 03:30 EDT
      currents('users.behaviors.CustomEvent', 'u1', at('2024-11-03T15:00:00'), { name: 'Played', app_id: 'ios' }),
      currents('users.behaviors.CustomEvent', 'u2', at('2024-11-03T16:00:00'), { name: 'Played', app_id: 'web' }),
      currents('users.behaviors.CustomEvent', 'u2', at('2024-11-03T16:00:00'), { name: 'Shared', app_id: 'web' }),
    ];
    expect((await h.post('/currents', records, { 'content-type': 'application/json' })).statusCode).toBe(201);
    const track = await h.post('/users/track', {
      purchases: [
        { external_id: 'p1', product_id: 'Gem Pack', price: 4.99, quantity: 3, currency: 'USD', time: '2024-11-02T12:00:00-04:00', app_id: 'ios' },
        { external_id: 'p2', product_id: 'Gem Pack', price: 10, currency: 'EUR', time: '2024-11-02T13:00:00-04:00', app_id: 'web' },
        { external_id: 'p2', product_id: 'Coin', price: 0.99, quantity: 2, currency: 'USD', time: '2024-11-03T09:00:00-05:00', app_id: 'web' },
      ],
    });
    expect(track.json()).toEqual({ message: 'success', attributes_processed: 0, events_processed: 0, purchases_processed: 3 });
  });
  afterAll(() => h.close());

  const data = async (path: string, query: Record<string, string | number>) => {
    const res = await h.get(path, query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ data: unknown[] }>().data;
  };

  it('hour buckets follow the local clock across a DST fall-back', async () => {
    expect(await data('/sessions/data_series', { unit: 'hour', length: 4, ending_at: '2024-11-03T02:30:00-05:00' })).toEqual([
      { time: '2024-11-03T00:00:00-04:00', sessions: 1 },
      { time: '2024-11-03T01:00:00-04:00', sessions: 2 },
      { time: '2024-11-03T01:00:00-05:00', sessions: 1 },
      { time: '2024-11-03T02:00:00-05:00', sessions: 0 },
    ]);
  });

  it('hour buckets skip the hour lost at DST spring-forward', async () => {
    expect(await data('/sessions/data_series', { unit: 'hour', length: 3, ending_at: '2024-03-10T03:59:00-04:00' })).toEqual([
      { time: '2024-03-10T00:00:00-05:00', sessions: 0 },
      { time: '2024-03-10T01:00:00-05:00', sessions: 1 },
      { time: '2024-03-10T03:00:00-04:00', sessions: 1 },
    ]);
  });

  it('days are local days: the 25-hour Nov 3 holds its late-evening session', async () => {
    expect(await data('/sessions/data_series', { length: 3, ending_at: '2024-11-04' })).toEqual([
      { time: '2024-11-02', sessions: 0 },
      { time: '2024-11-03', sessions: 5 },
      { time: '2024-11-04', sessions: 1 },
    ]);
    expect(await data('/sessions/data_series', { length: 1, ending_at: '2024-11-03', app_id: 'web' })).toEqual([{ time: '2024-11-03', sessions: 2 }]);
    expect(await data('/kpi/dau/data_series', { length: 2, ending_at: '2024-11-04' })).toEqual([
      { time: '2024-11-03', dau: 3 },
      { time: '2024-11-04', dau: 1 },
    ]);
  });

  it('custom event series by name and app', async () => {
    expect(await data('/events/data_series', { event: 'Played', length: 2, ending_at: '2024-11-04' })).toEqual([
      { time: '2024-11-03', count: 2 },
      { time: '2024-11-04', count: 0 },
    ]);
    expect(await data('/events/data_series', { event: 'Played', length: 1, ending_at: '2024-11-03', app_id: 'web' })).toEqual([
      { time: '2024-11-03', count: 1 },
    ]);
    expect(await data('/events/data_series', { event: 'Played', unit: 'hour', length: 2, ending_at: '2024-11-03T11:00:00-05:00' })).toEqual([
      { time: '2024-11-03T10:00:00-05:00', count: 1 },
      { time: '2024-11-03T11:00:00-05:00', count: 1 },
    ]);
  });

  it('revenue is price times quantity in USD; quantity sums quantities; product restricts', async () => {
    // Nov 2: 4.99 x 3 = 14.97 USD + 10 EUR x 1.1 = 11.00 USD -> 25.97. Nov 3: 0.99 x 2 = 1.98.
    expect(await data('/purchases/revenue_series', { length: 2, ending_at: '2024-11-03' })).toEqual([
      { time: '2024-11-02', revenue: 25.97 },
      { time: '2024-11-03', revenue: 1.98 },
    ]);
    expect(await data('/purchases/quantity_series', { length: 2, ending_at: '2024-11-03' })).toEqual([
      { time: '2024-11-02', purchase_quantity: 4 },
      { time: '2024-11-03', purchase_quantity: 2 },
    ]);
    expect(await data('/purchases/revenue_series', { length: 2, ending_at: '2024-11-03', product: 'Gem Pack', app_id: 'web' })).toEqual([
      { time: '2024-11-02', revenue: 11 },
      { time: '2024-11-03', revenue: 0 },
    ]);
    expect(await data('/purchases/quantity_series', { length: 1, ending_at: '2024-11-03', product: 'Coin' })).toEqual([
      { time: '2024-11-03', purchase_quantity: 2 },
    ]);
  });
});

describe('name lists', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('lists 250 custom event names a page, alphabetically, and products likewise', async () => {
    const names = Array.from({ length: 260 }, (_, i) => `event-${String((i * 7919) % 260).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 75) {
      const events = names.slice(i, i + 75).map((name) => ({ external_id: 'u', name, time: '2024-01-01T00:00:00Z' }));
      const purchases = names.slice(i, i + 75).map((name) => ({ external_id: 'u', product_id: `sku-${name}`, price: 1, currency: 'USD', time: '2024-01-01T00:00:00Z' }));
      expect((await h.post('/users/track', { events, purchases })).statusCode).toBe(201);
    }
    const expected = Array.from({ length: 260 }, (_, i) => `event-${String(i).padStart(3, '0')}`);
    const page0 = (await h.get('/events/list')).json<{ events: string[] }>().events;
    const page1 = (await h.get('/events/list', { page: 1 })).json<{ events: string[] }>().events;
    const page2 = (await h.get('/events/list', { page: 2 })).json<{ events: string[] }>().events;
    expect(page0).toEqual(expected.slice(0, 250));
    expect(page1).toEqual(expected.slice(250));
    expect(page2).toEqual([]);
    const products = (await h.get('/purchases/product_list', { page: 1 })).json<{ products: string[] }>().products;
    expect(products).toEqual(expected.slice(250).map((n) => `sku-${n}`));
  });
});

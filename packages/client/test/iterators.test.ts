import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrazeClient, BrazeError } from '../src/index.ts';
import { at, currents, startBrazen, type Brazen } from './brazen.ts';
import { scriptedServer, type ScriptedServer } from './scripted-server.ts';

const SESSION = 'users.behaviors.app.SessionStart';

/** A client whose requests are listed (query parameters only), over the real network. */
function listedClient(brazen: Brazen) {
  const asked: Array<Record<string, string>> = [];
  const client = brazen.client({
    fetch: (input, init) => {
      const url = new URL(String(input));
      asked.push({ path: url.pathname, ...Object.fromEntries(url.searchParams) });
      return fetch(input, init);
    },
  });
  return { client, asked };
}

const zeroPad = (n: number) => String(n).padStart(3, '0');

describe('iterators against brazen (workspace in UTC)', () => {
  let brazen: Brazen;
  beforeAll(async () => {
    brazen = await startBrazen();
    const client = brazen.client();
    // 501 custom event names ev-000 .. ev-500 and exactly 500 products p-000 .. p-499.
    const records = [];
    for (let i = 0; i <= 500; i++) records.push(currents('users.behaviors.CustomEvent', 'u1', at('2024-03-01T10:00:00') + i, { name: `ev-${zeroPad(i)}` }));
    for (let i = 0; i < 500; i++) records.push(currents('users.behaviors.Purchase', 'u1', at('2024-03-01T11:00:00') + i, { product_id: `p-${zeroPad(i)}`, price: 1 }));
    // Sessions on both sides of every seam of a 250-day series ending 2024-03-31, whose windows are
    // 2023-07-26..09-13 (50 days), 09-14..12-22 (100) and 2023-12-23..2024-03-31 (100).
    for (const day of ['2023-07-26', '2023-09-13', '2023-09-14', '2023-12-22', '2023-12-23', '2024-03-31']) {
      records.push(currents(SESSION, 'u1', at(`${day}T10:00:00`)));
    }
    // And on both sides of the seams of a 250-hour series ending in the 11:00 hour of Mar 31:
    // 03-21 02:00..03-23 03:00 (50 hours), 03-23 04:00..03-27 07:00 (100), 03-27 08:00..03-31 11:00 (100).
    for (const hour of ['2024-03-21T02:10:00', '2024-03-23T03:10:00', '2024-03-23T04:10:00', '2024-03-27T07:10:00', '2024-03-27T08:10:00']) {
      records.push(currents(SESSION, 'u2', at(hour)));
    }
    const answer = await client.currentsIngest(records);
    expect(answer.events_processed).toBe(records.length);
  });
  afterAll(() => brazen.close());

  it('items() crosses pages of 250 event names and stops after the short page', async () => {
    const { client, asked } = listedClient(brazen);
    const names: string[] = [];
    for await (const name of client.items('eventsList')) names.push(name);
    expect(names).toHaveLength(501);
    expect([names[0], names[249], names[250], names[499], names[500]]).toEqual(['ev-000', 'ev-249', 'ev-250', 'ev-499', 'ev-500']);
    expect(asked.map((q) => q.page)).toEqual(['0', '1', '2']);
  });

  it('pages() of a list that fills its pages exactly ends on the empty page after', async () => {
    const { client, asked } = listedClient(brazen);
    const sizes: number[] = [];
    for await (const page of client.pages('purchasesProductList')) sizes.push(page.products.length);
    expect(sizes).toEqual([250, 250, 0]);
    expect(asked.map((q) => [q.path, q.page])).toEqual([
      ['/purchases/product_list', '0'],
      ['/purchases/product_list', '1'],
      ['/purchases/product_list', '2'],
    ]);
  });

  it('pages() starts at the page asked for', async () => {
    const { client } = listedClient(brazen);
    const firsts: string[] = [];
    for await (const page of client.pages('eventsList', { page: 1 })) firsts.push(page.events[0]);
    expect(firsts).toEqual(['ev-250', 'ev-500']);
  });

  it('series() stitches 250 days from windows of 100, oldest first, every seam exact', async () => {
    const { client, asked } = listedClient(brazen);
    const points = [];
    for await (const point of client.series('sessionsDataSeries', { length: 250, ending_at: '2024-03-31' })) points.push(point);
    expect(points).toHaveLength(250);
    expect(new Set(points.map((p) => p.time)).size).toBe(250);
    expect([points[0].time, points[49].time, points[50].time, points[149].time, points[150].time, points[249].time]).toEqual([
      '2023-07-26',
      '2023-09-13',
      '2023-09-14',
      '2023-12-22',
      '2023-12-23',
      '2024-03-31',
    ]);
    // The seam days, and the days of the hourly sessions (Mar 21, 23 and 27).
    expect(points.filter((p) => p.sessions > 0).map((p) => p.time)).toEqual([
      '2023-07-26',
      '2023-09-13',
      '2023-09-14',
      '2023-12-22',
      '2023-12-23',
      '2024-03-21',
      '2024-03-23',
      '2024-03-27',
      '2024-03-31',
    ]);
    expect(asked.map((q) => [q.length, q.ending_at])).toEqual([
      ['100', '2024-03-31'],
      ['50', '2023-09-13T12:00:00'],
      ['100', '2023-12-22T12:00:00'],
    ]);
  });

  it('series() by the hour: 250 hours from windows of 100', async () => {
    const { client, asked } = listedClient(brazen);
    const points = [];
    for await (const point of client.series('sessionsDataSeries', { length: 250, unit: 'hour', ending_at: '2024-03-31T11:30:00Z' })) points.push(point);
    expect(points).toHaveLength(250);
    expect([points[0].time, points[249].time]).toEqual(['2024-03-21T02:00:00+00:00', '2024-03-31T11:00:00+00:00']);
    expect(points.filter((p) => p.sessions > 0).map((p) => p.time)).toEqual([
      '2024-03-21T02:00:00+00:00',
      '2024-03-23T03:00:00+00:00',
      '2024-03-23T04:00:00+00:00',
      '2024-03-27T07:00:00+00:00',
      '2024-03-27T08:00:00+00:00',
      '2024-03-31T10:00:00+00:00', // the daily test's session on Mar 31
    ]);
    expect(asked.map((q) => [q.length, q.ending_at])).toEqual([
      ['100', '2024-03-31T11:30:00Z'],
      ['50', '2024-03-23T03:30:00.000Z'],
      ['100', '2024-03-27T07:30:00.000Z'],
    ]);
  });

  it('series() of at most 100 units is one request, passed through', async () => {
    const { client, asked } = listedClient(brazen);
    const points = [];
    for await (const point of client.series('kpiDauDataSeries', { length: 2, ending_at: '2024-03-31' })) points.push(point);
    expect(points).toEqual([
      { time: '2024-03-30', dau: 0 },
      { time: '2024-03-31', dau: 1 },
    ]);
    expect(asked).toHaveLength(1);
  });
});

describe('series windows in a workspace time zone with DST (America/New_York)', () => {
  let brazen: Brazen;
  beforeAll(async () => {
    brazen = await startBrazen();
    const client = brazen.client();
    await client.adminPutWorkspace({ time_zone: 'America/New_York' });
    const local = (iso: string) => Date.parse(iso) / 1000;
    await client.currentsIngest([
      // Either side of a day seam: 23:30 on Dec 22 and 00:30 on Dec 23, New York time.
      currents(SESSION, 'n1', local('2023-12-22T23:30:00-05:00')),
      currents(SESSION, 'n1', local('2023-12-23T00:30:00-05:00')),
      // Either side of an hour seam placed on the spring-forward gap: 01:15 EST and 03:10 EDT, Mar 10.
      currents(SESSION, 'n2', local('2024-03-10T01:15:00-05:00')),
      currents(SESSION, 'n2', local('2024-03-10T03:10:00-04:00')),
    ]);
  });
  afterAll(() => brazen.close());

  it('day windows end at local noon, so the seam falls between local days', async () => {
    const points = [];
    for await (const point of brazen.client().series('sessionsDataSeries', { length: 150, ending_at: '2024-03-31T12:00:00-04:00' })) points.push(point);
    expect(points).toHaveLength(150);
    // The newest window is 2023-12-23 .. 2024-03-31; the older one ends on 2023-12-22.
    expect(points.slice(49, 51)).toEqual([
      { time: '2023-12-22', sessions: 1 },
      { time: '2023-12-23', sessions: 1 },
    ]);
  });

  it('hour windows meet across the spring-forward gap', async () => {
    const points = [];
    // 120 hours ending in the 06:00 EDT hour of Mar 14: the newest 100 start at 03:00 EDT Mar 10.
    for await (const point of brazen.client().series('sessionsDataSeries', { length: 120, unit: 'hour', ending_at: '2024-03-14T06:30:00-04:00' })) {
      points.push(point);
    }
    expect(points).toHaveLength(120);
    expect(points.slice(18, 22)).toEqual([
      { time: '2024-03-10T00:00:00-05:00', sessions: 0 },
      { time: '2024-03-10T01:00:00-05:00', sessions: 1 },
      { time: '2024-03-10T03:00:00-04:00', sessions: 1 },
      { time: '2024-03-10T04:00:00-04:00', sessions: 0 },
    ]);
  });
});

describe('iterators over definitions (run once brazen answers the routes)', () => {
  let brazen: Brazen;
  beforeAll(async () => {
    brazen = await startBrazen();
    const client = brazen.client();
    // 201 campaigns created a day apart: pages of 100, 100 and 1.
    const campaigns = Array.from({ length: 201 }, (_, i) => ({
      id: `c-${zeroPad(i)}`,
      name: `Campaign ${i}`,
      created_at: new Date(Date.UTC(2023, 0, 1 + i)).toISOString(),
      updated_at: new Date(Date.UTC(2023, 0, 1 + i)).toISOString(),
      tags: [],
    }));
    const canvas = { id: 'cv-1', name: 'Journey', created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', variants: [], steps: [], tags: [] };
    await client.adminPutWorkspace({ campaigns, canvases: [canvas] });
    // Canvas entries either side of the seams of a 30-day series ending Mar 31, whose windows are
    // 03-02..03-03 (2 days), 03-04..03-17 (14) and 03-18..03-31 (14).
    await client.currentsIngest(
      ['2024-03-02', '2024-03-03', '2024-03-04', '2024-03-17', '2024-03-18', '2024-03-31'].map((day, i) =>
        currents('users.canvas.Entry', `e${i}`, at(`${day}T10:00:00`), { canvas_id: 'cv-1' }),
      ),
    );
  });
  afterAll(() => brazen.close());

  it('items() of campaigns across pages of 100', async () => {
    const ids: string[] = [];
    for await (const campaign of brazen.client().items('campaignsList')) ids.push(campaign.id);
    expect(ids).toHaveLength(201);
    expect([ids[0], ids[99], ids[100], ids[199], ids[200]]).toEqual(['c-000', 'c-099', 'c-100', 'c-199', 'c-200']);
  });

  it('series() of a Canvas stitches windows of 14 days', async () => {
    const points = [];
    for await (const point of brazen.client().series('canvasDataSeries', { canvas_id: 'cv-1', length: 30, ending_at: '2024-03-31' })) points.push(point);
    expect(points).toHaveLength(30);
    expect(points.filter((p) => p.total_stats.entries > 0).map((p) => p.time.slice(0, 10))).toEqual([
      '2024-03-02',
      '2024-03-03',
      '2024-03-04',
      '2024-03-17',
      '2024-03-18',
      '2024-03-31',
    ]);
  });
});

describe('a series whose windows do not line up', () => {
  let server: ScriptedServer | undefined;
  afterEach(() => server?.close());

  it('is refused rather than stitched with a gap', async () => {
    const day = (time: string) => ({ time, dau: 1 });
    // Two windows of 100 days; the older one answers a day short of the seam.
    const newest = Array.from({ length: 100 }, (_, i) => day(new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10)));
    const older = Array.from({ length: 100 }, (_, i) => day(new Date(Date.UTC(2023, 8, 22 + i)).toISOString().slice(0, 10)));
    server = await scriptedServer([
      { status: 200, body: { message: 'success', data: newest } },
      { status: 200, body: { message: 'success', data: older } },
    ]);
    const client = new BrazeClient({ apiKey: 'k', baseUrl: server.url });
    const points: unknown[] = [];
    const error = await (async () => {
      for await (const point of client.series('kpiDauDataSeries', { length: 200 })) points.push(point);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrazeError);
    expect((error as Error).message).toBe(
      'kpiDauDataSeries: the window asked to end on 2023-12-31 with 100 units ended on 2023-12-30 with 100; the series cannot be stitched',
    );
    expect(points).toEqual([]);
  });
});

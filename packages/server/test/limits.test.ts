import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ALL_PERMISSIONS, endpoints } from '@brazen/contract';
import type { Store } from '@brazen/store';
import { openTestStore } from './test-store.ts';
import { buildApp, hashKey, type CompatName } from '@brazen/server';

/**
 * The limits table of the README, per --compat profile, on an injected clock: every endpoint's
 * X-RateLimit-Limit, -Remaining and -Reset, which endpoints share a budget, the 429 at each small
 * limit and the window that ends it, and the most ids /users/export/ids takes.
 */

// 2024-03-01T10:20:30Z. Its hour ends at 11:00:00, its minute at 10:21:00, and its three-second
// window (windows are aligned to the epoch; 1709288430 is a multiple of 3) at 10:20:33.
const T = Date.UTC(2024, 2, 1, 10, 20, 30) / 1000;
const HOUR_END = 1709290800;
const MINUTE_END = 1709288460;
const THREE_S_END = 1709288433;

type Row = [method: 'GET' | 'POST', path: string, limit: number, reset: number, remaining: number];

/** Braze's limits of today, each endpoint requested once in this order. The 18 endpoints Braze lists
 * as sharing 250,000 an hour count one budget down; the four list endpoints share 1,000 an hour. */
const CURRENT: Row[] = [
  ['GET', '/campaigns/list', 250_000, HOUR_END, 249_999],
  ['GET', '/campaigns/details', 250_000, HOUR_END, 249_998],
  ['GET', '/canvas/list', 250_000, HOUR_END, 249_997],
  ['GET', '/canvas/details', 250_000, HOUR_END, 249_996],
  ['GET', '/canvas/data_series', 250_000, HOUR_END, 249_995],
  ['GET', '/canvas/data_summary', 250_000, HOUR_END, 249_994],
  ['GET', '/events/data_series', 250_000, HOUR_END, 249_993],
  ['GET', '/kpi/dau/data_series', 250_000, HOUR_END, 249_992],
  ['GET', '/kpi/mau/data_series', 250_000, HOUR_END, 249_991],
  ['GET', '/kpi/new_users/data_series', 250_000, HOUR_END, 249_990],
  ['GET', '/kpi/uninstalls/data_series', 250_000, HOUR_END, 249_989],
  ['GET', '/segments/list', 250_000, HOUR_END, 249_988],
  ['GET', '/segments/details', 250_000, HOUR_END, 249_987],
  ['GET', '/segments/data_series', 250_000, HOUR_END, 249_986],
  ['GET', '/sends/data_series', 250_000, HOUR_END, 249_985],
  ['GET', '/sessions/data_series', 250_000, HOUR_END, 249_984],
  ['POST', '/users/export/segment', 250_000, HOUR_END, 249_983],
  ['POST', '/users/export/global_control_group', 250_000, HOUR_END, 249_982],
  ['GET', '/events/list', 1_000, HOUR_END, 999],
  ['GET', '/purchases/product_list', 1_000, HOUR_END, 998],
  ['GET', '/events', 1_000, HOUR_END, 997],
  ['GET', '/custom_attributes', 1_000, HOUR_END, 996],
  ['POST', '/users/export/ids', 250, MINUTE_END, 249],
  ['GET', '/campaigns/data_series', 50_000, MINUTE_END, 49_999],
  ['POST', '/users/track', 3_000, THREE_S_END, 2_999],
  ['GET', '/purchases/revenue_series', 250_000, HOUR_END, 249_999],
  ['GET', '/purchases/quantity_series', 250_000, HOUR_END, 249_999],
  ['GET', '/feed/list', 250_000, HOUR_END, 249_999],
  ['GET', '/feed/details', 250_000, HOUR_END, 249_999],
  ['GET', '/feed/data_series', 250_000, HOUR_END, 249_999],
  ['POST', '/export/segment/cancel', 250_000, HOUR_END, 249_999],
  ['POST', '/currents', 250_000, HOUR_END, 249_999],
];

/** `--compat legacy`: every endpoint 250,000 an hour of its own, but the list endpoints (1,000 an
 * hour together) and /campaigns/data_series (50,000 a minute). */
const LEGACY: Row[] = CURRENT.map(([method, path]): Row => {
  const shared = ['/events/list', '/purchases/product_list', '/events', '/custom_attributes'];
  if (shared.includes(path)) return [method, path, 1_000, HOUR_END, 999 - shared.indexOf(path)];
  if (path === '/campaigns/data_series') return [method, path, 50_000, MINUTE_END, 49_999];
  return [method, path, 250_000, HOUR_END, 249_999];
});

const KEY = 'limits-key';
const clock = { now: T };
let app: FastifyInstance | undefined;
let store: Store | undefined;

async function start(compat?: CompatName): Promise<FastifyInstance> {
  store = await openTestStore({ dir: ':memory:' });
  await store.keys.addApiKey({ name: 'limits', workspace: 'default', hash: hashKey(KEY), permissions: ALL_PERMISSIONS, createdAt: '2024-01-01T00:00:00Z' });
  app = await buildApp({ store, now: () => clock.now * 1000, compat });
  return app;
}
afterEach(async () => {
  await app?.close();
  await store?.close();
  app = store = undefined;
  clock.now = T;
});

/** A request that changes nothing (a POST's body is missing what it needs: 400 after counting). */
function send(a: FastifyInstance, method: 'GET' | 'POST', path: string, body: unknown = { output_format: 'rar' }) {
  return a.inject({
    method,
    url: path,
    headers: { authorization: `Bearer ${KEY}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    payload: method === 'POST' ? JSON.stringify(body) : undefined,
  });
}
const state = (res: { statusCode: number; headers: Record<string, unknown> }) => [
  Number(res.headers['x-ratelimit-limit']), Number(res.headers['x-ratelimit-reset']), Number(res.headers['x-ratelimit-remaining']),
];

describe('the limits table, on an injected clock', () => {
  it('names every endpoint of the contract but the admin ones', () => {
    const paths = Object.values(endpoints).filter((e) => !e.path.startsWith('/admin/')).map((e) => `${e.method} ${e.path}`).sort();
    expect(CURRENT.map(([method, path]) => `${method} ${path}`).sort()).toEqual(paths);
  });

  for (const [compat, table] of [['current', CURRENT], ['legacy', LEGACY]] as const) {
    it(`--compat ${compat}: each endpoint's limit, window and shared budget`, async () => {
      const a = await start(compat === 'current' ? undefined : compat);
      for (const [method, path, limit, reset, remaining] of table) {
        const res = await send(a, method, path);
        expect(res.statusCode, `${path}: ${res.body}`).toBeLessThan(500);
        expect([path, ...state(res)]).toEqual([path, limit, reset, remaining]);
      }
    });
  }

  it('/users/export/ids: 250 a minute, the 251st a 429 until the minute ends', async () => {
    const a = await start();
    for (let i = 1; i <= 250; i++) expect(Number((await send(a, 'POST', '/users/export/ids', {})).headers['x-ratelimit-remaining'])).toBe(250 - i);
    const over = await send(a, 'POST', '/users/export/ids', { external_ids: ['u1'] });
    expect([over.statusCode, over.headers['retry-after'], over.json().message]).toEqual([
      429, '30', 'rate limit exceeded: 250 requests per window for this key on /users/export/ids; retry after 30 s',
    ]);
    clock.now = MINUTE_END;
    const fresh = await send(a, 'POST', '/users/export/ids', { external_ids: ['u1'] });
    expect([fresh.statusCode, ...state(fresh)]).toEqual([200, 250, MINUTE_END + 60, 249]);
  });

  it('/users/track: 3,000 every three seconds', async () => {
    const a = await start();
    for (let i = 1; i <= 3_000; i++) await send(a, 'POST', '/users/track', {});
    const over = await send(a, 'POST', '/users/track', {});
    expect([over.statusCode, over.headers['retry-after'], ...state(over)]).toEqual([429, '3', 3_000, THREE_S_END, 0]);
    clock.now = THREE_S_END;
    expect(state(await send(a, 'POST', '/users/track', {}))).toEqual([3_000, THREE_S_END + 3, 2_999]);
  });

  it('/events/list, /purchases/product_list, /events and /custom_attributes count one budget of 1,000 an hour', async () => {
    const a = await start();
    const four = ['/events/list', '/purchases/product_list', '/events', '/custom_attributes'];
    // 1,000 requests spread over the four, in turn.
    for (let i = 0; i < 1_000; i++) {
      const res = await send(a, 'GET', four[i % 4]);
      expect(res.statusCode).toBe(200);
      expect(Number(res.headers['x-ratelimit-remaining'])).toBe(999 - i);
    }
    for (const path of four) {
      const over = await send(a, 'GET', path);
      expect([path, over.statusCode, over.headers['retry-after']]).toEqual([path, 429, String(HOUR_END - T)]);
    }
    // Another budget is untouched.
    expect(state(await send(a, 'GET', '/kpi/dau/data_series?length=1'))).toEqual([250_000, HOUR_END, 249_999]);
  });

  it('/users/export/ids takes at most 50 ids or aliases today, 75 with --compat legacy', async () => {
    const ids = (n: number) => ({ external_ids: Array.from({ length: n }, (_, i) => `x${i}`) });
    const aliases = (n: number) => ({ user_aliases: Array.from({ length: n }, (_, i) => ({ alias_name: `a${i}`, alias_label: 'l' })) });
    const current = await start();
    expect((await send(current, 'POST', '/users/export/ids', ids(50))).statusCode).toBe(200);
    for (const [body, param] of [[ids(51), 'external_ids'], [aliases(51), 'user_aliases']] as const) {
      const res = await send(current, 'POST', '/users/export/ids', body);
      expect([res.statusCode, res.json().message]).toEqual([400, `${param} must be an array of at most 50 items`]);
    }
    await app!.close();
    await store!.close();
    const legacy = await start('legacy');
    expect((await send(legacy, 'POST', '/users/export/ids', ids(75))).statusCode).toBe(200);
    expect((await send(legacy, 'POST', '/users/export/ids', aliases(75))).statusCode).toBe(200);
    const res = await send(legacy, 'POST', '/users/export/ids', ids(76));
    expect([res.statusCode, res.json().message]).toEqual([400, 'external_ids must be an array of at most 75 items']);
  });
});

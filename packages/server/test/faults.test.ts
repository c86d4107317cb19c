import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ALL_PERMISSIONS } from '@brazen/contract';
import type { Store } from '@brazen/store';
import { openTestStore } from './test-store.ts';
import { buildApp, hashKey, loggerOptions, type AppOptions } from '@brazen/server';
import { expectedDraws } from './seeded.ts';

// 2024-03-01T10:20:30Z, on the injected clock: the minute ends 30 s later.
const T = Date.UTC(2024, 2, 1, 10, 20, 30);
const MINUTE_END = T / 1000 + 30;

let app: FastifyInstance | undefined;
let store: Store | undefined;
const logLines: string[] = [];

async function start(options: Partial<AppOptions> = {}): Promise<FastifyInstance> {
  store = await openTestStore({ dir: ':memory:' });
  for (const name of ['tester', 'victim']) {
    await store.keys.addApiKey({ name, workspace: 'default', hash: hashKey(name), permissions: ALL_PERMISSIONS, createdAt: '2024-01-01T00:00:00Z' });
  }
  const sink = new Writable({ write: (chunk, _enc, done) => (logLines.push(chunk.toString()), done()) });
  app = await buildApp({ store, now: () => T, logger: { ...(loggerOptions('info') as object), stream: sink } as never, ...options });
  return app;
}
afterEach(async () => {
  await app?.close();
  await store?.close();
  app = store = undefined;
  logLines.length = 0;
});

const DAU = '/kpi/dau/data_series?length=1&ending_at=2024-03-01';
const get = (a: FastifyInstance, url: string, fault?: string, key = 'tester') =>
  a.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}`, ...(fault === undefined ? {} : { 'x-brazen-fault': fault }) } });
const admin = (a: FastifyInstance, method: 'GET' | 'PUT', body?: object) =>
  a.inject({ method, url: '/admin/faults', headers: { authorization: 'Bearer tester' }, payload: body });

describe('without --faults', () => {
  it('the header changes nothing and /admin/faults does not exist', async () => {
    const a = await start();
    expect((await get(a, DAU, '503')).statusCode).toBe(200);
    expect((await get(a, DAU, 'nonsense;p=7')).statusCode).toBe(200);
    const res = await admin(a, 'GET');
    expect([res.statusCode, res.json().message]).toEqual([404, 'no endpoint GET /admin/faults']);
    expect((await admin(a, 'PUT', { key_name: 'victim', rules: '500' })).statusCode).toBe(404);
  });
});

describe('with --faults', () => {
  it('500, 502 and 503 answer that status with Braze’s error body; the answer is otherwise untouched', async () => {
    const a = await start({ faults: {} });
    for (const status of [500, 502, 503]) {
      const res = await get(a, DAU, String(status));
      expect([res.statusCode, res.json()]).toEqual([
        status, { message: `brazen fault ${status}: the server answered ${status} because X-Brazen-Fault or the key's faults asked for it` },
      ]);
      expect(res.headers['x-ratelimit-limit']).toBe('250000');
    }
    expect((await get(a, DAU)).statusCode).toBe(200);
  });

  it('a 429 fault carries the headers a real limit would: the same limit, 0 left, the window end and Retry-After', async () => {
    const limits: AppOptions['rateLimits'] = { default: { limit: 100, windowSeconds: 3600 }, pools: {}, endpoints: { '/kpi/dau/data_series': { limit: 1, windowSeconds: 60 } } };
    const a = await start({ faults: {}, rateLimits: limits });
    // A real 429 (victim's second request in the minute) and a fault 429 (tester's first request).
    await get(a, DAU, undefined, 'victim');
    const real = await get(a, DAU, undefined, 'victim');
    const fault = await get(a, DAU, '429');
    const headers = (res: typeof real) => ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after'].map((h) => res.headers[h]);
    expect(headers(real)).toEqual(['1', '0', String(MINUTE_END), '30']);
    expect([fault.statusCode, ...headers(fault)]).toEqual([429, '1', '0', String(MINUTE_END), '30']);
    expect(fault.json()).toEqual({ message: 'rate limit exceeded: 1 requests per window for this key on /kpi/dau/data_series; retry after 30 s (brazen fault 429)' });
    // With the rate limits off, a 429 fault still names the profile's limits.
    await app!.close();
    await store!.close();
    const off = await start({ faults: {}, rateLimits: false });
    const offFault = await get(off, '/campaigns/data_series?campaign_id=x&length=1', '429');
    expect([offFault.statusCode, ...headers(offFault)]).toEqual([429, '50000', '0', String(MINUTE_END), '30']);
  });

  it('latency=MS waits that long before answering as usual', async () => {
    const a = await start({ faults: {} });
    const started = performance.now();
    const res = await get(a, DAU, 'latency=150');
    expect(res.statusCode).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(149);
  });

  it(';p= draws from the seeded generator, one number a rule a request: the statuses follow the seed exactly', async () => {
    const a = await start({ faults: { seed: 2024 } });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await get(a, DAU, '503;p=0.5')).statusCode);
    expect(statuses).toEqual(expectedDraws(2024, 12).map((d) => (d < 0.5 ? 503 : 200)));
    // Two rules with p draw two numbers a request, in the order written; the first status that applies wins.
    const draws = expectedDraws(2024, 12 + 8).slice(12);
    const two: number[] = [];
    for (let i = 0; i < 4; i++) two.push((await get(a, DAU, '500;p=0.3, 502;p=0.6')).statusCode);
    expect(two).toEqual([0, 1, 2, 3].map((i) => (draws[2 * i] < 0.3 ? 500 : draws[2 * i + 1] < 0.6 ? 502 : 200)));
    // p=0 never applies, p=1 always does; both draw.
    expect((await get(a, DAU, '503;p=0')).statusCode).toBe(200);
    expect((await get(a, DAU, '503;p=1')).statusCode).toBe(503);
    expect((await admin(a, 'GET')).json()).toEqual({ message: 'success', seed: 2024, draws: 22, faults: [] });
    // Seeding again starts the same sequence.
    expect((await admin(a, 'PUT', { seed: 2024 })).json().draws).toBe(0);
    const again: number[] = [];
    for (let i = 0; i < 12; i++) again.push((await get(a, DAU, '503;p=0.5')).statusCode);
    expect(again).toEqual(statuses);
  });

  it('rules per API key name, set and cleared through /admin/faults; the header adds to them', async () => {
    const a = await start({ faults: {} });
    const put = await admin(a, 'PUT', { key_name: 'victim', rules: ' 503 , latency=10 ' });
    expect(put.json()).toEqual({ message: 'success', seed: 1, draws: 0, faults: [{ key_name: 'victim', rules: '503,latency=10' }] });
    expect((await get(a, DAU, undefined, 'victim')).statusCode).toBe(503);
    expect((await get(a, DAU)).statusCode).toBe(200);
    // The key's rules come first: its 503 wins over the header's 500.
    expect((await get(a, DAU, '500', 'victim')).statusCode).toBe(503);
    // /admin/faults itself is never faulted, so a key can always clear its own rules.
    await admin(a, 'PUT', { key_name: 'tester', rules: '500' });
    expect((await admin(a, 'GET')).statusCode).toBe(200);
    await admin(a, 'PUT', { key_name: 'tester', rules: '' });
    expect((await admin(a, 'PUT', { key_name: 'victim', rules: '' })).json().faults).toEqual([]);
    expect((await get(a, DAU, undefined, 'victim')).statusCode).toBe(200);
  });

  it('a rule it cannot read is a 400 naming the rule, in the header and in /admin/faults', async () => {
    const a = await start({ faults: {} });
    const cases: Array<[string, string]> = [
      ['504', 'rule "504" is not one of 429, 500, 502, 503, latency=MS, reset, truncate'],
      ['503,latency=fast', 'rule "latency=fast": latency must be a whole number of milliseconds from 0 to 120000'],
      ['503;p=1.5', 'rule "503;p=1.5": p must be a probability from 0 to 1 (got 1.5)'],
      ['reset;q=1', 'rule "reset;q=1": only ;p=PROBABILITY may follow a rule'],
    ];
    for (const [rules, message] of cases) {
      const res = await get(a, DAU, rules);
      expect([res.statusCode, res.json().message]).toEqual([400, `X-Brazen-Fault ${message}`]);
      const put = await admin(a, 'PUT', { key_name: 'victim', rules });
      expect([put.statusCode, put.json().message]).toEqual([400, `rules ${message}`]);
    }
    const half = await admin(a, 'PUT', { key_name: 'victim' });
    expect([half.statusCode, half.json().message]).toEqual([400, 'rules is required with key_name']);
  });

  it('faults are counted in /metrics and logged', async () => {
    const a = await start({ faults: {}, metrics: undefined });
    await get(a, DAU, '503');
    await get(a, DAU, '503,latency=1');
    await get(a, '/events/list', '500');
    const text = (await a.inject('/metrics')).body;
    expect(text).toContain('brazen_faults_total{rule="503",route="/kpi/dau/data_series"} 2');
    expect(text).toContain('brazen_faults_total{rule="latency",route="/kpi/dau/data_series"} 1');
    expect(text).toContain('brazen_faults_total{rule="500",route="/events/list"} 1');
    const logged = logLines.map((l) => JSON.parse(l) as { msg: string; fault?: string; route?: string }).filter((l) => l.msg === 'fault injected');
    expect(logged.map((l) => [l.fault, l.route])).toEqual([
      ['503', '/kpi/dau/data_series'], ['503', '/kpi/dau/data_series'], ['latency=1', '/kpi/dau/data_series'], ['500', '/events/list'],
    ]);
  });
});

describe('reset and truncate, over a real socket', () => {
  /** One raw HTTP/1.1 exchange: what arrived before the connection ended, and how it ended. */
  function exchange(base: string, fault: string): Promise<{ status?: number; contentLength?: number; bytes: number; ended: 'complete' | 'cut' | 'no answer' }> {
    return new Promise((resolve) => {
      const req = httpRequest(`${base}${DAU}`, { headers: { authorization: 'Bearer tester', 'x-brazen-fault': fault } }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        const done = () =>
          resolve({ status: res.statusCode, contentLength: Number(res.headers['content-length']), bytes, ended: res.complete ? 'complete' : 'cut' });
        res.on('end', done);
        res.on('aborted', done);
        res.on('error', done);
      });
      req.on('error', () => resolve({ bytes: 0, ended: 'no answer' }));
      req.end();
    });
  }

  it('reset closes the connection without an answer; truncate sends the headers and half the body, then closes', async () => {
    const a = await start({ faults: {} });
    const base = await a.listen({ port: 0, host: '127.0.0.1' });
    const whole = await exchange(base, '');
    expect(whole).toMatchObject({ status: 200, ended: 'complete' });
    expect(whole.bytes).toBe(whole.contentLength);
    expect(await exchange(base, 'reset')).toEqual({ bytes: 0, ended: 'no answer' });
    const cut = await exchange(base, 'truncate');
    expect(cut).toEqual({ status: 200, contentLength: whole.contentLength, bytes: Math.floor(whole.contentLength! / 2), ended: 'cut' });
    // The server goes on answering.
    expect(await exchange(base, '')).toEqual(whole);
  });
});

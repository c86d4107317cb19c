import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ALL_PERMISSIONS } from '@brazen/contract';
import type { Store } from '@brazen/store';
import { openTestStore } from './test-store.ts';
import { buildApp, hashKey, RedisRateCounter, type RateLimitConfig } from '@brazen/server';
import type { FastifyInstance } from 'fastify';

const LIMITS: RateLimitConfig = {
  default: { limit: 3, windowSeconds: 3600 },
  pools: { events_products: { limit: 2, windowSeconds: 3600 } },
  endpoints: { '/kpi/mau/data_series': { limit: 1, windowSeconds: 60 } },
};
// 2024-03-01T10:20:00Z; the hourly window resets at 11:00:00Z = 1709290800.
const T = Date.UTC(2024, 2, 1, 10, 20) / 1000;

async function appWith(options: Parameters<typeof buildApp>[0] extends infer O ? Partial<O> : never, clock: { now: number }) {
  const store = await openTestStore({ dir: ':memory:' });
  for (const key of ['key-a', 'key-b']) {
    await store.keys.addApiKey({ name: key, workspace: 'default', hash: hashKey(key), permissions: ALL_PERMISSIONS, createdAt: '2024-01-01T00:00:00Z' });
  }
  const app = await buildApp({ store, now: () => clock.now * 1000, rateLimits: LIMITS, ...options });
  return { app, store };
}

const call = (app: FastifyInstance, url: string, key = 'key-a') => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
const headers = (res: { headers: Record<string, unknown> }) => [
  res.headers['x-ratelimit-limit'],
  res.headers['x-ratelimit-remaining'],
  res.headers['x-ratelimit-reset'],
  res.headers['retry-after'],
];

describe('rate limits (in memory, injected clock)', () => {
  const clock = { now: T };
  let app: FastifyInstance;
  let store: Store;
  beforeAll(async () => ({ app, store } = await appWith({}, clock)));
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('counts down, answers 429 with Retry-After at the limit, and resets at the window end', async () => {
    const url = '/kpi/dau/data_series?length=1';
    expect(headers(await call(app, url))).toEqual(['3', '2', '1709290800', undefined]);
    expect(headers(await call(app, url))).toEqual(['3', '1', '1709290800', undefined]);
    const third = await call(app, url);
    expect([third.statusCode, ...headers(third)]).toEqual([200, '3', '0', '1709290800', undefined]);
    const over = await call(app, url);
    expect([over.statusCode, ...headers(over)]).toEqual([429, '3', '0', '1709290800', '2400']);
    expect(over.json().message).toBe('rate limit exceeded: 3 requests per window for this key on /kpi/dau/data_series; retry after 2400 s');
    // Another key has its own budget; another endpoint too.
    expect((await call(app, url, 'key-b')).statusCode).toBe(200);
    expect(headers(await call(app, '/kpi/new_users/data_series?length=1'))).toEqual(['3', '2', '1709290800', undefined]);
    clock.now = 1709290800; // the reset time itself starts the new window
    const fresh = await call(app, url);
    expect([fresh.statusCode, ...headers(fresh)]).toEqual([200, '3', '2', '1709294400', undefined]);
  });

  it('/events/list and /purchases/product_list share one budget', async () => {
    clock.now = T + 7200;
    expect(headers(await call(app, '/events/list'))).toEqual(['2', '1', '1709298000', undefined]);
    expect(headers(await call(app, '/purchases/product_list'))).toEqual(['2', '0', '1709298000', undefined]);
    const over = await call(app, '/events/list');
    expect([over.statusCode, over.headers['retry-after']]).toEqual([429, String(1709298000 - (T + 7200))]);
  });

  it('an endpoint can have a per-minute limit of its own', async () => {
    clock.now = T + 30; // 10:20:30 -> the minute window ends at 10:21:00
    expect(headers(await call(app, '/kpi/mau/data_series?length=1'))).toEqual(['1', '0', String(T + 60), undefined]);
    expect((await call(app, '/kpi/mau/data_series?length=1')).headers['retry-after']).toBe('30');
  });

  it('Braze’s defaults: 250,000 an hour, 1,000 shared by the list endpoints', async () => {
    const defaults = await appWith({ rateLimits: undefined }, { now: T });
    expect((await call(defaults.app, '/kpi/dau/data_series?length=1')).headers['x-ratelimit-limit']).toBe('250000');
    expect((await call(defaults.app, '/events/list')).headers['x-ratelimit-limit']).toBe('1000');
    await defaults.app.close();
    await defaults.store.close();
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const hasRedis = (() => {
  try {
    execFileSync('redis-server', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

// CI installs redis-server (.ci/run); a machine without it skips, CI never does.
describe.skipIf(!hasRedis && process.env.CI !== 'true')('rate limits shared through a real redis-server', () => {
  let redis: ChildProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Ready when it says so on its log.
    await new Promise<void>((resolve, reject) => {
      let log = '';
      redis.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) resolve();
      });
      redis.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${log}`)));
    });
  });
  afterAll(() => {
    redis.kill('SIGTERM');
  });

  it('two servers sharing one Redis count one budget per key', async () => {
    const clock = { now: T };
    const one = await appWith({ rateCounter: new RedisRateCounter(new Redis(port, '127.0.0.1')) }, clock);
    const two = await appWith({ rateCounter: new RedisRateCounter(new Redis(port, '127.0.0.1')) }, clock);
    const url = '/kpi/dau/data_series?length=1';
    expect(headers(await call(one.app, url))).toEqual(['3', '2', '1709290800', undefined]);
    expect(headers(await call(two.app, url))).toEqual(['3', '1', '1709290800', undefined]);
    expect(headers(await call(one.app, url))).toEqual(['3', '0', '1709290800', undefined]);
    expect((await call(two.app, url)).statusCode).toBe(429);
    clock.now = 1709290800;
    expect((await call(two.app, url)).statusCode).toBe(200);
    for (const s of [one, two]) {
      await s.app.close();
      await s.store.close();
    }
  });
});

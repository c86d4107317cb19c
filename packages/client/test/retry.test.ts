import { afterEach, describe, expect, it } from 'vitest';
import { BrazeApiError, BrazeClient, BrazeNetworkError, BrazeTimeoutError, type BrazeClientOptions } from '../src/index.ts';
import { KEY, startBrazen } from './brazen.ts';
import { closedPort, scriptedServer, type Scripted, type ScriptedServer } from './scripted-server.ts';

/** 2024-03-31T12:00:00Z: the injected clock. */
const NOW = Date.UTC(2024, 2, 31, 12);
const NOW_S = NOW / 1000;
const OK: Scripted = { status: 200, body: { message: 'success', data: [{ time: '2024-03-31', dau: 7 }] } };

/** Waits are recorded, not slept: the schedule is asserted exactly and the tests take no time. */
function recordingSleep() {
  const waits: number[] = [];
  const sleep = async (ms: number, signal?: AbortSignal) => {
    signal?.throwIfAborted();
    waits.push(ms);
  };
  return { waits, sleep };
}

/** Random numbers in turn (the last repeats). */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)];
};

describe('retries against a server that rate-limits and fails', () => {
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const clientFor = async (script: Scripted[], options: Partial<BrazeClientOptions> = {}) => {
    server = await scriptedServer(script);
    const clock = recordingSleep();
    const client = new BrazeClient({ apiKey: 'k', baseUrl: server.url, sleep: clock.sleep, random: () => 0.5, now: () => NOW, ...options });
    return { client, waits: clock.waits, received: server.received };
  };

  it('429 with Retry-After, then 503, then success: waits 2 s as told, then backs off 750 ms', async () => {
    const { client, waits, received } = await clientFor([{ status: 429, headers: { 'retry-after': '2' }, body: { message: 'rate limited' } }, { status: 503 }, OK]);
    expect(await client.kpiDauDataSeries({ length: 1 })).toEqual(OK.body);
    // Retry 2: ceiling 500 × 2 = 1000 ms, jitter 0.5 -> 500 + 250.
    expect(waits).toEqual([2000, 750]);
    expect(received.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
      ['GET', '/kpi/dau/data_series?length=1', 'Bearer k'],
      ['GET', '/kpi/dau/data_series?length=1', 'Bearer k'],
      ['GET', '/kpi/dau/data_series?length=1', 'Bearer k'],
    ]);
    expect(client.lastCall).toEqual({ request: 'GET /kpi/dau/data_series', status: 200, attempts: 3, waitsMs: [2000, 750] });
  });

  it('exponential backoff with jitter: half the ceiling plus a random share of the other half', async () => {
    const { client, waits } = await clientFor([{ status: 503 }, { status: 502 }, { status: 500 }, OK], { random: sequence(0, 0.5, 1) });
    await client.kpiDauDataSeries({ length: 1 });
    // Ceilings 500, 1000, 2000: 250 + 0, 500 + 250, 1000 + 1000.
    expect(waits).toEqual([250, 750, 2000]);
  });

  it('the backoff ceiling stops at maxDelayMs', async () => {
    const { client, waits } = await clientFor([{ status: 503 }, { status: 503 }, { status: 503 }, OK], {
      random: () => 1,
      retry: { baseDelayMs: 1000, maxDelayMs: 1500 },
    });
    await client.kpiDauDataSeries({ length: 1 });
    expect(waits).toEqual([1000, 1500, 1500]);
  });

  it('a 429 without Retry-After waits until X-RateLimit-Reset; the rate-limit state is readable after the call', async () => {
    const limited = { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 3) };
    const fine = { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '999', 'x-ratelimit-reset': String(NOW_S + 3600) };
    const { client, waits } = await clientFor([{ status: 429, headers: limited }, { ...OK, headers: fine }]);
    await client.eventsList();
    expect(waits).toEqual([3000]);
    expect(client.rateLimit).toEqual({ limit: 1000, remaining: 999, reset: NOW_S + 3600 });
    expect(client.lastCall?.rateLimit).toEqual({ limit: 1000, remaining: 999, reset: NOW_S + 3600 });
  });

  it('Retry-After as an HTTP date', async () => {
    const { client, waits } = await clientFor([{ status: 503, headers: { 'retry-after': 'Sun, 31 Mar 2024 12:00:05 GMT' } }, OK]);
    await client.kpiDauDataSeries({ length: 1 });
    expect(waits).toEqual([5000]);
  });

  it('gives up after the configured attempts with the last answer as a typed error', async () => {
    const { client, waits, received } = await clientFor([{ status: 503, body: { message: 'down for maintenance', errors: ['db'] } }], { retry: { attempts: 3 } });
    const error = await client.kpiDauDataSeries({ length: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrazeApiError);
    expect(error).toMatchObject({ status: 503, brazeMessage: 'down for maintenance', errors: ['db'], details: { attempts: 3 } });
    expect(received).toHaveLength(3);
    expect(waits).toEqual([375, 750]);
  });

  it('a server wait longer than maxServerWaitMs ends the call at once, the wait on the error', async () => {
    const { client, waits, received } = await clientFor([{ status: 429, headers: { 'retry-after': '3600' }, body: { message: 'hourly limit' } }, OK]);
    const error = await client.kpiDauDataSeries({ length: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, details: { retryAfterMs: 3_600_000, attempts: 1 } });
    expect([received.length, waits]).toEqual([1, []]);
  });

  it('/users/track is not sent again after a 5xx (it could record twice), but is after a 429', async () => {
    const body = { events: [{ external_id: 'x', name: 'E', time: '2024-03-31T10:00:00Z' }] };
    const failing = await clientFor([{ status: 500, body: { message: 'oops' } }, OK]);
    await expect(failing.client.usersTrack(body)).rejects.toMatchObject({ status: 500 });
    expect(failing.received).toHaveLength(1);
    await server?.close();

    const tracked = { status: 201, body: { message: 'success', events_processed: 1 } };
    const limited = await clientFor([{ status: 429, headers: { 'retry-after': '1' } }, tracked]);
    expect(await limited.client.usersTrack(body)).toEqual(tracked.body);
    expect(limited.received.map((r) => JSON.parse(r.body))).toEqual([body, body]);
    expect(limited.waits).toEqual([1000]);
  });

  it('a 4xx other than 429 is not retried', async () => {
    const { client, received } = await clientFor([{ status: 400, body: { message: 'length must be an integer between 1 and 100' } }, OK]);
    await expect(client.kpiDauDataSeries({ length: 0 })).rejects.toMatchObject({ status: 400 });
    expect(received).toHaveLength(1);
  });

  it('an AbortSignal stops the retries while waiting', async () => {
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    const waits: number[] = [];
    const { client, received } = await clientFor([{ status: 503 }, OK], {
      // The caller cancels while the client waits for its first retry.
      sleep: async (ms, signal) => {
        waits.push(ms);
        controller.abort(reason);
        signal?.throwIfAborted();
      },
    });
    await expect(client.kpiDauDataSeries({ length: 1 }, { signal: controller.signal })).rejects.toBe(reason);
    expect([received.length, waits]).toEqual([1, [375]]);
  });

  it('an already aborted signal sends nothing', async () => {
    const { client, received } = await clientFor([OK]);
    const reason = new Error('too late');
    await expect(client.kpiDauDataSeries({ length: 1 }, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(received).toHaveLength(0);
  });

  it('an attempt that times out is retried; the last one fails with BrazeTimeoutError', async () => {
    const retried = await clientFor([{ status: 200, hang: true }, OK], { timeoutMs: 100 });
    expect(await retried.client.kpiDauDataSeries({ length: 1 })).toEqual(OK.body);
    expect([retried.received.length, retried.waits]).toEqual([2, [375]]);
    await server?.close();

    const hung = await clientFor([{ status: 200, hang: true }], { timeoutMs: 100, retry: { attempts: 2 } });
    const error = await hung.client.kpiDauDataSeries({ length: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrazeTimeoutError);
    expect(error).toMatchObject({ message: 'GET /kpi/dau/data_series got no answer within 100 ms (2 attempts)', attempts: 2 });
  });

  it('a refused connection is retried, then fails with BrazeNetworkError', async () => {
    const port = await closedPort();
    const clock = recordingSleep();
    const client = new BrazeClient({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}`, sleep: clock.sleep, random: () => 0, retry: { attempts: 3 } });
    const error = await client.eventsList().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrazeNetworkError);
    expect(error).toMatchObject({ attempts: 3 });
    expect(clock.waits).toEqual([250, 500]);
  });
});

describe('retries against brazen over its rate limit', () => {
  it('waits out the Retry-After of a 429, on a clock the client and brazen share, then succeeds', async () => {
    // One clock: brazen reads it, the client's sleep moves it. It starts at 12:00:30; the events and
    // products pool allows 2 requests per minute-window, the window resetting at 12:01:00.
    let clock = Date.UTC(2024, 2, 31, 12, 0, 30);
    const brazen = await startBrazen({
      now: () => clock,
      rateLimits: { default: { limit: 250_000, windowSeconds: 3600 }, pools: { events_products: { limit: 2, windowSeconds: 60 } }, endpoints: {} },
    });
    try {
      const waits: number[] = [];
      const client = new BrazeClient({
        apiKey: KEY,
        baseUrl: brazen.url,
        now: () => clock,
        sleep: async (ms) => {
          waits.push(ms);
          clock += ms;
        },
      });
      await client.eventsList();
      await client.purchasesProductList();
      expect(client.rateLimit).toEqual({ limit: 2, remaining: 0, reset: NOW_S + 60 });
      expect(await client.eventsList()).toEqual({ message: 'success', events: [] });
      // 429 at 12:00:30 with Retry-After 30 s; at 12:01:00 a new window: 1 of 2 used.
      expect(waits).toEqual([30_000]);
      expect(client.lastCall).toEqual({ request: 'GET /events/list', status: 200, attempts: 2, waitsMs: [30_000], rateLimit: { limit: 2, remaining: 1, reset: NOW_S + 120 } });
    } finally {
      await brazen.close();
    }
  });
});

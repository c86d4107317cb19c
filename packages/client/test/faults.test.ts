import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BrazeApiError, BrazeClient, BrazeNetworkError, BrazeTimeoutError, type BrazeClientOptions } from '../src/index.ts';
import { expectedDraws } from '../../server/test/seeded.ts';
import { KEY, startBrazen, type Brazen } from './brazen.ts';

/**
 * A consumer with retries (this client) against brazen's faults, one rule at a time. The server
 * draws one number a request from mulberry32(seed) for a rule with `;p=`, and the rule applies when
 * the number is below p. Seed 1 draws 0.627, 0.003, 0.527, 0.981, ... (seeded.ts works them out
 * apart from the server): with p = 0.7 the first three requests meet the fault and the fourth
 * passes, so the client makes 4 attempts and waits 3 times.
 */
const SEED = 1;
const P = 0.7;
const ATTEMPTS = 4;

// 2024-03-31T12:00:30Z on a clock brazen reads and the client's sleep moves.
const START = Date.UTC(2024, 2, 31, 12, 0, 30);
let clock = START;

describe('the typed client against each fault rule, seeded', () => {
  let brazen: Brazen;
  beforeAll(async () => {
    brazen = await startBrazen({
      now: () => clock,
      faults: { seed: SEED },
      // /kpi/dau/data_series has per-minute windows, so a 429 names a wait of seconds, not an hour.
      rateLimits: {
        default: { limit: 10_000, windowSeconds: 3600 },
        pools: {},
        endpoints: { '/kpi/dau/data_series': { limit: 10_000, windowSeconds: 60 }, '/users/track': { limit: 10_000, windowSeconds: 60 } },
      },
    });
  });
  afterAll(() => brazen.close());
  /** Starts the server's sequence again. */
  const reseed = async () => {
    const res = await fetch(`${brazen.url}/admin/faults`, {
      method: 'PUT', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ seed: SEED }),
    });
    expect(res.status).toBe(200);
  };
  beforeEach(async () => {
    clock = START;
    await reseed();
  });

  /** A client sending the fault header, retrying up to 10 times, jitter fixed at 0.5, waits recorded
   * (and moving the shared clock) instead of slept. */
  const consumer = (fault: string, options: Partial<BrazeClientOptions> = {}) => {
    const waits: number[] = [];
    const client = new BrazeClient({
      apiKey: KEY,
      baseUrl: brazen.url,
      headers: { 'X-Brazen-Fault': fault },
      retry: { attempts: 10 },
      random: () => 0.5,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
      ...options,
    });
    return { client, waits };
  };
  const OK = { message: 'success', data: [{ time: '2024-03-31', dau: 0 }] };
  const dau = (client: BrazeClient) => client.kpiDauDataSeries({ length: 1, ending_at: '2024-03-31' });
  const drawsAllowing = (p: number) => 1 + expectedDraws(SEED, 20).findIndex((d) => !(d < p));
  // Backoff before retry n: ceiling 500 * 2^(n-1) ms, jitter 0.5 -> three quarters of it.
  const BACKOFF = [375, 750, 1500];

  it('the seed gives 4 attempts at p = 0.7, worked out apart from the server', () => {
    expect(drawsAllowing(P)).toBe(ATTEMPTS);
  });

  for (const status of [500, 502, 503]) {
    it(`${status};p=${P}: retried with backoff, then the answer`, async () => {
      const { client, waits } = consumer(`${status};p=${P}`);
      expect(await dau(client)).toEqual(OK);
      expect(client.lastCall).toEqual({ request: 'GET /kpi/dau/data_series', status: 200, attempts: ATTEMPTS, waitsMs: BACKOFF, rateLimit: expect.any(Object) });
      expect(waits).toEqual(BACKOFF);
    });
  }

  it(`429;p=${P}: waits out each Retry-After (the minute window brazen names), then the answer`, async () => {
    const { client, waits } = consumer(`429;p=${P}`);
    expect(await dau(client)).toEqual(OK);
    // 12:00:30 -> 30 s to 12:01:00, then a full minute each time.
    expect(waits).toEqual([30_000, 60_000, 60_000]);
    expect(client.lastCall?.attempts).toBe(ATTEMPTS);
  });

  it(`reset;p=${P}: each dropped connection is a network error the client retries`, async () => {
    const { client, waits } = consumer(`reset;p=${P}`);
    expect(await dau(client)).toEqual(OK);
    expect([client.lastCall?.attempts, waits]).toEqual([ATTEMPTS, BACKOFF]);
  });

  it(`truncate;p=${P}: each body cut short is a network error the client retries`, async () => {
    const { client, waits } = consumer(`truncate;p=${P}`);
    expect(await dau(client)).toEqual(OK);
    expect([client.lastCall?.attempts, waits]).toEqual([ATTEMPTS, BACKOFF]);
  });

  it(`latency=400;p=${P} with a 100 ms timeout: each slow answer times out and is retried`, async () => {
    const { client, waits } = consumer(`latency=400;p=${P}`, { timeoutMs: 100 });
    expect(await dau(client)).toEqual(OK);
    expect([client.lastCall?.attempts, waits]).toEqual([ATTEMPTS, BACKOFF]);
  });

  it('p=0 never applies: one attempt', async () => {
    const { client, waits } = consumer('503;p=0,reset;p=0');
    expect(await dau(client)).toEqual(OK);
    expect([client.lastCall?.attempts, waits]).toEqual([1, []]);
  });

  it('p=1 always applies: the client gives up after its attempts with the typed error of each rule', async () => {
    const three = { retry: { attempts: 3 } };
    const fail = async (fault: string, options: Partial<BrazeClientOptions> = three) => dau(consumer(fault, options).client).catch((e: unknown) => e);

    const unavailable = await fail('503;p=1');
    expect(unavailable).toBeInstanceOf(BrazeApiError);
    expect(unavailable).toMatchObject({ status: 503, details: { attempts: 3 } });
    expect((unavailable as BrazeApiError).brazeMessage).toMatch(/^brazen fault 503/);

    const reset = await fail('reset;p=1');
    expect(reset).toBeInstanceOf(BrazeNetworkError);
    expect(reset).toMatchObject({ attempts: 3 });
    expect((reset as Error).message).toMatch(/^GET \/kpi\/dau\/data_series failed to connect \(3 attempts\): fetch failed/);

    // The status line and headers arrived; the body ended early: undici says "terminated".
    const truncated = await fail('truncate;p=1');
    expect(truncated).toBeInstanceOf(BrazeNetworkError);
    expect((truncated as Error).message).toMatch(/^GET \/kpi\/dau\/data_series failed to connect \(3 attempts\): terminated/);

    const slow = await fail('latency=400;p=1', { ...three, timeoutMs: 100 });
    expect(slow).toBeInstanceOf(BrazeTimeoutError);
    expect(slow).toMatchObject({ attempts: 3 });
  });

  it('a write is not sent again after a dropped connection (it may have landed), but is after a 429', async () => {
    const body = { events: [{ external_id: 'f1', name: 'Faulted', time: '2024-03-31T10:00:00Z' }] };
    const dropped = await consumer('reset;p=1').client.usersTrack(body).catch((e: unknown) => e);
    expect(dropped).toMatchObject({ name: 'BrazeNetworkError', attempts: 1 });
    await reseed();
    const limited = consumer(`429;p=${P}`);
    expect(await limited.client.usersTrack(body)).toMatchObject({ message: 'success', events_processed: 1 });
    expect(limited.client.lastCall?.attempts).toBe(ATTEMPTS);
  });
});

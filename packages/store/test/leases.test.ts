import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { holding, LeaseLostError, MemoryLeases, RedisLeases, type Leases } from '@brazen/store';
import { redisMissing, startRedisServer, type RedisServer } from './redis-server.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Kind {
  leases: () => Leases;
  /** Lets `ms` of a lease's life pass. */
  age(ms: number): Promise<void>;
  /** Another holder takes `name` from whoever holds it (as after an expiry). */
  steal(leases: Leases, name: string): Promise<void>;
}

/** What every kind of leases must do. */
function leaseRules(kind: Kind): void {
  it('is held by one holder at a time, until released or expired', async () => {
    const leases = kind.leases();
    const first = await leases.tryAcquire('job-1', 200);
    expect(first).toBeDefined();
    expect(await leases.tryAcquire('job-1', 200)).toBeUndefined();
    // Another name is another lease.
    expect(await leases.tryAcquire('job-2', 200)).toBeDefined();
    await first!.release();
    const second = await leases.tryAcquire('job-1', 200);
    expect(second).toBeDefined();
    // A release by a holder that no longer holds it leaves the new holder's lease alone.
    await first!.release();
    expect(await leases.tryAcquire('job-1', 200)).toBeUndefined();
    await kind.age(250);
    const third = await leases.tryAcquire('job-1', 200);
    expect(third).toBeDefined();
    // The expired holder cannot renew what another took; the new one can.
    expect(await second!.renew()).toBe(false);
    expect(await third!.renew()).toBe(true);
    await leases.close();
  });

  it('runs work while holding it (renewed, so nobody takes it), and stops work whose lease was taken before it writes again', async () => {
    const leases = kind.leases();
    const work = holding(leases, 'batch', async () => {
      await sleep(300);
      return 'done';
    }, { ttlMs: 120 });
    await sleep(150);
    expect(await leases.tryAcquire('batch', 120)).toBeUndefined();
    expect(await work).toBe('done');
    // Free again once the work is done.
    expect(await leases.tryAcquire('batch', 120)).toBeDefined();

    const writes: string[] = [];
    const taken = holding(leases, 'export', async (stillHeld) => {
      stillHeld();
      writes.push('first file');
      await kind.steal(leases, 'export');
      await sleep(200); // two renewals come and fail
      stillHeld();
      writes.push('second file');
    }, { ttlMs: 150 });
    await expect(taken).rejects.toBeInstanceOf(LeaseLostError);
    expect(writes).toEqual(['first file']);
    await leases.close();
  });

  it('lets one of several waiting holders in at a time, each in its turn', async () => {
    const leases = kind.leases();
    let inside = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 5 }, () => holding(leases, 'ws:write', async () => {
      most = Math.max(most, ++inside);
      await sleep(20);
      inside--;
    })));
    expect(most).toBe(1);
    await leases.close();
  });
}

describe('leases in memory', () => {
  let now = 1_000_000;
  leaseRules({
    leases: () => new MemoryLeases(() => now),
    age: async (ms) => void (now += ms),
    steal: async (leases, name) => {
      now += 1_000_000;
      expect(await leases.tryAcquire(name, 1_000_000)).toBeDefined();
    },
  });
});

describe.skipIf(redisMissing !== undefined && process.env.CI !== 'true')(`leases in a real redis-server${redisMissing ? ` [skipped: ${redisMissing}]` : ''}`, () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server?.stop());
  const client = () => {
    const c = new Redis(server.port, '127.0.0.1');
    clients.push(c);
    return c;
  };
  let prefix = 0;
  leaseRules({
    // Each test its own prefix (its own keys); two processes would share one.
    leases: () => new RedisLeases(client(), `test${++prefix}:`),
    age: (ms) => sleep(ms),
    steal: async (_leases, name) => {
      const other = client();
      await other.del(`test${prefix}:${name}`);
      expect(await new RedisLeases(other, `test${prefix}:`, false).tryAcquire(name, 60_000)).toBeDefined();
    },
  });
});

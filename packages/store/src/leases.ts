/**
 * Leases: a name held by one holder at a time, for a while. Several brazen processes sharing a store
 * use them for what must happen once (one export job run by one process, one ingestion batch of a
 * workspace at a time); a holder that dies loses its lease when it expires, and another takes over.
 * In memory for one process; in Redis (SET NX PX, renewed and released only by the token that took
 * it) for several.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface Lease {
  readonly name: string;
  /** The holder's token (unique per acquisition). */
  readonly token: string;
  /** Extends the lease by its time to live; false when it was lost (expired and taken, or released). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export interface Leases {
  /** Takes the lease when nobody holds it; undefined when someone does. */
  tryAcquire(name: string, ttlMs: number): Promise<Lease | undefined>;
  close(): Promise<void>;
}

/** Leases of one process (the default: one brazen process on its store). */
export class MemoryLeases implements Leases {
  private readonly held = new Map<string, { token: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async tryAcquire(name: string, ttlMs: number): Promise<Lease | undefined> {
    const current = this.held.get(name);
    if (current && current.until > this.now()) return undefined;
    const token = randomUUID();
    this.held.set(name, { token, until: this.now() + ttlMs });
    const mine = () => this.held.get(name)?.token === token;
    return {
      name,
      token,
      renew: async () => {
        if (!mine()) return false;
        this.held.set(name, { token, until: this.now() + ttlMs });
        return true;
      },
      release: async () => {
        if (mine()) this.held.delete(name);
      },
    };
  }

  async close(): Promise<void> {}
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Leases in Redis, shared by every process that uses the same Redis and prefix. */
export class RedisLeases implements Leases {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'brazen:lease:',
    /** Whether close() quits the connection (false when it is shared). */
    private readonly ownsConnection = true,
  ) {}

  async tryAcquire(name: string, ttlMs: number): Promise<Lease | undefined> {
    const key = this.prefix + name;
    const token = randomUUID();
    const ok = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return undefined;
    return {
      name,
      token,
      renew: async () => Number(await this.redis.eval(RENEW, 1, key, token, ttlMs)) === 1,
      release: async () => void (await this.redis.eval(RELEASE, 1, key, token)),
    };
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.redis.quit();
  }
}

export interface HoldOptions {
  /** Time to live of the lease; it is renewed every third of it while the work runs. */
  ttlMs?: number;
  /** How long to keep trying to take a lease someone else holds (default: 2 minutes). */
  waitMs?: number;
  /** Why the caller wants it, for the error when it cannot be had. */
  purpose?: string;
}

/** A lease lost while its work ran: the work must not write any more. */
export class LeaseLostError extends Error {
  constructor(name: string) {
    super(`lease ${name} was lost (expired while its holder was busy): the work stopped before writing more`);
    this.name = 'LeaseLostError';
  }
}

/**
 * Runs `work` while holding lease `name`: waits for it (polling with backoff), renews it while the
 * work runs and releases it after. `stillHeld()`, given to the work, throws once a renewal failed,
 * so that the work checks before each write.
 */
export async function holding<T>(leases: Leases, name: string, work: (stillHeld: () => void) => Promise<T>, options: HoldOptions = {}): Promise<T> {
  const ttl = options.ttlMs ?? 30_000;
  const deadline = Date.now() + (options.waitMs ?? 120_000);
  let lease: Lease | undefined;
  for (let pause = 5; !(lease = await leases.tryAcquire(name, ttl)); pause = Math.min(pause * 2, 200)) {
    if (Date.now() > deadline) throw new Error(`could not take lease ${name}${options.purpose ? ` (${options.purpose})` : ''}: another process holds it`);
    await new Promise((r) => setTimeout(r, pause));
  }
  let lost = false;
  const timer = setInterval(() => {
    lease!.renew().then(
      (ok) => (lost ||= !ok),
      () => (lost = true),
    );
  }, Math.max(10, Math.floor(ttl / 3)));
  try {
    return await work(() => {
      if (lost) throw new LeaseLostError(name);
    });
  } finally {
    clearInterval(timer);
    await lease.release().catch(() => undefined);
  }
}

import type { Redis } from 'ioredis';

/** A limit: `limit` requests per fixed window of `windowSeconds`, windows aligned to the epoch
 * (an hourly limit resets at the top of each hour, as Braze's does). */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export interface RateLimitConfig {
  /** Every endpoint not named below: Braze's default, 250,000 requests an hour. */
  default: RateLimit;
  /** Endpoints sharing one budget, by the contract's `ratePool` name. An endpoint whose pool has
   * no limit here is counted on its own (under `endpoints`, or the default). */
  pools: Record<string, RateLimit>;
  /** Endpoints with a limit of their own, by path. */
  endpoints: Record<string, RateLimit>;
}

export interface RateState {
  limit: number;
  remaining: number;
  /** Epoch seconds at which the window resets. */
  reset: number;
  /** Whether this request is over the limit. */
  limited: boolean;
}

/** Counts requests per key and bucket. In memory by default; Redis when servers share a store. */
export interface RateCounter {
  /** Adds one request to `bucket` for the window ending at `windowEnd` (epoch s) and lasting
   * `windowSeconds`; returns the count. */
  increment(bucket: string, windowEnd: number, windowSeconds: number): Promise<number>;
  close(): Promise<void>;
}

export class MemoryRateCounter implements RateCounter {
  private readonly counts = new Map<string, { windowEnd: number; count: number }>();

  async increment(bucket: string, windowEnd: number): Promise<number> {
    const entry = this.counts.get(bucket);
    if (!entry || entry.windowEnd !== windowEnd) {
      if (this.counts.size > 100_000) this.sweep(windowEnd);
      this.counts.set(bucket, { windowEnd, count: 1 });
      return 1;
    }
    entry.count += 1;
    return entry.count;
  }

  private sweep(now: number): void {
    for (const [k, v] of this.counts) if (v.windowEnd < now) this.counts.delete(k);
  }

  async close(): Promise<void> {}
}

/** INCR and EXPIRE in one round trip, so every server sharing the Redis sees one count. The key
 * names its window; its time to live is relative (Redis's clock need not be brazen's). */
export class RedisRateCounter implements RateCounter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'brazen:rate:',
  ) {}

  async increment(bucket: string, windowEnd: number, windowSeconds: number): Promise<number> {
    const key = `${this.prefix}${bucket}:${windowEnd}`;
    const [[incrError, count], [expireError]] = (await this.redis.multi().incr(key).expire(key, windowSeconds + 60, 'NX').exec()) as [
      [Error | null, number],
      [Error | null, unknown],
    ];
    if (incrError) throw incrError;
    if (expireError) throw expireError;
    return count;
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

/** The limit that applies to an endpoint, the budget it is counted under, and the end (epoch s) of
 * the window holding `now` (epoch ms). */
export function limitWindow(config: RateLimitConfig, path: string, pool: string | undefined, now: number): { budget: string; limit: RateLimit; reset: number } {
  const { budget, limit } =
    pool && config.pools[pool]
      ? { budget: `pool:${pool}`, limit: config.pools[pool] }
      : { budget: `path:${path}`, limit: config.endpoints[path] ?? config.default };
  return { budget, limit, reset: (Math.floor(now / 1000 / limit.windowSeconds) + 1) * limit.windowSeconds };
}

export class RateLimiter {
  constructor(
    private readonly config: RateLimitConfig,
    private readonly counter: RateCounter,
  ) {}

  /** Counts one request of `key` (a key's hash) on an endpoint at `now` (epoch ms). */
  async hit(key: string, path: string, pool: string | undefined, now: number): Promise<RateState> {
    const { budget, limit, reset: windowEnd } = limitWindow(this.config, path, pool, now);
    const count = await this.counter.increment(`${key}:${budget}`, windowEnd, limit.windowSeconds);
    return { limit: limit.limit, remaining: Math.max(0, limit.limit - count), reset: windowEnd, limited: count > limit.limit };
  }

  close(): Promise<void> {
    return this.counter.close();
  }
}

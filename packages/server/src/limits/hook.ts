import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../errors.ts';
import type { RateLimiter, RateState } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Rate-limit pool shared with other endpoints (the contract's `ratePool`). */
    ratePool?: string;
  }
}

/**
 * Counts each authenticated request against its key's budget for the endpoint, and answers with
 * Braze's headers. Registered after auth, so the key is known.
 */
export function installRateLimits(app: FastifyInstance, limiter: RateLimiter, now: () => number): void {
  app.addHook('preValidation', async (request, reply) => {
    const key = request.apiKey;
    if (!key) return;
    const path = request.routeOptions.url ?? request.url;
    const state = await limiter.hit(key.hash, path, request.routeOptions.config.ratePool, now());
    reply.header('X-RateLimit-Limit', state.limit);
    reply.header('X-RateLimit-Remaining', state.remaining);
    reply.header('X-RateLimit-Reset', state.reset);
    if (state.limited) throw tooManyRequests(reply, state, path, now());
  });
}

/** A 429 as Braze sends it: no requests left, `Retry-After` the seconds until the window resets
 * (at least 1). Also what a `429` fault answers. */
export function tooManyRequests(reply: FastifyReply, state: Pick<RateState, 'limit' | 'reset'>, path: string, now: number, note = ''): ApiError {
  const retryAfter = Math.max(1, state.reset - Math.floor(now / 1000));
  reply.header('X-RateLimit-Limit', state.limit);
  reply.header('X-RateLimit-Remaining', 0);
  reply.header('X-RateLimit-Reset', state.reset);
  reply.header('Retry-After', retryAfter);
  return new ApiError(429, `rate limit exceeded: ${state.limit} requests per window for this key on ${path}; retry after ${retryAfter} s${note}`);
}

import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import type { RateLimiter } from './rate-limit.ts';

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
    if (state.limited) {
      const retryAfter = Math.max(1, state.reset - Math.floor(now() / 1000));
      reply.header('Retry-After', retryAfter);
      throw new ApiError(429, `rate limit exceeded: ${state.limit} requests per window for this key on ${path}; retry after ${retryAfter} s`);
    }
  });
}

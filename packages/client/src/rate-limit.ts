/** What the `X-RateLimit-*` headers of an answer said. */
export interface RateLimitState {
  /** Requests allowed in the window. */
  limit?: number;
  /** Requests left in the window. */
  remaining?: number;
  /** When the window resets, UTC epoch seconds. */
  reset?: number;
}

const integer = (value: string | null): number | undefined => {
  if (value === null || value.trim() === '') return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) ? n : undefined;
};

/** The rate-limit state of an answer, or undefined when it carried no such header. */
export function readRateLimit(headers: Headers): RateLimitState | undefined {
  const state: RateLimitState = {
    limit: integer(headers.get('x-ratelimit-limit')),
    remaining: integer(headers.get('x-ratelimit-remaining')),
    reset: integer(headers.get('x-ratelimit-reset')),
  };
  if (state.limit === undefined && state.remaining === undefined && state.reset === undefined) return undefined;
  return state;
}

/**
 * How long the server asked to wait, in ms: `Retry-After` (seconds or an HTTP date) first; for a
 * 429 without it, the time left until `X-RateLimit-Reset`. Undefined when the answer says nothing.
 */
export function serverWaitMs(status: number, headers: Headers, nowMs: number): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter.trim());
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - nowMs);
  }
  if (status === 429) {
    const reset = integer(headers.get('x-ratelimit-reset'));
    if (reset !== undefined) return Math.max(0, reset * 1000 - nowMs);
  }
  return undefined;
}

/** When to try again and how long to wait. */
export interface RetryOptions {
  /** Requests in all, the first included (default 4). 1 turns retries off. */
  attempts?: number;
  /** Backoff before the first retry, ms (default 500); doubles each retry. */
  baseDelayMs?: number;
  /** Longest backoff the client computes, ms (default 30 000). */
  maxDelayMs?: number;
  /** Longest wait the client accepts from the server (Retry-After, X-RateLimit-Reset), ms
   * (default 60 000). A longer one ends the call with the 429 or 5xx; its error carries the wait. */
  maxServerWaitMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const retryPolicy = (options: RetryOptions = {}): RetryPolicy => ({
  attempts: Math.max(1, Math.floor(options.attempts ?? 4)),
  baseDelayMs: options.baseDelayMs ?? 500,
  maxDelayMs: options.maxDelayMs ?? 30_000,
  maxServerWaitMs: options.maxServerWaitMs ?? 60_000,
});

/** Statuses worth another try: too many requests, and server errors. */
export const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

/**
 * Exponential backoff with jitter before retry number `retry` (1 for the first): the ceiling
 * `baseDelayMs × 2^(retry-1)` (at most `maxDelayMs`), and a wait drawn between half of it and
 * all of it, so that clients that failed together do not come back together.
 */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

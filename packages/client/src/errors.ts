import type { RateLimitState } from './rate-limit.ts';

/** Every error the client raises on its own account extends this. */
export class BrazeError extends Error {
  override name = 'BrazeError';
}

/** The server answered with an error status: `{message, errors?}` as Braze sends it. */
export class BrazeApiError extends BrazeError {
  override name = 'BrazeApiError';
  constructor(
    readonly status: number,
    /** The server's own words (`message` of its answer), without the request prefix. */
    readonly brazeMessage: string,
    readonly errors: unknown[] | undefined,
    readonly details: {
      /** `GET /kpi/dau/data_series`, for the reader of a log. */
      request: string;
      /** The answer's body as parsed (or text, when it was not JSON). */
      body: unknown;
      /** Rate-limit headers of the answer, when it carried them. */
      rateLimit?: RateLimitState;
      /** How long the server asked to wait (Retry-After, or the rate-limit reset), in ms. */
      retryAfterMs?: number;
      /** Requests sent, retries included. */
      attempts: number;
    },
  ) {
    super(`${details.request} answered ${status}: ${brazeMessage}`);
  }
}

/** No answer within `timeoutMs` on the last attempt. */
export class BrazeTimeoutError extends BrazeError {
  override name = 'BrazeTimeoutError';
  constructor(
    readonly request: string,
    readonly timeoutMs: number,
    readonly attempts: number,
  ) {
    super(`${request} got no answer within ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? '' : 's'})`);
  }
}

/** The connection failed (refused, reset, DNS) on the last attempt. */
export class BrazeNetworkError extends BrazeError {
  override name = 'BrazeNetworkError';
  constructor(
    readonly request: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(`${request} failed to connect (${attempts} attempt${attempts === 1 ? '' : 's'}): ${describe(options.cause)}`, options);
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as Error & { cause?: unknown }).cause;
    return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message;
  }
  return String(cause);
}

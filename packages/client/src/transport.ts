import { ROUTES, type EndpointName, type ParamsOf, type ResponseOf } from './endpoints.ts';
import { BrazeApiError, BrazeError, BrazeNetworkError, BrazeTimeoutError } from './errors.ts';
import { queryString } from './query.ts';
import { readRateLimit, serverWaitMs, type RateLimitState } from './rate-limit.ts';
import { backoffMs, isRetryableStatus, retryPolicy, type RetryOptions } from './retry.ts';

/** Waits `ms`; rejects with the signal's reason if it aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface TransportOptions {
  apiKey: string;
  baseUrl: string;
  fetch: typeof fetch;
  timeoutMs: number;
  retry: RetryOptions;
  sleep: Sleep;
  random: () => number;
  now: () => number;
  headers: Record<string, string>;
}

/** Per-call settings; they override the client's. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Per attempt, ms; 0 for none. */
  timeoutMs?: number;
  retry?: RetryOptions;
}

/** What happened on the last call, retries included. */
export interface CallRecord {
  /** `GET /kpi/dau/data_series` */
  request: string;
  /** Status of the last answer (undefined when none came). */
  status?: number;
  attempts: number;
  /** Waits before each retry, ms, in order. */
  waitsMs: number[];
  rateLimit?: RateLimitState;
}

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const TIMED_OUT = Symbol('timed out');

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Sends one endpoint's request with auth, timeouts and retries; remembers the rate-limit state. */
export class Transport {
  rateLimit: RateLimitState | undefined;
  lastCall: CallRecord | undefined;

  constructor(readonly options: TransportOptions) {}

  async send<N extends EndpointName>(name: N, params: ParamsOf<N>, call: CallOptions = {}): Promise<ResponseOf<N>> {
    return (await this.exchange(name, params, call)).body;
  }

  /** The answer's body and headers (cursor pages name the next page in a `Link` header). */
  async exchange<N extends EndpointName>(name: N, params: ParamsOf<N>, call: CallOptions = {}): Promise<{ body: ResponseOf<N>; headers: Headers }> {
    const route = ROUTES[name];
    const label = `${route.method} ${route.path}`;
    const policy = retryPolicy({ ...this.options.retry, ...call.retry });
    const timeoutMs = call.timeoutMs ?? this.options.timeoutMs;
    const record: CallRecord = { request: label, attempts: 0, waitsMs: [] };
    this.lastCall = record;
    const { url, init } = this.build(route.method, route.path, params);

    for (let attempt = 1; ; attempt++) {
      call.signal?.throwIfAborted();
      record.attempts = attempt;
      let answer: Answer;
      try {
        answer = await this.attempt(url, init, timeoutMs, call.signal);
      } catch (cause) {
        if (call.signal?.aborted) throw call.signal.reason;
        const error = cause === TIMED_OUT ? new BrazeTimeoutError(label, timeoutMs, attempt) : new BrazeNetworkError(label, attempt, { cause });
        if (!route.idempotent || attempt >= policy.attempts) throw error;
        await this.wait(record, backoffMs(policy, attempt, this.options.random), call.signal);
        continue;
      }

      record.status = answer.status;
      const rateLimit = readRateLimit(answer.headers);
      if (rateLimit) this.rateLimit = record.rateLimit = rateLimit;
      if (answer.status >= 200 && answer.status < 300) {
        if (typeof answer.body !== 'object' || answer.body === null) throw new BrazeError(`${label} answered ${answer.status} without a JSON body`);
        return { body: answer.body as ResponseOf<N>, headers: answer.headers };
      }

      const serverWait = serverWaitMs(answer.status, answer.headers, this.options.now());
      const error = apiError(label, answer, attempt, rateLimit, serverWait);
      const retryable = answer.status === 429 || (route.idempotent && isRetryableStatus(answer.status));
      if (!retryable || attempt >= policy.attempts) throw error;
      if (serverWait !== undefined && serverWait > policy.maxServerWaitMs) throw error;
      await this.wait(record, serverWait ?? backoffMs(policy, attempt, this.options.random), call.signal);
    }
  }

  private build(method: string, path: string, params: unknown): { url: string; init: RequestInit } {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.options.headers,
      authorization: `Bearer ${this.options.apiKey}`,
    };
    if (method === 'GET') return { url: this.options.baseUrl + path + queryString(params ?? {}), init: { method, headers } };
    if (typeof params === 'string') {
      // Currents as NDJSON, one record a line, as Braze delivers them.
      return { url: this.options.baseUrl + path, init: { method, headers: { ...headers, 'content-type': 'application/x-ndjson' }, body: params } };
    }
    return {
      url: this.options.baseUrl + path,
      init: { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(params ?? {}) },
    };
  }

  /** One request; rejects with TIMED_OUT when `timeoutMs` passes first (reading the body included). */
  private async attempt(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, timeoutMs)
        : undefined;
    try {
      const response = await this.options.fetch(url, { ...init, signal: controller.signal });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: parseBody(text) };
    } catch (error) {
      throw timedOut ? TIMED_OUT : error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async wait(record: CallRecord, ms: number, signal?: AbortSignal): Promise<void> {
    record.waitsMs.push(ms);
    await this.options.sleep(ms, signal);
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function apiError(label: string, answer: Answer, attempts: number, rateLimit: RateLimitState | undefined, retryAfterMs: number | undefined): BrazeApiError {
  const body = answer.body as { message?: unknown; errors?: unknown } | string | undefined;
  const message =
    typeof body === 'object' && body !== null && typeof body.message === 'string'
      ? body.message
      : typeof body === 'string' && body.trim() !== ''
        ? body.trim().slice(0, 200)
        : `HTTP ${answer.status}`;
  const errors = typeof body === 'object' && body !== null && Array.isArray(body.errors) ? (body.errors as unknown[]) : undefined;
  return new BrazeApiError(answer.status, message, errors, { request: label, body: answer.body, rateLimit, retryAfterMs, attempts });
}

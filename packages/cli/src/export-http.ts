/**
 * A small HTTP client for `brazen export`: Bearer key, JSON in and out, retries of 429 and 5xx with
 * backoff (honouring Retry-After), and errors that say which request failed and why.
 */
export interface ExportHttpOptions {
  baseUrl: string;
  key: string;
  /** Tries per request (default 4). */
  tries?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class ExportHttp {
  requests = 0;
  private readonly base: string;

  constructor(private readonly options: ExportHttpOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  get(path: string, query: Record<string, string>): Promise<unknown> {
    const qs = new URLSearchParams(query).toString();
    return this.send('GET', `${path}${qs ? `?${qs}` : ''}`);
  }

  post(path: string, body: unknown): Promise<unknown> {
    return this.send('POST', path, JSON.stringify(body));
  }

  private async send(method: string, pathAndQuery: string, body?: string): Promise<unknown> {
    const url = `${this.base}${pathAndQuery}`;
    const tries = this.options.tries ?? 4;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let attempt = 1; ; attempt++) {
      this.requests += 1;
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${this.options.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body,
        });
      } catch (error) {
        const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
        // A refused connection is retried once: nothing listens there, most likely.
        if (attempt < Math.min(tries, 2)) {
          await sleep(500);
          continue;
        }
        throw new Error(`${method} ${url} failed: ${cause}`);
      }
      const text = await res.text();
      if ((res.status === 429 || res.status >= 500) && attempt < tries) {
        const retryAfter = Number(res.headers.get('retry-after'));
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 120) * 1000 : 500 * 2 ** attempt);
        continue;
      }
      let json: unknown;
      try {
        json = text === '' ? {} : JSON.parse(text);
      } catch {
        throw new Error(`${method} ${url} answered ${res.status} with a body that is not JSON`);
      }
      if (!res.ok) {
        const message = (json as { message?: string }).message ?? res.statusText;
        throw new Error(`${method} ${url} answered ${res.status}: ${message}`);
      }
      return json;
    }
  }
}

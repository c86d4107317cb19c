import type * as T from './contract.ts';
import { exportLines } from './archive.ts';
import { BrazeApiError, BrazeError } from './errors.ts';
import type { CallOptions, Sleep } from './transport.ts';

/** How to learn that an export is ready. */
export interface ExportWaitOptions extends CallOptions {
  /**
   * Wait for the callback instead of polling right away: called with the job once it is started;
   * resolve it with the body Braze POSTed to your `callback_endpoint` (`{success, url?}`). The URL
   * is then fetched (and polled, should it still be missing).
   */
  callback?: (job: T.UsersExportSegmentResponse) => Promise<{ success?: boolean; url?: string }>;
  /** First wait between two polls of the URL, ms (default 2 000); grows ×1.5 a poll. */
  pollIntervalMs?: number;
  /** Longest wait between two polls, ms (default 30 000). */
  maxPollIntervalMs?: number;
  /** Give up after waiting this long in all, ms (default one hour). */
  maxWaitMs?: number;
}

export interface ExportDeps {
  fetch: typeof fetch;
  sleep: Sleep;
}

/**
 * The users of a started export job, parsed, as the files are read. The URL is signed: it is fetched
 * without the API key. Before the files exist it answers 404 (brazen) or 403/404 (S3); both mean
 * "not yet".
 */
export async function* exportedUsers(deps: ExportDeps, job: T.UsersExportSegmentResponse, options: ExportWaitOptions = {}): AsyncGenerator<T.UserExport> {
  let url = job.url;
  if (options.callback) {
    const called = await options.callback(job);
    if (called.success === false) throw new BrazeError(`the export ${job.object_prefix} reported failure to its callback`);
    url = called.url ?? url;
  }
  if (!url) {
    throw new BrazeError(
      `the export ${job.object_prefix} was written to the workspace's S3 bucket and has no download URL; read it from the bucket (objects prefixed ${job.object_prefix})`,
    );
  }
  const bytes = await download(deps, url, options);
  let index = 0;
  for await (const line of exportLines(bytes)) {
    index += 1;
    try {
      yield JSON.parse(line) as T.UserExport;
    } catch {
      throw new BrazeError(`line ${index} of the export ${job.object_prefix} is not JSON: ${line.slice(0, 80)}`);
    }
  }
}

async function download(deps: ExportDeps, url: string, options: ExportWaitOptions): Promise<Uint8Array> {
  let interval = options.pollIntervalMs ?? 2_000;
  const maxInterval = options.maxPollIntervalMs ?? 30_000;
  const maxWait = options.maxWaitMs ?? 3_600_000;
  let waited = 0;
  for (let polls = 1; ; polls++) {
    options.signal?.throwIfAborted();
    const response = await deps.fetch(url, { signal: options.signal });
    if (response.ok) return new Uint8Array(await response.arrayBuffer());
    const text = await response.text();
    if ((response.status !== 404 && response.status !== 403) || waited >= maxWait) {
      const message = response.status === 404 || response.status === 403 ? `the export was not ready after ${waited} ms` : text.slice(0, 200) || `HTTP ${response.status}`;
      throw new BrazeApiError(response.status, message, undefined, { request: 'GET export URL', body: text, attempts: polls });
    }
    const pause = Math.min(interval, maxInterval, maxWait - waited);
    waited += pause;
    await deps.sleep(pause, options.signal);
    interval = Math.round(interval * 1.5);
  }
}

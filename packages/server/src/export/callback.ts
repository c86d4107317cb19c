import { callbackRefusal } from './callback-guard.ts';
/** The POST to `callback_endpoint` when an export is ready, retried with exponential backoff. */

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

export interface CallbackOptions {
  /** Attempts in all (default 6: right away, then after 1, 2, 4, 8 and 16 s). */
  attempts?: number;
  firstDelayMs?: number;
  sleep?: Sleep;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Allow callbacks to loopback and private addresses (off by default). */
  allowPrivate?: boolean;
}

/** Returns the number of attempts made and whether one got a 2xx answer. */
export async function postCallback(
  url: string, body: object, signal: AbortSignal, options: CallbackOptions = {},
): Promise<{ delivered: boolean; attempts: number }> {
  const attempts = options.attempts ?? 6;
  const sleep = options.sleep ?? realSleep;
  let delay = options.firstDelayMs ?? 1_000;
  // Checked again at send time: the name may resolve elsewhere than when the export was asked for.
  if (await callbackRefusal(url, options.allowPrivate === true)) return { delivered: false, attempts: 0 };
  for (let i = 1; i <= attempts; i++) {
    if (signal.aborted) return { delivered: false, attempts: i - 1 };
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? 10_000)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { delivered: true, attempts: i };
    } catch {
      // Unreachable or timed out: try again.
    }
    if (i < attempts) {
      await sleep(delay, signal);
      delay *= 2;
    }
  }
  return { delivered: false, attempts };
}

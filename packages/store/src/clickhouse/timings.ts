/**
 * Where ingestion's time goes, summed over every batch of the process (wall milliseconds a phase):
 * read by `npm run bench -- clickhouse`. A few clock reads a batch; nothing else depends on it.
 */
export const ingestTimes = new Map<string, number>();

export function addTime(phase: string, since: number): void {
  ingestTimes.set(phase, (ingestTimes.get(phase) ?? 0) + performance.now() - since);
}

/** `fn`'s time added to `phase`. */
export async function timed<T>(phase: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    addTime(phase, started);
  }
}

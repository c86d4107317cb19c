/** A request waiting in a write queue: its input and how to answer it. */
export interface Pending<I, O> {
  input: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Stores waiting requests together as one group, each answered with its own result. When the group
 * fails (a malformed body, say), its requests are stored again one by one, so that only the bad one
 * fails. Shared by the engines' group commits (DuckDB's GroupCommit, ClickHouse's WriteQueue).
 */
export async function storeGroup<I, O>(
  group: ReadonlyArray<Pending<I, O>>,
  store: (inputs: I[]) => Promise<O[]>,
): Promise<void> {
  try {
    const results = await store(group.map((w) => w.input));
    group.forEach((w, i) => w.resolve(results[i]));
  } catch (error) {
    if (group.length === 1) {
      group[0].reject(error);
      return;
    }
    for (const w of group) {
      try {
        w.resolve((await store([w.input]))[0]);
      } catch (alone) {
        w.reject(alone);
      }
    }
  }
}

/**
 * Where the writer's time goes: wall time spent in each named step of the write path, summed over
 * every batch since the store opened (or since `reset`), and the records those batches stored. The
 * benchmark prints it per 100k records; it costs one `performance.now()` pair a step.
 */
export class WriteSteps {
  private readonly spent = new Map<string, number>();
  /** Records stored by the batches timed. */
  records = 0;

  async time<T>(step: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.add(step, performance.now() - started);
    }
  }

  add(step: string, ms: number): void {
    this.spent.set(step, (this.spent.get(step) ?? 0) + ms);
  }

  /** Milliseconds per step, in the order the steps were first seen. */
  totals(): Array<{ step: string; ms: number }> {
    return [...this.spent].map(([step, ms]) => ({ step, ms }));
  }

  reset(): void {
    this.spent.clear();
    this.records = 0;
  }
}

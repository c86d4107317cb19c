/**
 * Where the writer's time goes: wall time and process CPU time spent in each named step of the
 * write path, summed over every batch since the store opened (or since `reset`), and the records
 * those batches stored. The benchmark prints them per 100k records. CPU time counts every thread
 * of the process (DuckDB's and JavaScript's, including whatever else runs meanwhile), and is the
 * steadier figure on a machine that others share; it costs two clock reads a step.
 */
export interface StepTotal {
  step: string;
  ms: number;
  cpuMs: number;
}

export class WriteSteps {
  private readonly spent = new Map<string, { ms: number; cpuMs: number }>();
  /** Records stored by the batches timed. */
  records = 0;

  async time<T>(step: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const cpu = process.cpuUsage();
    try {
      return await work();
    } finally {
      const used = process.cpuUsage(cpu);
      this.add(step, performance.now() - started, (used.user + used.system) / 1000);
    }
  }

  add(step: string, ms: number, cpuMs = 0): void {
    const total = this.spent.get(step) ?? { ms: 0, cpuMs: 0 };
    total.ms += ms;
    total.cpuMs += cpuMs;
    this.spent.set(step, total);
  }

  /** Per step, in the order the steps were first seen. */
  totals(): StepTotal[] {
    return [...this.spent].map(([step, t]) => ({ step, ...t }));
  }

  reset(): void {
    this.spent.clear();
    this.records = 0;
  }
}

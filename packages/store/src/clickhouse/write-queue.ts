/**
 * Group commit: write requests that arrive while a batch is being stored wait, and are then stored
 * together as one batch (a batch has a fixed cost: the lease, lookups, one insert per table and
 * shard). Each request still gets its own result; when a batch fails, its requests are stored again
 * one by one, so that only the bad one fails. Batches are stored one at a time, in arrival order.
 */

import { storeGroup, type Pending } from '../store-group.ts';

interface Waiting<I, O> extends Pending<I, O> {
  weight: number;
}

export interface WriteQueueOptions {
  /** At most this many requests in a batch, and this much weight (e.g. records) in all. */
  maxRequests?: number;
  maxWeight?: number;
}

export class WriteQueue<I, O> {
  private readonly waiting: Array<Waiting<I, O>> = [];
  private running = false;

  constructor(
    private readonly store: (batch: I[]) => Promise<O[]>,
    private readonly options: WriteQueueOptions = {},
  ) {}

  push(input: I, weight = 1): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ input, weight, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  /** Resolves once every request pushed so far is stored (or failed). */
  async idle(): Promise<void> {
    while (this.running || this.waiting.length > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const maxRequests = this.options.maxRequests ?? 64;
        const maxWeight = this.options.maxWeight ?? Infinity;
        const batch: Array<Waiting<I, O>> = [this.waiting.shift()!];
        let weight = batch[0].weight;
        while (this.waiting.length > 0 && batch.length < maxRequests && weight + this.waiting[0].weight <= maxWeight) {
          const next = this.waiting.shift()!;
          batch.push(next);
          weight += next.weight;
        }
        await storeGroup(batch, this.store);
      }
    } finally {
      this.running = false;
    }
  }
}

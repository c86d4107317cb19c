import { storeGroup, type Pending } from '../store-group.ts';
import type { Db } from './db.ts';

/** At most this many waiting requests, and this many bytes of bodies, are committed together. */
const MAX_GROUP = 64;
const MAX_GROUP_BYTES = 64 * 1024 * 1024;

interface Waiting<I, O> extends Pending<I, O> {
  bytes: number;
}

/**
 * Requests that arrive while the writer is busy are committed together, in one transaction (group
 * commit): an ingestion batch has a fixed cost of some thirty statements, which many small requests
 * would otherwise pay one by one. Each request still gets its own result; when a group fails (a
 * malformed body, say), its requests are stored again one by one, so that only the bad one fails.
 */
export class GroupCommit<I, O> {
  private readonly queue: Array<Waiting<I, O>> = [];

  constructor(
    private readonly db: Db,
    /** Stores a group, answering one result per input, in their order. */
    private readonly store: (group: I[]) => Promise<O[]>,
    /** Inputs of one kind only are grouped together (e.g. one body format per staging read). */
    private readonly kind: (input: I) => string = () => '',
    private readonly bytes: (input: I) => number = () => 0,
    /** Runs on the writer's same turn after each group is stored and answered. */
    private readonly afterGroup: () => Promise<void> = async () => undefined,
  ) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject, bytes: this.bytes(input) });
      if (this.queue.length === 1) void this.db.serialized(() => this.flush());
    });
  }

  /** Stores the waiting requests of the first one's kind as one group: at most MAX_GROUP of them
   * and MAX_GROUP_BYTES of bodies (a larger body goes alone). */
  private async flush(): Promise<void> {
    const first = this.kind(this.queue[0].input);
    const group: Array<Waiting<I, O>> = [];
    let bytes = 0;
    for (let i = 0; i < this.queue.length && group.length < MAX_GROUP; ) {
      const w = this.queue[i];
      if (group.length > 0 && bytes + w.bytes > MAX_GROUP_BYTES) break;
      if (this.kind(w.input) === first) {
        group.push(...this.queue.splice(i, 1));
        bytes += w.bytes;
      } else i++;
    }
    if (this.queue.length > 0) void this.db.serialized(() => this.flush());
    await storeGroup(group, this.store);
    await this.afterGroup();
  }
}

import type { Leases } from '../leases.ts';
import type { Documents } from './catalog.ts';
import type { ClickHouseConnection } from './client.ts';

/** What every part of the engine works with. */
export interface EngineContext {
  readonly db: ClickHouseConnection;
  /** Shards of the cluster (nodes of the URL, in shard order); 1 for one server or chdb. */
  readonly shards: number;
  readonly leases: Leases;
  readonly docs: Documents;
  /** Epoch milliseconds (injected by tests). */
  readonly now: () => number;
}

/** Settings when reading a table of several shards through its Distributed table: each shard's
 * partial aggregates are exact for its users, so they are added, never merged. */
export const perShard = (ctx: EngineContext) => (ctx.db.cluster ? { distributed_group_by_no_merge: '1' } : undefined);

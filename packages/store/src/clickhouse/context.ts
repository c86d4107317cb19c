import type { Leases } from '../leases.ts';
import type { Documents } from './catalog.ts';
import { StoreError } from '../errors.ts';
import type { ClickHouseConnection } from './client.ts';
import { ClickHouseStoreError } from './errors.ts';

/** What every part of the engine works with. */
export interface EngineContext {
  readonly db: ClickHouseConnection;
  /** Shards of the cluster (nodes of the URL, in shard order); 1 for one server or chdb. */
  readonly shards: number;
  readonly leases: Leases;
  readonly docs: Documents;
  /** Epoch milliseconds (injected by tests). */
  readonly now: () => number;
  /** Set once the store is closed: every call then fails as unavailable. */
  readonly state: { closed: boolean };
}

/**
 * Runs an engine call: a closed store, or a cluster that cannot be reached, is the engine being
 * unavailable (the same request may succeed later); anything else is passed on as it is.
 */
export async function unavailableWhenDown<T>(ctx: EngineContext, call: () => Promise<T>): Promise<T> {
  if (ctx.state.closed) throw new StoreError('unavailable', 'the store is closed');
  try {
    return await call();
  } catch (error) {
    if (ctx.state.closed) throw new StoreError('unavailable', 'the store is closed');
    if (error instanceof ClickHouseStoreError && error.serverCode === undefined && UNREACHABLE.test(error.message)) {
      throw new StoreError('unavailable', `ClickHouse cannot be reached now: ${error.message.split(' (in: ')[0]}`);
    }
    throw error;
  }
}

const UNREACHABLE = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|socket hang up|Timeout error|other side closed|Client is closed/i;

/** Settings when reading a table of several shards through its Distributed table: each shard's
 * partial aggregates are exact for its users, so they are added, never merged. */
export const perShard = (ctx: EngineContext) => (ctx.db.cluster ? { distributed_group_by_no_merge: '1' } : undefined);

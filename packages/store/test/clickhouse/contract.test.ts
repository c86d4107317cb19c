import { runStoreContract } from '../store-contract.ts';
import { onEveryTarget } from './engine-targets.ts';

onEveryTarget('store contract', (target, newStore) => runStoreContract(`clickhouse-${target}`, { newStore: (dir) => newStore(dir) }));

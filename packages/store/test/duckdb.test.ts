import { DuckDbStore } from '@brazen/store';
import { runStoreContract } from './store-contract.ts';

runStoreContract('duckdb', { newStore: (dir) => DuckDbStore.open({ dataDir: dir }) });

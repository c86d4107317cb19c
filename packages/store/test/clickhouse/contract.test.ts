import { runStoreContract } from '../contract/index.ts';
import { onEveryTarget } from './engine-targets.ts';
import { describeLeg } from './targets.ts';

/** The store contract, unchanged, on one 18.16 server, a cluster of two 18.16 shards and chdb. */
describeLeg('ClickHouse', () => onEveryTarget('store contract', (target, newStore) =>
  runStoreContract({
    name: `clickhouse (${target})`,
    open: (dir) => newStore(dir),
    skip: [
      { reason: 'ClickHouse computes export objects from the records when asked: no KeptProfiles capability', concerns: ['kept-profiles'] },
      { reason: 'ClickHouse computes segment sizes from the records when asked: no KeptSegments capability', concerns: ['kept-segments'] },
    ],
  })));

/**
 * The ClickHouse engine's three test targets: Debian's 18.16 as one server, as a cluster of two
 * shard processes, and chdb (ClickHouse 26.x in process). `newStore(dir)` opens a store in a database
 * named after `dir`, so that opening the same dir again finds the same data.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseStore, type Leases, type Store } from '@brazen/store';
import { describeOnServers, describeWith } from './targets.ts';

export type EngineTarget = 'server' | 'cluster' | 'chdb';

export const databaseOf = (dir: string) => `t_${createHash('sha1').update(dir).digest('hex').slice(0, 16)}`;

export interface TargetOptions {
  now?: () => number;
  leases?: Leases;
}

/** Runs `body` on each target with a function that opens a store for a dir. */
export function onEveryTarget(title: string, body: (target: EngineTarget, newStore: (dir: string, options?: TargetOptions) => Promise<Store>, urlOf: (dir: string) => string) => void): void {
  for (const [target, shards] of [['server', 1], ['cluster', 2]] as const) {
    describeOnServers(`${title} (ClickHouse 18.16, ${shards === 1 ? 'one server' : 'two shards'})`, shards, (urlOf) => {
      const url = (dir: string) => urlOf(databaseOf(dir));
      body(target, (dir, options = {}) => ClickHouseStore.open({ url: url(dir), ...options }), url);
    });
  }
  describeWith('chdb', `${title} (chdb)`, () => {
    // chdb keeps one data folder per process: every store of this file is a database in it.
    const path = join(mkdtempSync(join(tmpdir(), 'brazen-chdb-')), 'data');
    const url = (dir: string) => `chdb:${path}?database=${databaseOf(dir)}`;
    body('chdb', (dir, options = {}) => ClickHouseStore.open({ url: url(dir), ...options }), url);
  });
}

/**
 * The engine the server's tests run on: DuckDB by default; `BRAZEN_TEST_STORE=clickhouse` runs them
 * on a real Debian clickhouse-server (one per test file, started on first use), `clickhouse-cluster`
 * on two shard processes, `chdb` on ClickHouse in process. A test's folder names its store: the same
 * folder opens the same data again (a database named after it).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { ClickHouseStore, DuckDbStore, type Store } from '@brazen/store';
import { startClickHouseCluster, type ClickHouseCluster } from '../../store/test/clickhouse/servers.ts';

export type TestStoreKind = 'duckdb' | 'clickhouse' | 'clickhouse-cluster' | 'chdb';

export const TEST_STORE: TestStoreKind = (() => {
  const kind = process.env.BRAZEN_TEST_STORE ?? 'duckdb';
  if (!['duckdb', 'clickhouse', 'clickhouse-cluster', 'chdb'].includes(kind)) throw new Error(`BRAZEN_TEST_STORE=${kind}: expected duckdb, clickhouse, clickhouse-cluster or chdb`);
  return kind as TestStoreKind;
})();

export const onClickHouse = TEST_STORE !== 'duckdb';

let servers: Promise<ClickHouseCluster> | undefined;
// The servers a test file started end with it (else each file of a run leaves its servers behind).
afterAll(async () => {
  await (await servers)?.stop();
  servers = undefined;
});
let chdbPath: string | undefined;

const databaseOf = (dir: string) => `t_${createHash('sha1').update(dir).digest('hex').slice(0, 16)}`;

/** The `--store` URL of the store for `dir` (for `brazen serve` processes; undefined on DuckDB: the
 * data folder is the store). Starts the ClickHouse servers on first use. */
export async function testStoreUrl(dir: string): Promise<string | undefined> {
  if (TEST_STORE === 'duckdb') return undefined;
  if (TEST_STORE === 'chdb') {
    chdbPath ??= join(mkdtempSync(join(tmpdir(), 'brazen-chdb-')), 'data');
    return `chdb:${chdbPath}?database=${databaseOf(dir)}`;
  }
  const shards = TEST_STORE === 'clickhouse-cluster' ? 2 : 1;
  servers ??= startClickHouseCluster(shards);
  const cluster = await servers;
  const hosts = cluster.nodes.map((n) => n.httpUrl.replace(/^http:\/\//, '')).join(',');
  return `clickhouse://${hosts}/${databaseOf(dir)}${shards > 1 ? `?cluster=${cluster.name}` : ''}`;
}

/** Opens the store of `dir` (`:memory:` for a throwaway DuckDB store; a fresh database elsewhere). */
export async function openTestStore(options: { dir: string; now?: () => number }): Promise<Store> {
  const url = await testStoreUrl(options.dir === ':memory:' ? mkdtempSync(join(tmpdir(), 'brazen-mem-')) : options.dir);
  if (url === undefined) return DuckDbStore.open({ dataDir: options.dir, now: options.now });
  return ClickHouseStore.open({ url, now: options.now });
}

/** Arguments of `brazen serve` for the store of `dir`. */
export async function serveStoreArgs(dir: string): Promise<string[]> {
  const url = await testStoreUrl(dir);
  return url === undefined ? [] : ['--store', url];
}

/** Why a test of DuckDB itself does not run on the engine under test (undefined on DuckDB). */
export const duckDbOnly = (what: string): string | undefined => (onClickHouse ? `${what} is DuckDB's own (BRAZEN_TEST_STORE=${TEST_STORE})` : undefined);

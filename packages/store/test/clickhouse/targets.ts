/**
 * Which ClickHouse engines the tests can reach here, and why not. A suite that needs one is skipped
 * with the reason in its title where the binary is absent, and runs (failing if absent) in CI,
 * which installs both (.ci/run).
 */
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { clickHouseServerMissing, startClickHouseCluster, type ClickHouseCluster } from './servers.ts';

export const serverMissing = clickHouseServerMissing();
export const chdbMissing = (() => {
  try {
    createRequire(import.meta.url).resolve('chdb/connection');
    return undefined;
  } catch {
    return 'chdb is not installed (npm install --no-save chdb@3.4.0; .ci/run does it)';
  }
})();

const ci = process.env.CI === 'true';

/** The ClickHouse legs (the store contract on every target, the server suite, two instances) run
 * behind this switch: .ci/run sets it for legs of their own; a newcomer's `npm test` leaves it off. */
export const clickHouseLeg = process.env.BRAZEN_CLICKHOUSE_TESTS === '1';

/** `describe` of a slow ClickHouse leg: skipped, with the way to run it in the title, unless switched on. */
export function describeLeg(title: string, body: () => void): void {
  describe.skipIf(!clickHouseLeg)(clickHouseLeg ? title : `${title} [a leg of its own: BRAZEN_CLICKHOUSE_TESTS=1, as .ci/run does]`, body);
}

/** `describe` that needs `clickhouse-server` or chdb; skipped with its reason outside CI. */
export function describeWith(engine: 'server' | 'chdb', title: string, body: () => void): void {
  const reason = engine === 'server' ? serverMissing : chdbMissing;
  const skip = reason !== undefined && !ci;
  describe.skipIf(skip)(skip ? `${title} [skipped: ${reason}]` : title, body);
}

/** A fresh chdb folder: chdb keeps one per process, and vitest runs each file in its own process. */
export function chdbUrl(database = 'brazen'): string {
  return `chdb:${join(mkdtempSync(join(tmpdir(), 'brazen-chdb-')), 'data')}?database=${database}`;
}

/** The store URL of a server or a cluster started by servers.ts. */
export function serverUrl(httpUrls: string[], database: string, cluster?: string): string {
  const hosts = httpUrls.map((u) => u.replace(/^http:\/\//, '')).join(',');
  return `clickhouse://${hosts}/${database}${cluster ? `?cluster=${cluster}` : ''}`;
}

/**
 * A suite on Debian's server, as one server (`shards` 1) or a cluster of server processes: `body`
 * gets the store URL of a database on it, valid once the suite's tests run.
 */
export function describeOnServers(title: string, shards: number, body: (urlOf: (database: string) => string) => void): void {
  describeWith('server', title, () => {
    let servers: ClickHouseCluster;
    beforeAll(async () => {
      servers = await startClickHouseCluster(shards);
    });
    afterAll(async () => {
      await servers?.stop();
    });
    body((database) => serverUrl(servers.nodes.map((n) => n.httpUrl), database, shards > 1 ? servers.name : undefined));
  });
}

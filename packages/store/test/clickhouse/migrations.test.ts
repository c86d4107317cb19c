/**
 * Migrations: applied once, recorded, idempotent, refusing a changed or unknown history, and safe
 * when several runners (in one process, and two processes) start together on one server, on a
 * cluster, and on chdb.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { connectClickHouse, type ClickHouseConnection } from '../../src/clickhouse/client.ts';
import { ClickHouseStoreError } from '../../src/clickhouse/errors.ts';
import { checkIdempotent, migrate, schemaVersions, type Migration } from '../../src/clickhouse/migrations.ts';
import { raw, sql } from '../../src/clickhouse/sql.ts';
import { TEST_MIGRATIONS } from './migration-list.ts';
import { chdbUrl, describeOnServers, describeWith } from './targets.ts';

const run = promisify(execFile);

/** What a database looks like: its tables with their engines and columns, on every node. */
async function schemaOf(db: ClickHouseConnection): Promise<unknown[]> {
  return Promise.all(
    db.nodes.map((_, node) =>
      db.query(
        sql`SELECT t.name AS name, t.engine AS engine, groupArray(concat(c.name, ' ', c.type)) AS columns
            FROM system.tables AS t ANY LEFT JOIN (SELECT table AS name, name, type FROM system.columns WHERE database = ${db.database}) AS c USING name
            WHERE t.database = ${db.database} GROUP BY t.name, t.engine ORDER BY t.name`,
        { node },
      ),
    ),
  );
}

async function records(db: ClickHouseConnection): Promise<number[][]> {
  return Promise.all(
    db.nodes.map(async (_, node) => (await db.query<{ v: number }>(sql`SELECT DISTINCT version AS v FROM ${db.table('brazen_migrations')} ORDER BY v`, { node })).map((r) => r.v)),
  );
}

async function failure(promise: Promise<unknown>): Promise<ClickHouseStoreError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ClickHouseStoreError);
  return error as ClickHouseStoreError;
}

function runnerSuite(open: (database: string) => Promise<ClickHouseConnection>, nodes: number): void {
  it('applies the list on first start, records it, and does nothing the second time', async () => {
    const db = await open('first_start');
    expect(await schemaVersions(db)).toEqual(Array(nodes).fill(0));
    expect((await migrate(db, TEST_MIGRATIONS.slice(0, 2))).applied).toEqual(Array(nodes).fill([1, 2]));
    const before = await schemaOf(db);
    expect((await migrate(db, TEST_MIGRATIONS.slice(0, 2))).applied).toEqual(Array(nodes).fill([]));
    expect(await schemaOf(db)).toEqual(before);
    // A newer list applies only what is new: the added column.
    expect((await migrate(db, TEST_MIGRATIONS)).applied).toEqual(Array(nodes).fill([3]));
    expect(await schemaVersions(db)).toEqual(Array(nodes).fill(3));
    const [{ n }] = await db.query<{ n: number }>(sql`SELECT count() AS n FROM system.columns WHERE database = 'first_start' AND table = 'events_local' AND name = 'app_id'`);
    expect(n).toBe(1);
    await db.close();
  });

  it('refuses a migration changed after it was applied, and a database newer than the code', async () => {
    const db = await open('history');
    await migrate(db, TEST_MIGRATIONS);
    const changed: Migration[] = [{ ...TEST_MIGRATIONS[0], steps: (d) => [...TEST_MIGRATIONS[0].steps(d), sql`CREATE TABLE IF NOT EXISTS ${d.table('x')} (a UInt8) ENGINE = Log`] }, ...TEST_MIGRATIONS.slice(1)];
    expect((await failure(migrate(db, changed))).message).toMatch(/migration 1 \(events and users\) changed/);
    expect((await failure(migrate(db, TEST_MIGRATIONS.slice(0, 2)))).message).toMatch(/at version 3; this brazen knows up to 2/);
    await db.close();
  });

  it('ends in the state of one runner when six start together', async () => {
    const alone = await open('alone');
    await migrate(alone, TEST_MIGRATIONS);
    const expected = await schemaOf(alone);
    await alone.close();
    for (let round = 0; round < 3; round++) {
      const runners = await Promise.all(Array.from({ length: 6 }, () => open(`together_${round}`)));
      const reports = await Promise.all(runners.map((db, i) => migrate(db, TEST_MIGRATIONS, `runner-${i}`)));
      expect(reports.every((r) => r.version === 3)).toBe(true);
      const schema = (await schemaOf(runners[0])) as { name: string }[][];
      // Same tables, engines and columns as one runner made (names differ only by the database).
      expect(JSON.stringify(schema).replaceAll(`together_${round}`, 'alone')).toBe(JSON.stringify(expected));
      expect(await records(runners[0])).toEqual(Array(nodes).fill([1, 2, 3]));
      await Promise.all(runners.map((db) => db.close()));
    }
  });
}

it('refuses a step whose form does not show it is idempotent', () => {
  expect(() => checkIdempotent(sql`CREATE TABLE t (a UInt8) ENGINE = Log`)).toThrow(/not idempotent/);
  expect(() => checkIdempotent(sql`ALTER TABLE t DROP COLUMN a`)).toThrow(/not idempotent/);
  expect(() => checkIdempotent(sql`CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE = Log`)).not.toThrow();
  expect(() => checkIdempotent({ addColumn: { table: 't', column: 'b', type: raw('String') } })).not.toThrow();
});

describeOnServers('migrations on clickhouse-server (Debian 18.16)', 1, (urlOf) => {
  runnerSuite((database) => connectClickHouse(urlOf(database)), 1);

  it('two brazen processes started together migrate one database once', async () => {
    const script = fileURLToPath(new URL('./migrate-process.ts', import.meta.url));
    const url = urlOf('two_processes');
    const outputs = await Promise.all([1, 2].map((i) => run(process.execPath, ['--import', 'tsx', script, url, String(i)])));
    const reports = outputs.map((o) => JSON.parse(o.stdout) as { version: number; applied: number[][] });
    expect(reports.map((r) => r.version)).toEqual([3, 3]);
    // Each version was applied by one process or by both (harmlessly); none was skipped.
    const union = new Set(reports.flatMap((r) => r.applied[0]));
    expect([...union].sort()).toEqual([1, 2, 3]);
    const db = await connectClickHouse(url);
    expect(await records(db)).toEqual([[1, 2, 3]]);
    await db.close();
  });
});

describeOnServers('migrations on a two-shard cluster', 2, (urlOf) => {
  runnerSuite((database) => connectClickHouse(urlOf(database)), 2);
});

describeWith('chdb', 'migrations on chdb (current engine)', () => {
  const url = chdbUrl();
  const path = url.slice('chdb:'.length, url.indexOf('?'));
  runnerSuite((database) => connectClickHouse(`chdb:${path}?database=${database}`), 1);
});

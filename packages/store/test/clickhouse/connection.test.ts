/**
 * The connection layer on real engines: what it reads at connect (version, known settings), the
 * settings it then sends, 64-bit integers, credentials, typed errors, and a cluster of two server
 * processes whose Distributed table really spreads rows over the shards by the sharding key.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectClickHouse, type ClickHouseConnection } from '../../src/clickhouse/client.ts';
import { ClickHouseStoreError } from '../../src/clickhouse/errors.ts';
import { identifier, raw, sql } from '../../src/clickhouse/sql.ts';
import { startClickHouseCluster, startClickHouseServer, type ClickHouseCluster, type ClickHouseServer } from './servers.ts';
import { chdbUrl, describeWith, serverUrl } from './targets.ts';

async function failure(promise: Promise<unknown>): Promise<ClickHouseStoreError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ClickHouseStoreError);
  return error as ClickHouseStoreError;
}

describeWith('server', 'connection to clickhouse-server (Debian 18.16)', () => {
  let server: ClickHouseServer;
  let db: ClickHouseConnection;
  beforeAll(async () => {
    server = await startClickHouseServer({ users: [{ name: 'brazen', password: "p@ss:w'rd" }] });
    db = await connectClickHouse(serverUrl([server.httpUrl], 'conn'));
  });
  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });

  it('reads the version and sends only settings 18.16 knows', () => {
    expect(db.version).toMatchObject({ major: 18, minor: 16 });
    expect(db.capabilities).toEqual({ queryParameters: false, windowFunctions: false, insertDeduplicationToken: false });
    const mib16 = String(16 * 1024 * 1024);
    // A query's size and its AST are raised alike, so that a long IN list of literals parses.
    expect(db.profile.common).toEqual({
      output_format_json_quote_64bit_integers: 1, date_time_input_format: 'basic', max_query_size: mib16, max_ast_elements: mib16, max_expanded_ast_elements: mib16,
    });
    expect(db.profile.insert).toEqual({ insert_distributed_sync: 1 });
  });

  it('creates its database and returns 64-bit integers as exact numbers', async () => {
    const [row] = await db.query<{ u: number; i: number; a: number[]; n: number | null }>(
      sql`SELECT toUInt64(9007199254740991) AS u, toInt64(-42) AS i, [toUInt64(1), toUInt64(2)] AS a, CAST(NULL AS Nullable(UInt64)) AS n`,
    );
    expect(row).toEqual({ u: 9007199254740991, i: -42, a: [1, 2], n: null });
    const [{ here }] = await db.query<{ here: number }>(sql`SELECT count() AS here FROM system.databases WHERE name = ${'conn'}`);
    expect(here).toBe(1);
    const e = await failure(db.query(sql`SELECT toUInt64(9007199254740993) AS big`));
    expect(e.kind).toBe('unsafe-integer');
  });

  it('turns refusals into typed errors with the server code, from 18.16 messages too', async () => {
    const e = await failure(db.query(sql`SELECT * FROM ${db.table('nothing_here')}`));
    expect(e).toMatchObject({ kind: 'query', serverCode: 60 });
    expect(e.message).toMatch(/nothing_here/);
  });

  it('authenticates with the user and password of the URL or of the environment', async () => {
    const password = encodeURIComponent("p@ss:w'rd");
    const fromUrl = await connectClickHouse(`clickhouse://brazen:${password}@127.0.0.1:${server.httpPort}/conn`);
    const fromEnv = await connectClickHouse(`clickhouse://127.0.0.1:${server.httpPort}/conn`, {
      env: { BRAZEN_CLICKHOUSE_USER: 'brazen', BRAZEN_CLICKHOUSE_PASSWORD: "p@ss:w'rd" },
    });
    for (const c of [fromUrl, fromEnv]) {
      const [{ n }] = await c.query<{ n: number }>(sql`SELECT 1 AS n`);
      expect(n).toBe(1);
      await c.close();
    }
    const wrong = await failure(connectClickHouse(`clickhouse://brazen:nope@127.0.0.1:${server.httpPort}/conn`));
    expect(wrong.serverCode).toBe(193);
  });

  it('inserts rows that are readable as soon as the call returns', async () => {
    await db.command(sql`CREATE TABLE ${db.table('t')} (k String, n UInt64) ENGINE = MergeTree ORDER BY k`);
    await db.insert('t', [{ k: 'a', n: 1 }, { k: 'b', n: 2 }]);
    expect(await db.query(sql`SELECT k, n FROM ${db.table('t')} ORDER BY k`)).toEqual([{ k: 'a', n: 1 }, { k: 'b', n: 2 }]);
  });
});

describeWith('chdb', 'connection to chdb (current engine)', () => {
  let db: ClickHouseConnection;
  beforeAll(async () => {
    db = await connectClickHouse(chdbUrl('conn'));
  });
  afterAll(async () => {
    await db?.close();
  });

  it('reads the version and pins the defaults that changed since 18.16', () => {
    expect(db.version.major).toBeGreaterThanOrEqual(26);
    expect(db.capabilities).toEqual({ queryParameters: true, windowFunctions: true, insertDeduplicationToken: true });
    expect(db.profile.common).toMatchObject({ output_format_json_quote_64bit_integers: 1, date_time_input_format: 'basic', session_timezone: 'UTC' });
    // 26.2 made inserts asynchronous by default; the new name of the foreground-insert setting wins.
    expect(db.profile.insert).toEqual({ async_insert: 0, distributed_foreground_insert: 1 });
  });

  it('answers the same SQL as 18.16 with the same JSON', async () => {
    const [row] = await db.query<{ u: number; i: number; a: number[] }>(sql`SELECT toUInt64(9007199254740991) AS u, toInt64(-42) AS i, [toUInt64(1), toUInt64(2)] AS a`);
    expect(row).toEqual({ u: 9007199254740991, i: -42, a: [1, 2] });
    await db.command(sql`CREATE TABLE ${db.table('t')} (k String, t DateTime('UTC')) ENGINE = MergeTree ORDER BY k`);
    await db.insert('t', [{ k: 'a', t: 1709287200 }]);
    expect(await db.query(sql`SELECT k, toString(t) AS t FROM ${db.table('t')}`)).toEqual([{ k: 'a', t: '2024-03-01 10:00:00' }]);
    const e = await failure(db.query(sql`SELECT * FROM ${db.table('nothing_here')}`));
    expect(e).toMatchObject({ kind: 'query', serverCode: 60 });
  });
});

describeWith('server', 'a cluster of two clickhouse-server processes', () => {
  let cluster: ClickHouseCluster;
  let db: ClickHouseConnection;
  beforeAll(async () => {
    cluster = await startClickHouseCluster(2);
    // Nodes given in reverse: the connection orders them by the shard each one is.
    db = await connectClickHouse(serverUrl([cluster.nodes[1].httpUrl, cluster.nodes[0].httpUrl], 'sharded', cluster.name));
  });
  afterAll(async () => {
    await db?.close();
    await cluster?.stop();
  });

  it('knows which node is which shard', () => {
    expect(db.nodes.map((n) => [n.shard, n.name])).toEqual([
      [1, cluster.nodes[0].httpUrl],
      [2, cluster.nodes[1].httpUrl],
    ]);
  });

  it('spreads rows of a Distributed table over both shards by the sharding key', async () => {
    const local = db.table('users_local');
    await db.onEveryNode(sql`CREATE TABLE ${local} (user String, n UInt32) ENGINE = MergeTree ORDER BY user`);
    await db.onEveryNode(
      sql`CREATE TABLE ${db.table('users')} AS ${local} ENGINE = Distributed(${identifier(cluster.name)}, ${'sharded'}, ${'users_local'}, ${raw('cityHash64(user)')})`,
    );
    const users = Array.from({ length: 1000 }, (_, i) => ({ user: `u${i}`, n: i }));
    await db.insert('users', users);
    const perShard = await Promise.all(db.nodes.map((_, i) => db.query<{ n: number }>(sql`SELECT count() AS n FROM ${local}`, { node: i })));
    const counts = perShard.map(([r]) => r.n);
    expect(counts[0] + counts[1]).toBe(1000);
    expect(Math.min(...counts)).toBeGreaterThan(400); // a hash splits 1000 keys about evenly
    // Each user on exactly one shard: the one its hash names (shard = hash % 2, in shard order).
    const [{ misplaced }] = await db.query<{ misplaced: number }>(
      sql`SELECT count() AS misplaced FROM ${local} WHERE cityHash64(user) % 2 != 0`,
    );
    expect(misplaced).toBe(0);
    const [{ total }] = await db.query<{ total: number }>(sql`SELECT count() AS total FROM ${db.table('users')}`);
    expect(total).toBe(1000);
  });

  it('refuses a URL whose nodes are not the shards of the named cluster', async () => {
    const e = await failure(connectClickHouse(serverUrl([cluster.nodes[0].httpUrl, cluster.nodes[1].httpUrl], 'sharded', 'no_such_cluster')));
    expect(e.kind).toBe('cluster');
    const same = await failure(connectClickHouse(serverUrl([cluster.nodes[0].httpUrl, cluster.nodes[0].httpUrl], 'sharded', cluster.name)));
    expect(same.message).toMatch(/same shard/);
  });
});

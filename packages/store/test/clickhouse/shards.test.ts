/**
 * The hash that places users is ClickHouse's own, and rows written as TabSeparated come back byte for
 * byte, on 18.16 and on chdb (26.x).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectClickHouse, type ClickHouseConnection } from '../../src/clickhouse/client.ts';
import { insertLocal, insertText, shardOf, TsvWriter } from '../../src/clickhouse/shards.ts';
import { sql } from '../../src/clickhouse/sql.ts';
import { prng } from '../naive.ts';
import { chdbUrl, describeOnServers, describeWith } from './targets.ts';

/** Users with hostile and non-ASCII names, and workspaces. */
function names(count: number, seed: number): string[] {
  const random = prng(seed);
  const alphabet = ['a', 'Z', '0', ' ', "'", '\\', '\t', '\n', '\0', 'é', '☕', '😀', '\u001f', '"'];
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
}

function suite(url: () => string): void {
  let db: ClickHouseConnection;
  beforeAll(async () => {
    db = await connectClickHouse(url());
    await db.command(sql`CREATE TABLE IF NOT EXISTS ${db.table('placed')} (ws String, user String, price Nullable(Float64)) ENGINE = MergeTree ORDER BY tuple()`);
  });
  afterAll(async () => db?.close());

  it('places a user on the shard ClickHouse computes: jumpConsistentHash(reinterpretAsUInt64(MD5(ws || NUL || user)), N)', async () => {
    const users = names(300, 1);
    const rows = users.map((user, i) => ({ ws: i % 2 ? 'default' : "w's", user, price: null }));
    await db.insert('placed', rows);
    for (const shards of [2, 3, 5, 16]) {
      const found = await db.query<{ ws: string; user: string; shard: number }>(
        sql`SELECT ws, user, jumpConsistentHash(reinterpretAsUInt64(MD5(concat(ws, '\0', user))), ${shards}) AS shard FROM ${db.table('placed')}`,
      );
      expect(found).toHaveLength(users.length);
      for (const r of found) expect(shardOf(r.ws, r.user, shards), JSON.stringify(r.user)).toBe(r.shard);
    }
  });

  it('reads back TabSeparated rows byte for byte: escapes, NUL, emoji, nulls and doubles', async () => {
    await db.command(sql`TRUNCATE TABLE ${db.table('placed')}`);
    const users = names(200, 2).map((name, i) => `${i}:${name}`);
    const prices = [null, 0, -1.5, 1e21, 2.2250738585072014e-308, 0.1 + 0.2, 1.7976931348623157e308, 123456.789];
    await insertLocal(db, 0, 'placed', ['ws', 'user', 'price'], users.map((user, i) => ['ws', user, prices[i % prices.length]]));
    const back = await db.query<{ user: string; price: number | null }>(sql`SELECT user, price FROM ${db.table('placed')}`);
    expect(new Map(back.map((r) => [r.user, r.price]))).toEqual(new Map(users.map((u, i) => [u, prices[i % prices.length]])));
  });

  it('reads back text written as UTF-8 bytes by TsvWriter byte for byte (payloads copied from a request body)', async () => {
    await db.command(sql`TRUNCATE TABLE ${db.table('placed')}`);
    const users = names(300, 3).map((name, i) => `${i}:${name}`);
    const out = new TsvWriter();
    for (const user of users) {
      out.text('ws\t');
      out.field(Buffer.from(user));
      out.text('\t\\N\n');
    }
    await insertText(db, 0, 'placed', ['ws', 'user', 'price'], out.done());
    const back = await db.query<{ user: string }>(sql`SELECT user FROM ${db.table('placed')}`);
    expect(back.map((r) => r.user).sort()).toEqual([...users].sort());
  });
}

describeOnServers('user placement and TabSeparated rows (ClickHouse 18.16)', 1, (urlOf) => suite(() => urlOf('placement')));
describeWith('chdb', 'user placement and TabSeparated rows (chdb)', () => {
  const url = chdbUrl('placement');
  suite(() => url);
});

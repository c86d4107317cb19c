import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbStore } from '@brazen/store';
import { runStoreContract } from './store-contract.ts';

runStoreContract('duckdb', { newStore: (dir) => DuckDbStore.open({ dataDir: dir }) });

describe('duckdb store upgrades', () => {
  const T0 = Date.UTC(2024, 0, 1) / 1000;
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rebuilds counters kept in the older keyed layout from the events (stale rows gone)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-upgrade-'));
    let store = await DuckDbStore.open({ dataDir: dir });
    const file = join(dir, 'body.json');
    // Two purchases of p on Jan 1 (3 x 2.00 and 1 x 5.00 USD), a session on Jan 2.
    writeFileSync(file, [
      { id: 'b1', event_type: 'users.behaviors.Purchase', user_id: 'u1', time: T0 + 3600, product_id: 'p', price: 2, quantity: 3, currency: 'USD' },
      { id: 'b2', event_type: 'users.behaviors.Purchase', user_id: 'u2', time: T0 + 7200, product_id: 'p', price: 5, currency: 'USD' },
      { id: 's1', event_type: 'users.behaviors.app.SessionStart', user_id: 'u1', time: T0 + 86_400 + 60 },
    ].map((r) => JSON.stringify(r)).join('\n'));
    expect((await store.ingestCurrents({ file, format: 'ndjson' })).stored).toBe(3);
    await store.close();

    // What a data folder of the previous layout held: a keyed counters table, no daily log.
    const instance = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
    const conn = await instance.connect();
    await conn.run(`DROP TABLE counters`);
    await conn.run(`DROP TABLE counter_days`);
    await conn.run(`CREATE TABLE counters (bucket INTEGER, kind VARCHAR, name VARCHAR, app_id VARCHAR,
      n BIGINT, quantity BIGINT, revenue DOUBLE, PRIMARY KEY (bucket, kind, name, app_id))`);
    await conn.run(`INSERT INTO counters VALUES (0, 'purchase', 'stale', '', 99, 99, 99)`);
    await conn.run(`DELETE FROM meta WHERE key IN ('counters_layout', 'counter_days_zone')`);
    conn.closeSync();
    instance.closeSync();

    store = await DuckDbStore.open({ dataDir: dir });
    const day0 = T0 / 86_400;
    const q = { kind: 'purchase' as const, from: T0, to: T0 + 2 * 86_400, unitStarts: [T0, T0 + 86_400] };
    const days = await store.counterSeries({ ...q, unitDays: { zone: 'UTC', days: [day0, day0 + 1] } });
    expect(days.map((b) => [b.start, b.count, b.quantity, b.revenue])).toEqual([[T0, 2, 4, 11]]);
    const buckets = await store.counterSeries({ ...q, name: 'p' });
    expect(buckets.map((b) => [b.start, b.count, b.revenue])).toEqual([[T0, 2, 11]]);
    expect(await store.productIds(0, 10)).toEqual(['p']);
    const sessions = await store.counterSeries({ kind: 'session', from: T0, to: T0 + 2 * 86_400, unitStarts: [T0, T0 + 86_400] });
    expect(sessions.map((b) => [b.start, b.count])).toEqual([[T0 + 86_400, 1]]);
    await store.close();
  });
});

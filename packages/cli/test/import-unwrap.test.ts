import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { startHarness } from '../../server/test/harness.ts';
import { runCli } from './run-cli.ts';

/** The records of a DuckDB data folder as stored (id, name, payload), read straight from its file. */
async function storedRecords(dataDir: string): Promise<unknown[]> {
  const instance = await DuckDBInstance.create(join(dataDir, 'brazen.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    const rows = (await conn.runAndReadAll(`SELECT id, name, app_id, payload::VARCHAR FROM events ORDER BY id`)).getRows();
    return rows.map(([id, name, app, payload]) => ({ id, name, app, payload: JSON.parse(payload as string) as unknown }));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe("one Avro unwrap for every way in", () => {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-unwrap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Avro's JSON encoding at the top and nested: a Custom HTTP record's `user` and `properties`, and an array.
  const records = [
    {
      id: 'n1', event_type: 'users.behaviors.CustomEvent', user_id: 'u1', time: 1_704_067_200, name: { string: 'Played' }, app_id: { string: 'a1' },
      user: { external_user_id: { string: 'x1' }, timezone: null }, properties: { map: { level: { long: 5 }, tags: { array: [{ string: 'gold' }] } } },
    },
    { id: 'n2', event_type: 'users.behaviors.app.SessionStart', user_id: 'u1', time: 1_704_067_300, device: { model: { string: 'iPhone' } } },
  ];
  const unwrapped = [
    {
      id: 'n1', name: 'Played', app: 'a1',
      payload: {
        id: 'n1', event_type: 'users.behaviors.CustomEvent', user_id: 'u1', time: 1_704_067_200, name: 'Played', app_id: 'a1',
        user: { external_user_id: 'x1', timezone: null }, properties: { level: 5, tags: ['gold'] },
      },
    },
    { id: 'n2', name: null, app: null, payload: { id: 'n2', event_type: 'users.behaviors.app.SessionStart', user_id: 'u1', time: 1_704_067_300, device: { model: 'iPhone' } } },
  ];

  it('stores a nested record the same over HTTP and through brazen import currents', async () => {
    const http = await startHarness({ dataDir: join(dir, 'http') });
    try {
      const res = await http.post('/currents', records.map((r) => JSON.stringify(r)).join('\n'), { 'content-type': 'application/x-ndjson' });
      expect(res.json()).toMatchObject({ events_processed: 2 });
    } finally {
      await http.close();
    }
    const file = join(dir, 'records.ndjson');
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
    const imported = await runCli(['import', 'currents', file, '--data', join(dir, 'import')]);
    expect(imported.code, imported.stderr).toBe(0);

    const viaHttp = await storedRecords(join(dir, 'http'));
    // Before, HTTP unwrapped the top level only: `properties` and `user` stayed wrapped.
    expect(viaHttp).toEqual(unwrapped);
    expect(await storedRecords(join(dir, 'import'))).toEqual(viaHttp);
  });
});

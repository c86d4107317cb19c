import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from '../../server/test/harness.ts';
import { FIXTURES, writeAvro } from './avro-files.ts';
import { runCli } from './run-cli.ts';

const at = (iso: string) => Date.parse(`${iso}Z`) / 1000;

const session = (id: string, user: string, time: string) => ({ id, user_id: user, app_id: 'app-ios', time: at(time), session_id: `s-${id}`, external_user_id: null, platform: 'ios' });
const played = (id: string, user: string, time: string) => ({ id, user_id: user, time: at(time), name: 'played', properties: '{}' });
const purchase = (id: string, user: string, time: string, price: number) => ({ id, user_id: user, time: at(time), product_id: 'coins', price, currency: 'USD', properties: '{}' });

const U1 = '5f0000000000000000000001';
const U2 = '5f0000000000000000000002';

describe('brazen import currents with Avro files as Currents writes them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-avro-'));
  const src = join(dir, 'bucket');
  const data = join(dir, 'data');
  const prefix = join(src, 'currents', 'dataexport.prod-03.S3.integration.5f00');
  const emailOpens = readFileSync(join(FIXTURES, 'users.messages.email.Open.ndjson'), 'utf8').trim().split('\n').length;

  beforeAll(async () => {
    // The event type from the folder (event_type=...), as Braze lays out a bucket.
    await writeAvro(join(prefix, 'event_type=users.behaviors.app.SessionStart', 'date=2024-03-01-10', '0_2_5f00.avro'), 'users.behaviors.app.SessionStart', [
      session('s1', U1, '2024-03-01T10:00:00'),
      session('s2', U1, '2024-03-01T15:00:00'),
      session('s3', U2, '2024-03-01T11:00:00'),
      session('s4', U2, '2024-03-02T09:00:00'),
    ], 'deflate');
    await writeAvro(join(prefix, 'event_type=users.behaviors.CustomEvent', 'date=2024-03-01-10', '0_2_5f01.avro'), 'users.behaviors.CustomEvent', [
      played('e1', U1, '2024-03-01T10:05:00'),
      played('e2', U2, '2024-03-01T11:05:00'),
      played('e3', U2, '2024-03-02T09:05:00'),
    ], 'null');
    // The event type from the file's schema alone.
    await writeAvro(join(src, 'loose', 'part-0001.avro'), 'users.behaviors.Purchase', [
      purchase('p1', U1, '2024-03-02T12:00:00', 12.5),
      purchase('p2', U2, '2024-03-02T13:00:00', 20.25),
    ], 'snappy');
    // Real records in Avro's JSON encoding, the event type from the file name.
    mkdirSync(join(src, 'json'), { recursive: true });
    copyFileSync(join(FIXTURES, 'users.messages.email.Open.ndjson'), join(src, 'json', 'users.messages.email.Open.ndjson'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function figures() {
    const h = await startHarness({ dataDir: data, now: Date.UTC(2024, 2, 3) });
    try {
      const q = { length: 2, ending_at: '2024-03-02' };
      const pick = async (path: string, query: Record<string, string | number>, field: string) =>
        ((await h.get(path, query)).json() as { data: Array<Record<string, number>> }).data.map((d) => d[field]);
      return {
        events: await h.data.recordCount(),
        sessions: await pick('/sessions/data_series', q, 'sessions'),
        dau: await pick('/kpi/dau/data_series', q, 'dau'),
        played: await pick('/events/data_series', { ...q, event: 'played' }, 'count'),
        revenue: await pick('/purchases/revenue_series', q, 'revenue'),
      };
    } finally {
      await h.close();
    }
  }

  it('imports every file and a second import changes nothing', async () => {
    const total = 4 + 3 + 2 + emailOpens;
    const first = await runCli(['import', 'currents', src, '--data', data]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Imported 4 file(s), ${total} records: ${total} stored, 0 already stored, 0 rejected.`);
    expect(first.stderr).toContain('import:');

    const before = await figures();
    expect(before).toEqual({ events: total, sessions: [3, 1], dau: [2, 1], played: [2, 1], revenue: [0, 32.75] });

    const second = await runCli(['import', 'currents', src, '--data', data]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`Imported 4 file(s), ${total} records: 0 stored, ${total} already stored, 0 rejected.`);
    expect(await figures()).toEqual(before);
  });

  it("reads Braze's own Avro files, the event type from their schema's name (dataexport.S3.inner.TYPE)", async () => {
    // Real files of Appboy/currents-examples, named as nothing in particular: a purchase of 3.14 USD on 2034-06-13.
    const loose = join(dir, 'braze-files');
    mkdirSync(loose, { recursive: true });
    copyFileSync(join(FIXTURES, 'avro-samples', 'users.behaviors.Purchase.avro'), join(loose, 'part-1.avro'));
    copyFileSync(join(FIXTURES, 'avro-samples', 'users.behaviors.CustomEvent.avro'), join(loose, 'part-2.avro'));
    const into = join(dir, 'braze-files-data');
    const run = await runCli(['import', 'currents', loose, '--data', into]);
    expect(run.code, run.stderr).toBe(0);
    // Both samples carry the same event id: the second is a replay of the first.
    expect(run.stdout).toContain('Imported 2 file(s), 2 records: 1 stored, 1 already stored, 0 rejected.');
    const h = await startHarness({ dataDir: into, now: Date.UTC(2034, 5, 14) });
    try {
      const revenue = (await h.get('/purchases/revenue_series', { length: 1, ending_at: '2034-06-13' })).json() as { data: Array<{ revenue: number }> };
      expect(revenue.data.map((d) => d.revenue)).toEqual([3.14]);
    } finally {
      await h.close();
    }
  });
});

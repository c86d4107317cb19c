import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DuckDbStore } from '@brazen/store';
import { USER_EXPORT_FIELDS } from '@brazen/contract';
import { computedProfiles, oneEventEach, range } from './profile-fixture.ts';
import { dayUnits, pieceText, unitsAt } from './contract/support.ts';

// The store contract runs on DuckDB in contract/duckdb.test.ts; here is what only DuckDB does.

/** A connection of the store's own (to the attached data file), for looking behind its interface. */
const rawConnection = (store: DuckDbStore) => (store as unknown as { db: { connect(): Promise<DuckDBConnection> } }).db.connect();

describe('duckdb store upgrades', () => {
  const T0 = Date.UTC(2024, 0, 1) / 1000;
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('cuts a refresh batch short when asked to stop while it computes, keeping nothing of it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-cut-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    const file = join(dir, 'body.json');
    const lines: string[] = [];
    for (let u = 0; u < 5_000; u++) {
      for (let k = 0; k < 5; k++) {
        lines.push(JSON.stringify({ id: `e${u}-${k}`, event_type: 'users.behaviors.CustomEvent', user_id: `u${u}`, time: T0 + u + k * 3600, name: `N${k}`, app_id: 'a' }));
      }
    }
    writeFileSync(file, lines.join('\n'));
    await store.ingestCurrents({ bytes: readFileSync(file), format: 'ndjson' });
    // Not before the batch starts (the first question); from then on, yes.
    let asked = 0;
    expect(await store.refresh({ batchUsers: 5_000, stop: () => ++asked > 1 })).toBe(0);
    expect(asked).toBeGreaterThan(1);
    // Nothing of the cut batch was kept: all 5,000 are still due.
    expect(await store.refresh()).toBe(5_000);
    expect(await store.refresh()).toBe(0);
    await store.close();
  });

  it('computes every user on the first refresh, then only those a write made stale, and all after new names', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-counts-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    const body = (records: object[]) => ({ bytes: Buffer.from(records.map((r) => JSON.stringify(r)).join('\n')), format: 'ndjson' as const });
    const played = (id: string, user: string, time: number) => ({ id, event_type: 'users.behaviors.CustomEvent', user_id: user, time, name: 'Played' });
    await store.ingestCurrents(body(['u1', 'u2', 'u3', 'u4', 'u5'].map((u, i) => played(`e${i}`, u, T0 + i))));
    expect(await store.refresh()).toBe(5);
    expect(await store.refresh()).toBe(0);
    // A Currents event makes its user stale; an attribute and an identity theirs.
    await store.ingestCurrents(body([played('e9', 'u1', T0 + 86_400)]));
    expect(await store.refresh()).toBe(1);
    await store.track({ attributes: [{ user: { braze_id: 'u2' }, time: T0, values: { first_name: 'Bob' } }], events: [], purchases: [] });
    await store.track({ attributes: [{ user: { braze_id: 'u3', external_id: 'x3' }, time: T0, values: {} }], events: [], purchases: [] });
    // An export of every member computes the two stale ones (fewer than half) before it reads the kept five.
    expect(await store.snapshotExportMembers('job', undefined, T0 + 10 * 86_400)).toBe(5);
    const reader = await store.openExportProfiles('job', { fields: ['braze_id', 'first_name'] });
    expect(await Promise.all((await reader.read(0, 5, 10)).map(pieceText))).toHaveLength(1);
    reader.close();
    // Nothing is due, but the first line file (u1..u5) has two current lines of five left (u4, u5):
    // the keeper's refresh computes them again into a file of their own.
    expect(await store.refresh()).toBe(2);
    expect(await store.refresh()).toBe(0);
    // New names in the workspace: every kept profile is computed again.
    await store.putWorkspace({ apps: [{ id: 'a', name: 'A' }], campaigns: [], canvases: [], segments: [], cards: [] });
    expect(await store.refresh()).toBe(5);
    await store.close();
  });

  it('answers profiles by id from kept ones when all are kept and fresh, from the events otherwise', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-ids-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    await store.track({ attributes: [1, 2].map((i) => ({ user: { external_id: `x${i}` }, time: T0, values: { first_name: `N${i}` } })), events: [], purchases: [] });
    expect(await store.refresh()).toBe(2);
    const found = await store.findUsers('external_id', ['x1', 'x2']);
    const brazeIdOf = (x: string) => found.get(x)![0];
    // Mark the kept parts, to see which way an answer comes.
    const conn = await rawConnection(store);
    await conn.run(`UPDATE profile_parts SET first_name = '"first_name":"kept"'`);
    const names = async (options: { fromEvents?: boolean } = {}) =>
      (await store.userProfiles(['x1', 'x2'].map(brazeIdOf), { fields: ['first_name'], ...options })).map((l) => (JSON.parse(l) as { first_name: string }).first_name);
    expect(await names()).toEqual(['kept', 'kept']);
    expect(await names({ fromEvents: true })).toEqual(['N1', 'N2']);
    // One of them stale: both computed.
    await store.track({ attributes: [{ user: { external_id: 'x2' }, time: T0 + 1, values: { first_name: 'M2' } }], events: [], purchases: [] });
    expect(await names()).toEqual(['N1', 'M2']);
    conn.closeSync();
    await store.close();
  });

  it('folds the stale marks of kept profiles to one a user, keeping every user that is due', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-marks-'));
    const store = await DuckDbStore.open({ dataDir: dir, foldStaleMarksAt: 10 });
    let n = 0;
    const ingest = async (users: string[]) => {
      const file = join(dir, `b${n++}.json`);
      writeFileSync(file, users.map((u) => JSON.stringify({ id: `e${n}-${u}`, event_type: 'users.behaviors.CustomEvent', user_id: u, time: T0 + n, name: 'Played' })).join('\n'));
      await store.ingestCurrents({ bytes: readFileSync(file), format: 'ndjson' });
    };
    await ingest(['u1', 'u2', 'u3']);
    expect(await store.refresh()).toBe(3);
    // u1 in nine batches, u2 in one: ten marks, which queue a fold.
    for (let i = 0; i < 9; i++) await ingest(['u1']);
    await ingest(['u2']);
    // The fold is queued with the refreshes: one for a job without members waits for it.
    expect(await (store as unknown as { kept: { refreshProfiles(job: string): Promise<number> } }).kept.refreshProfiles('no-such-job')).toBe(0);
    const conn = await rawConnection(store);
    const marks = async () => (await conn.runAndReadAll(`SELECT uid, count(*)::INTEGER FROM profile_stale GROUP BY uid ORDER BY uid`)).getRows();
    // Ten marks (nine for u1, one for u2) folded to one a user.
    expect((await marks()).map(([uid, count]) => [uid, count])).toEqual([[1, 1], [2, 1]]);
    expect(await store.refresh()).toBe(2);
    expect(await marks()).toEqual([]);
    conn.closeSync();
    await store.close();
  });

  it('compresses event ids and payloads with zstd in a new data folder, and keeps storing in a folder of the older file format', async () => {
    const body = (prefix: string) => {
      const file = join(dir, `${prefix}.json`);
      const records = Array.from({ length: 3_000 }, (_, i) => ({
        id: `${prefix}-${i}`, event_type: 'users.messages.email.Open', user_id: `u${i % 50}`, time: T0 + i,
        campaign_id: 'c1', email_address: `user${i % 50}@example.com`, user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)',
      }));
      writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
      return file;
    };
    const compression = async (path: string) => {
      const instance = await DuckDBInstance.create(path);
      const conn = await instance.connect();
      const found = (await conn.runAndReadAll(
        `SELECT column_name, list(DISTINCT compression ORDER BY compression) FROM pragma_storage_info('events')
         WHERE column_name IN ('id', 'payload') AND segment_type <> 'VALIDITY' GROUP BY ALL ORDER BY 1`,
      )).getRowsJS();
      const stored = (await conn.runAndReadAll(`SELECT count(*)::INTEGER, count(DISTINCT payload)::INTEGER FROM events`)).getRowsJS()[0];
      conn.closeSync();
      instance.closeSync();
      return { columns: Object.fromEntries(found.map(([c, l]) => [c, l])), stored };
    };

    dir = mkdtempSync(join(tmpdir(), 'brazen-zstd-'));
    let store = await DuckDbStore.open({ dataDir: dir });
    expect((await store.ingestCurrents({ bytes: readFileSync(body('a')), format: 'ndjson' })).stored).toBe(3_000);
    await store.close();
    expect(await compression(join(dir, 'brazen.duckdb'))).toEqual({ columns: { id: ['ZSTD'], payload: ['ZSTD'] }, stored: [3_000, 3_000] });
    rmSync(dir, { recursive: true, force: true });

    // A folder made before: its file has the older format (no zstd) and an events table without it.
    dir = mkdtempSync(join(tmpdir(), 'brazen-zstd-old-'));
    const instance = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
    const conn = await instance.connect();
    await conn.run(`CREATE TABLE events (
      id VARCHAR, id_hash UBIGINT, event_type VARCHAR, category VARCHAR, time DOUBLE, uid INTEGER,
      app_id VARCHAR, name VARCHAR, campaign_id VARCHAR, message_variation_id VARCHAR,
      canvas_id VARCHAR, canvas_variation_id VARCHAR, canvas_step_id VARCHAR, send_id VARCHAR,
      card_id VARCHAR, platform VARCHAR, price DOUBLE, currency VARCHAR, quantity INTEGER,
      revenue DOUBLE, payload JSON)`);
    conn.closeSync();
    instance.closeSync();
    store = await DuckDbStore.open({ dataDir: dir });
    expect((await store.ingestCurrents({ bytes: readFileSync(body('b')), format: 'ndjson' })).stored).toBe(3_000);
    expect((await store.ingestCurrents({ bytes: readFileSync(body('b')), format: 'ndjson' })).stored).toBe(0);
    await store.close();
    const old = await compression(join(dir, 'brazen.duckdb'));
    expect(old.stored).toEqual([3_000, 3_000]);
    // Compressed as DuckDB chooses for that format (which samples: FSST or none), never with zstd.
    for (const column of ['id', 'payload']) expect(old.columns[column]).not.toContain('ZSTD');
  });

  it('writes the row groups of a big batch straight into the data file, leaving little to the WAL (and to its checkpoint)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-rowgroups-'));
    const file = join(dir, 'big.ndjson');
    // Two row groups' worth (of 32,768 rows).
    const lines = Array.from({ length: 65_536 }, (_, i) => JSON.stringify({
      id: `big-${i}`, event_type: 'users.behaviors.CustomEvent', user_id: `u${i % 500}`, time: T0 + i, name: 'Played',
      properties: { level: i % 90, note: `a note of some length for record ${i}` },
    }));
    writeFileSync(file, lines.join('\n'));
    const bytes = statSync(file).size;
    const store = await DuckDbStore.open({ dataDir: dir });
    expect((await store.ingestCurrents({ bytes: readFileSync(file), format: 'ndjson' })).stored).toBe(65_536);
    const wal = statSync(join(dir, 'brazen.duckdb.wal')).size;
    // With DuckDB's default row groups (122,880 rows) the whole batch went through the WAL: more
    // bytes than its NDJSON. Now the events go straight into the file; the WAL keeps the rollups.
    expect(wal).toBeLessThan(bytes / 4);
    await store.close();
    const again = await DuckDbStore.open({ dataDir: dir });
    expect(await again.recordCount()).toBe(65_536);
    await again.close();
  });

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
    expect((await store.ingestCurrents({ bytes: readFileSync(file), format: 'ndjson' })).stored).toBe(3);
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
    const twoDays = dayUnits(2, T0 + 86_400);
    const days = await store.counterSeries({ kind: 'purchase', units: twoDays });
    expect(days.map((b) => [b.count, b.quantity, b.revenue])).toEqual([[2, 4, 11], [0, 0, 0]]);
    // Hours read the 15-minute buckets.
    const hours = await store.counterSeries({ kind: 'purchase', name: 'p', units: unitsAt([T0, T0 + 3600, T0 + 7200], 3600) });
    expect(hours.map((b) => [b.count, b.revenue])).toEqual([[0, 0], [1, 6], [1, 5]]);
    expect(await store.names('purchase', 0, 10)).toEqual(['p']);
    const sessions = await store.counterSeries({ kind: 'session', units: twoDays });
    expect(sessions.map((b) => b.count)).toEqual([0, 1]);
    await store.close();
  });
  it('gives campaign rollups of an older layout their combo column, and leaves out rows of another series under the same key', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-upgrade-'));
    let store = await DuckDbStore.open({ dataDir: dir });
    const file = join(dir, 'body.json');
    const send = (id: string, user: string, time: number, variation: string) => ({
      id, event_type: 'users.messages.email.Send', user_id: user, time, campaign_id: 'c1', message_variation_id: variation,
    });
    // Day 0: u1 and u2 get variation a, u1 twice; day 1: u3 gets variation b.
    writeFileSync(file, [send('e1', 'u1', T0 + 60, 'a'), send('e2', 'u1', T0 + 120, 'a'), send('e3', 'u2', T0 + 180, 'a'), send('e4', 'u3', T0 + 86_460, 'b')]
      .map((r) => JSON.stringify(r)).join('\n'));
    expect((await store.ingestCurrents({ bytes: readFileSync(file), format: 'ndjson' })).stored).toBe(4);
    const day0 = T0 / 86_400;
    const q = { src: 'campaign' as const, obj: 'c1', fromDay: day0, toDay: day0 + 1 };
    // Rows of one key may come in several (deltas): summed here.
    const sends = async () => {
      const sums = new Map<string, [number, string, string, number, number]>();
      for (const r of (await store.messageStats([q]))[0]) {
        if (r.action !== 'send') continue;
        const k = `${r.day}/${r.variation}/${r.channel}`;
        const s = sums.get(k) ?? [r.day - day0, r.variation, r.channel, 0, 0];
        s[3] += r.n;
        s[4] += r.u;
        sums.set(k, s);
      }
      return [...sums.values()].sort((a, b) => a[0] - b[0]);
    };
    const expected = [[0, 'a', 'email', 3, 2], [1, 'b', 'email', 1, 1]];
    expect(await sends()).toEqual(expected);
    await store.close();

    // Rollups written before rows carried their combo; and a row of another campaign whose series
    // key is the same as c1's (a hash collision, written by hand).
    const instance = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
    const conn = await instance.connect();
    await conn.run(`ALTER TABLE msg_daily DROP COLUMN combo`);
    await conn.run(`ALTER TABLE conv_daily DROP COLUMN combo`);
    await conn.run(`INSERT INTO msg_daily SELECT key, src, 'other', scope, day, part, variation, channel, action, 50, 50 FROM msg_daily WHERE obj = 'c1'`);
    conn.closeSync();
    instance.closeSync();

    store = await DuckDbStore.open({ dataDir: dir });
    expect(await sends()).toEqual(expected);
    expect(await store.messageStats([{ ...q, obj: 'other' }])).toEqual([[]]);
    await store.close();
  });
  it("reports running out of memory while reading a batch as the store's error, not as a malformed body, and stores nothing", async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-memory-'));
    const store = await DuckDbStore.open({ dataDir: dir, memoryLimit: '16MB' });
    const file = join(dir, 'body.ndjson');
    // Valid records, ~4.6 MB: DuckDB's JSON reader wants a 32 MiB buffer, over the limit.
    writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => JSON.stringify({
      id: `e${i}`, event_type: 'users.behaviors.CustomEvent', user_id: `u${i % 100}`, time: T0 + i, name: 'x', note: 'y'.repeat(200),
    })).join('\n'));
    const failure = await store.ingestCurrents({ bytes: readFileSync(file), format: 'ndjson' }).then(() => undefined, (error: unknown) => error as Error & { status?: number });
    expect(failure?.message).toMatch(/^Out of Memory/);
    expect(failure?.status).toBeUndefined();
    expect(await store.recordCount()).toBe(0);
    await store.close();
  });
});

describe('duckdb store: profile line files', () => {
  const T0 = Date.UTC(2024, 0, 1) / 1000;
  const AT = T0 + 100 * 86_400;
  let dir: string;
  let store: DuckDbStore;
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const ingest = oneEventEach(() => store, () => dir);
  const lineFiles = () => readdirSync(join(dir, 'profiles')).sort((a, b) => parseInt(a) - parseInt(b));
  const computed = computedProfiles(() => store);
  const exportPieces = async (job: string, filter?: Parameters<DuckDbStore['snapshotExportMembers']>[1], perPiece = 7) => {
    const users = await store.snapshotExportMembers(job, filter, AT);
    const reader = await store.openExportProfiles(job, { fields: USER_EXPORT_FIELDS });
    return { reader, users, pieces: await reader.read(0, users, perPiece) };
  };

  it('writes kept profiles whole to line files, which an export of every field reads byte for byte, and deletes files whose lines are all superseded', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-lines-'));
    store = await DuckDbStore.open({ dataDir: dir });
    // Users 1..30 (uids in that order), even ones also did "Évén ☕".
    await ingest(range(1, 30), 'Played', T0);
    await ingest(range(1, 15).map((i) => 2 * i), 'Évén ☕', T0 + 3600);
    expect(await store.refresh({ batchUsers: 10 })).toBe(30);
    expect(lineFiles()).toEqual(['1.ndjson', '2.ndjson', '3.ndjson']);
    expect(readFileSync(join(dir, 'profiles', '1.ndjson'), 'utf8')).toBe((await computed(range(1, 10))).join(''));
    expect(readFileSync(join(dir, 'profiles', '3.ndjson'), 'utf8')).toBe((await computed(range(21, 30))).join(''));

    // Everyone, in pieces of 7: each piece streams its members' lines, across files.
    const all = await exportPieces('job-all');
    expect(all.users).toBe(30);
    expect(all.pieces.every((p) => !(p instanceof Uint8Array) && 'chunks' in p)).toBe(true);
    const everyone = await computed(range(1, 30));
    expect(await Promise.all(all.pieces.map(pieceText))).toEqual([0, 7, 14, 21, 28].map((k) => everyone.slice(k, k + 7).join('')));
    all.reader.close();
    // Every other user: lines with gaps between them.
    const even = await exportPieces('job-even', { custom_event: 'Évén ☕', op: 'gte', count: 1 }, 5);
    expect(even.users).toBe(15);
    const evens = await computed(range(1, 15).map((i) => 2 * i));
    expect(await Promise.all(even.pieces.map(pieceText))).toEqual([0, 5, 10].map((k) => evens.slice(k, k + 5).join('')));
    expect(evens[0]).toContain('"name":"Évén ☕"');
    even.reader.close();

    // Users 1..10 change: their new lines go to a new file, and the first file, with no current
    // line left, is deleted by the keeper's refresh.
    await ingest(range(1, 10), 'Later', T0 + 86_400);
    expect(await store.refresh()).toBe(10);
    expect(lineFiles()).toEqual(['2.ndjson', '3.ndjson', '4.ndjson']);
    // Six of file 2's ten change: four of its lines are current, fewer than half. The next
    // refresh computes those four again, into a file of their own, and file 2 goes.
    await ingest(range(11, 16), 'Later', T0 + 86_400);
    expect(await store.refresh()).toBe(6);
    expect(lineFiles()).toEqual(['2.ndjson', '3.ndjson', '4.ndjson', '5.ndjson']);
    expect(await store.refresh()).toBe(4);
    expect(lineFiles()).toEqual(['3.ndjson', '4.ndjson', '5.ndjson', '6.ndjson']);
    expect(readFileSync(join(dir, 'profiles', '6.ndjson'), 'utf8')).toBe((await computed(range(17, 20))).join(''));
    expect(await store.refresh()).toBe(0);

    // An export that has been told where lines are keeps them: while it reads, no file is deleted.
    const open = await exportPieces('job-open', undefined, 30);
    const before = await computed(range(1, 30));
    await ingest(range(21, 30), 'Later', T0 + 86_400);
    expect(await store.refresh()).toBe(10);
    expect(lineFiles()).toContain('3.ndjson');
    expect(await pieceText(open.pieces[0])).toBe(before.join(''));
    open.reader.close();
    expect(await store.refresh()).toBe(0);
    expect(lineFiles()).not.toContain('3.ndjson');

    // A file left by a batch that never committed (a crash) is deleted when the store opens.
    await store.close();
    writeFileSync(join(dir, 'profiles', '99.ndjson'), '{"braze_id":"nobody"}\n');
    store = await DuckDbStore.open({ dataDir: dir });
    expect(existsSync(join(dir, 'profiles', '99.ndjson'))).toBe(false);
    const reopened = await exportPieces('job-reopened', undefined, 30);
    expect(await pieceText(reopened.pieces[0])).toBe((await computed(range(1, 30))).join(''));
    reopened.reader.close();

    // A file gone from the folder: its users are computed again (into a new file) on the next export.
    const gone = lineFiles()[0];
    await store.close();
    rmSync(join(dir, 'profiles', gone));
    store = await DuckDbStore.open({ dataDir: dir });
    const again = await exportPieces('job-again', undefined, 30);
    expect(await pieceText(again.pieces[0])).toBe((await computed(range(1, 30))).join(''));
    again.reader.close();
    expect(lineFiles()).not.toContain(gone);

    // A damaged file is an error that names it, not a short export.
    const damaged = lineFiles().at(-1)!;
    truncateSync(join(dir, 'profiles', damaged), 10);
    const broken = await exportPieces('job-broken', undefined, 30);
    await expect(pieceText(broken.pieces[0])).rejects.toThrow(damaged);
    broken.reader.close();
  });

  it('keeps lines in braze_id order (the order exports read), reads interleaved runs and long lines byte for byte, and rewrites lines kept in uid order once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-order-'));
    store = await DuckDbStore.open({ dataDir: dir });
    // Twelve users made in the opposite order of their braze_ids (uid 1 is b99, uid 12 is b88);
    // three of them (b97, b93, b89) with a value longer than a read (400 KB), so that an export
    // reads more than a chunk (1 MB) and lines longer than a read.
    const brazeId = (i: number) => `b${99 - i}`;
    const long = (i: number) => (i % 4 === 2 ? 'é'.repeat(200_000) : `v${i}`);
    for (let i = 0; i < 12; i++) {
      await store.track({ attributes: [{ user: { braze_id: brazeId(i) }, time: T0 + i, values: { first_name: `N${i}`, note: long(i) } }], events: [], purchases: [] });
    }
    const sorted = Array.from({ length: 12 }, (_, i) => brazeId(11 - i)); // b88 .. b99
    const profilesOf = async (ids: string[]) => (await store.userProfiles(ids, { fields: USER_EXPORT_FIELDS, fromEvents: true })).map((l) => `${l}\n`);
    expect(await store.refresh({ batchUsers: 5 })).toBe(12);
    // Each file holds the next five users in braze_id order.
    expect(lineFiles()).toEqual(['1.ndjson', '2.ndjson', '3.ndjson']);
    expect(readFileSync(join(dir, 'profiles', '1.ndjson'), 'utf8')).toBe((await profilesOf(sorted.slice(0, 5))).join(''));
    expect(readFileSync(join(dir, 'profiles', '3.ndjson'), 'utf8')).toBe((await profilesOf(sorted.slice(10))).join(''));
    // Every other user in braze_id order changes: a refresh keeps them as a run of their own,
    // which an export reads interleaved with the first.
    for (const id of sorted.filter((_, k) => k % 2 === 1)) {
      await store.track({ attributes: [{ user: { braze_id: id }, time: T0 + 86_400, values: { last_name: `L${id}` } }], events: [], purchases: [] });
    }
    expect(await store.refresh({ batchUsers: 100 })).toBe(6);
    expect(lineFiles()).toEqual(['1.ndjson', '2.ndjson', '3.ndjson', '4.ndjson']);
    const everyone = await profilesOf(sorted);
    expect(Buffer.byteLength(everyone.join(''))).toBeGreaterThan(1_200_000);
    const all = await exportPieces('job-runs', undefined, 5);
    expect(await Promise.all(all.pieces.map(pieceText))).toEqual([0, 5, 10].map((k) => everyone.slice(k, k + 5).join('')));
    all.reader.close();
    // File 2 has two current lines of five left: they are kept again, into a file of their own.
    expect(await store.refresh()).toBe(2);
    expect(lineFiles()).toEqual(['1.ndjson', '3.ndjson', '4.ndjson', '5.ndjson']);

    // A folder whose lines were kept in uid order (before this order): the keeper's next refresh
    // writes every line again in braze_id order from the kept parts, computing none, and the old
    // files go.
    const conn = await rawConnection(store);
    await conn.run(`DELETE FROM meta WHERE key = 'profile_line_order'`);
    conn.closeSync();
    await store.close();
    store = await DuckDbStore.open({ dataDir: dir });
    expect(await store.refresh({ batchUsers: 6 })).toBe(12);
    expect(lineFiles()).toEqual(['6.ndjson', '7.ndjson']);
    expect(readFileSync(join(dir, 'profiles', '6.ndjson'), 'utf8')).toBe(everyone.slice(0, 6).join(''));
    expect(readFileSync(join(dir, 'profiles', '7.ndjson'), 'utf8')).toBe(everyone.slice(6).join(''));
    expect(await store.refresh()).toBe(0);
    await store.close();
    store = await DuckDbStore.open({ dataDir: dir });
    expect(await store.refresh()).toBe(0);
    const again = await exportPieces('job-relaid', undefined, 12);
    expect(await pieceText(again.pieces[0])).toBe(everyone.join(''));
    again.reader.close();
  });

  it('moves member lists kept by an earlier version (named by job id) to the new table on opening', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-ranks-'));
    store = await DuckDbStore.open({ dataDir: dir });
    await ingest(range(1, 5), 'Played', T0);
    await store.close();
    const db = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
    const conn = await db.connect();
    await conn.run(`CREATE TABLE export_members (job_id VARCHAR, rn INTEGER, uid INTEGER)`);
    await conn.run(`INSERT INTO export_members VALUES ('old-job', 0, 4), ('old-job', 1, 2), ('other', 0, 1)`);
    conn.closeSync();
    db.closeSync();
    store = await DuckDbStore.open({ dataDir: dir });
    // The old job's members, in their ranks, are what its export reads.
    const reader = await store.openExportProfiles('old-job', { fields: USER_EXPORT_FIELDS });
    expect(await Promise.all((await reader.read(0, 2, 5)).map(pieceText))).toEqual([(await computed([4, 2])).join('')]);
    reader.close();
    const raw = await rawConnection(store);
    expect((await raw.runAndReadAll(`SELECT count(*)::INTEGER FROM duckdb_tables() WHERE table_name = 'export_members'`)).getRows()).toEqual([[0]]);
    expect((await raw.runAndReadAll(`SELECT count(*)::INTEGER FROM export_ranks`)).getRows()).toEqual([[3]]);
    raw.closeSync();
  });
});

describe('duckdb store: records already stored', () => {
  const T0 = Date.UTC(2024, 0, 1) / 1000;
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, ids: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, ids.map((id, i) => JSON.stringify({
      id, event_type: 'users.behaviors.CustomEvent', user_id: `u${i % 50}`, time: T0 + i, name: 'played',
    })).join('\n'));
    return { bytes: readFileSync(file), format: 'ndjson' as const };
  };
  const played = async (store: DuckDbStore) =>
    (await store.counterSeries({ kind: 'custom_event', name: 'played', units: dayUnits(1, T0) }))[0].count;

  it('skips them whether a few come back among new ones (matched as a list) or a whole batch is sent again (joined)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-replay-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    const first = Array.from({ length: 6_000 }, (_, i) => `r${i}`);
    expect(await store.ingestCurrents(write('first.ndjson', first))).toEqual({ stored: 6_000, duplicates: 0, errors: [] });
    // More stored hashes than are matched as a list of constants.
    expect(await store.ingestCurrents(write('again.ndjson', first))).toEqual({ stored: 0, duplicates: 6_000, errors: [] });
    // Three old ids among four new ones, one of them twice in the batch.
    const mixed = ['r17', 'n1', 'r4242', 'n2', 'n3', 'n1', 'r5999', 'n4'];
    expect(await store.ingestCurrents(write('mixed.ndjson', mixed))).toEqual({ stored: 4, duplicates: 4, errors: [] });
    expect(await store.recordCount()).toBe(6_004);
    expect(await played(store)).toBe(6_004);
    await store.close();
  });

  it('reads a body it is given as a file where it is: nothing copied, the file left to its caller, a bad line named', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-in-place-'));
    const store = await DuckDbStore.open({ dataDir: join(dir, 'data') });
    // Its bytes must not be read: the file is.
    const unread: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => { throw new Error('the body was copied'); },
    };
    write('given.ndjson', ['g1', 'g2', 'g3']);
    const file = join(dir, 'given.ndjson');
    expect(await store.ingestCurrents({ bytes: unread, file, format: 'ndjson' })).toEqual({ stored: 3, duplicates: 0, errors: [] });
    expect(existsSync(file)).toBe(true);
    expect(await played(store)).toBe(3);
    writeFileSync(file, `${JSON.stringify({ id: 'g4', event_type: 'users.behaviors.CustomEvent', user_id: 'u1', time: T0, name: 'played' })}\n{"id": x}\n`);
    await expect(store.ingestCurrents({ bytes: unread, file, format: 'ndjson' })).rejects.toThrow('body is not valid JSON: record on line 2 cannot be read');
    expect(existsSync(file)).toBe(true);
    expect(await store.recordCount()).toBe(3);
    await store.close();
  });
});

describe('duckdb store: /users/track counters', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts each event on its own local day when a 15-minute bucket holds a local midnight (Monrovia, -0:44:30, 1971)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-track-days-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    const zone = 'Africa/Monrovia';
    await store.putWorkspace({ time_zone: zone, apps: [], campaigns: [], canvases: [], segments: [], cards: [] });
    // 00:40:00 and 00:44:40 UTC on 1 June 1971: one bucket [00:30, 00:45), but 23:55:30 on 31 May
    // and 00:00:10 on 1 June in Monrovia (local midnight is 00:44:30 UTC).
    const before = Date.UTC(1971, 5, 1, 0, 40) / 1000;
    const after = Date.UTC(1971, 5, 1, 0, 44, 40) / 1000;
    const event = (id: string, time: number) => ({ id, eventType: 'users.behaviors.CustomEvent', time, user: { external_id: 'x' }, name: 'played', payload: {} });
    await store.track({ attributes: [], events: [event('t1', before), event('t2', after)], purchases: [] });
    const units = dayUnits(2, after, zone);
    expect(units.list.map((u) => u.time.slice(0, 10))).toEqual(['1971-05-31', '1971-06-01']);
    const days = await store.counterSeries({ kind: 'custom_event', name: 'played', units });
    expect(days.map((d) => d.count)).toEqual([1, 1]);
    await store.close();
  });
});

describe('duckdb store: device ids', () => {
  const T0 = Date.UTC(2024, 0, 1) / 1000;
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const body = (name: string, records: object[]) => {
    const file = join(dir, name);
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
    return { bytes: readFileSync(file), format: 'ndjson' as const };
  };
  const session = (id: string, user: string, device: string | undefined, type = 'users.behaviors.app.SessionStart') =>
    ({ id, event_type: type, external_user_id: user, time: T0 + 60, ...(device ? { device_id: device } : {}) });
  const pairs = async (store: DuckDbStore) => {
    const raw = await rawConnection(store);
    const found = (await raw.runAndReadAll(
      `SELECT value, list(u.braze_id ORDER BY u.braze_id) FROM identities i JOIN users u USING (uid)
       WHERE kind = 'device_id' GROUP BY value ORDER BY value`,
    )).getRowsJS();
    raw.closeSync();
    return found;
  };
  const byDevice = async (store: DuckDbStore, values: string[]) =>
    Object.fromEntries([...(await store.findUsers('device_id', values))].map(([v, uids]) => [v, uids.length]));

  it('keeps each (device, user) pair of the records that name a device as an identity, once; a store made before gets them at open', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-devices-'));
    // A new folder has nothing to upgrade.
    const fresh: string[] = [];
    let store = await DuckDbStore.open({ dataDir: dir, onUpgrade: (what) => fresh.push(what) });
    expect(fresh).toEqual([]);
    const first = [
      session('s1', 'ann', 'dev-a'),
      session('s2', 'ann', 'dev-a'), // the same pair again in the batch
      session('s3', 'bob', 'dev-a'), // a shared tablet
      session('s4', 'bob', 'dev-b', 'users.behaviors.app.SessionEnd'),
      session('s5', 'cat', undefined),
      // A custom event's device id does not name the user's device (as in Braze's user lookup).
      { ...session('e1', 'cat', 'dev-c'), event_type: 'users.behaviors.CustomEvent', name: 'played' },
    ];
    expect((await store.ingestCurrents(body('first.ndjson', first))).stored).toBe(6);
    // A replay adds nothing; a known pair in a new record adds nothing; a new pair is added.
    expect((await store.ingestCurrents(body('again.ndjson', first))).stored).toBe(0);
    expect((await store.ingestCurrents(body('more.ndjson', [session('s6', 'ann', 'dev-a'), session('s7', 'cat', 'dev-b', 'users.behaviors.Uninstall')]))).stored).toBe(2);
    const ids = async () => Object.fromEntries(await Promise.all(['ann', 'bob', 'cat'].map(async (x) => [x, (await store.userProfiles(
      [...(await store.findUsers('external_id', [x])).get(x)!], { fields: ['braze_id'] }))[0]] as const)));
    const names = Object.fromEntries(Object.entries(await ids()).map(([x, line]) => [(JSON.parse(line) as { braze_id: string }).braze_id, x]));
    const expected = [['dev-a', ['ann', 'bob']], ['dev-b', ['bob', 'cat']]];
    const readable = async () => (await pairs(store)).map(([v, list]) => [v, (list as string[]).map((b) => names[b]).sort()]);
    expect(await readable()).toEqual(expected);
    expect(await byDevice(store, ['dev-a', 'dev-b', 'dev-c', 'dev-x'])).toEqual({ 'dev-a': 2, 'dev-b': 2 });
    await store.close();

    // What a store of the earlier layout held: no device identities, and no mark of having made them.
    const instance = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
    const conn = await instance.connect();
    await conn.run(`DELETE FROM identities WHERE kind = 'device_id'`);
    await conn.run(`DELETE FROM meta WHERE key = 'device_identities'`);
    // (and no index on identities: it is made again, and said)
    await conn.run(`DROP INDEX identities_value`);
    conn.closeSync();
    instance.closeSync();
    const told: string[] = [];
    store = await DuckDbStore.open({ dataDir: dir, onUpgrade: (what) => told.push(what) });
    expect(told).toEqual(['indexing the identities', 'keeping the device ids of the stored records as identities']);
    expect(await readable()).toEqual(expected);
    expect(await byDevice(store, ['dev-a', 'dev-b', 'dev-c'])).toEqual({ 'dev-a': 2, 'dev-b': 2 });
    await store.close();
    // Made once: opening again adds nothing, and says nothing.
    store = await DuckDbStore.open({ dataDir: dir, onUpgrade: (what) => told.push(what) });
    expect(await readable()).toEqual(expected);
    expect(told).toHaveLength(2);
    await store.close();
  });
});

describe('duckdb store: identity lookups', () => {
  const T0 = Date.UTC(2024, 0, 1) / 1000;
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds users named by values with quotes (matched as constants) and NUL characters (bound) again, creating none twice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-lookup-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    const ids = ["o'brien", 'nul\u0000id', 'plain', "it''s"];
    let time = T0;
    const visit = (external_id: string) => ({ user: { external_id }, time: ++time, values: {}, increments: { visits: 1 } });
    // First alone (created), then all four in one batch, then the three without a NUL in another.
    for (const id of ids) await store.track({ attributes: [visit(id)], events: [], purchases: [] });
    await store.track({ attributes: ids.map(visit), events: [], purchases: [] });
    await store.track({ attributes: ids.filter((id) => !id.includes('\u0000')).map(visit), events: [], purchases: [] });
    const found = await store.findUsers('external_id', ids);
    expect(ids.map((id) => found.get(id)?.length)).toEqual([1, 1, 1, 1]);
    expect(new Set(ids.map((id) => found.get(id)![0])).size).toBe(4);
    // No user was made twice, and each one's visits were counted on the same user.
    const visits = await Promise.all(ids.map(async (id) =>
      (JSON.parse((await store.userProfiles(found.get(id)!, { fields: ['custom_attributes'] }))[0]) as { custom_attributes: { visits: number } }).custom_attributes.visits));
    expect(visits).toEqual([3, 2, 3, 3]);
    await store.close();
  });
});

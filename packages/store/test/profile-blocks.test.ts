import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, deflateRawSync, gzipSync, inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDbStore, type ProfileText } from '@brazen/store';
import { USER_EXPORT_FIELDS } from '@brazen/contract';
import { computedProfiles, oneEventEach, range } from './profile-fixture.ts';

// Kept compressed blocks of profile lines (profile-blocks.ts): what an export copies instead of
// compressing, on DuckDB with real line and block files.

const rawConnection = (store: DuckDbStore) => (store as unknown as { db: { connect(): Promise<DuckDBConnection> } }).db.connect();

/** Bytes of a deflate fragment (sync-flushed, no final block), inflated on their own. */
const inflateFragment = (bytes: Uint8Array) => inflateRawSync(Buffer.concat([bytes, Buffer.from([3, 0])]));
/** The CRC-32 of `bytes`, as gzip writes it in its trailer. */
const crcOf = (bytes: Uint8Array) => {
  const gz = gzipSync(bytes);
  return gz.readUInt32LE(gz.length - 8);
};

/** A piece's parts: the text each gives (a kept fragment inflated on its own, its CRC-32 and length
 * checked) and which kind it is. */
async function partsOf(piece: ProfileText): Promise<Array<{ kind: 'text' | 'kept'; text: string }>> {
  if (piece instanceof Uint8Array || !piece.parts) throw new Error('the piece has no parts');
  const out: Array<{ kind: 'text' | 'kept'; text: string }> = [];
  for await (const part of piece.parts()) {
    // Text parts are good only until the next is asked for: decoded at once.
    if ('deflate' in part) {
      const text = inflateFragment(part.deflate);
      expect([part.crc, part.length]).toEqual([crcOf(text), text.length]);
      out.push({ kind: 'kept', text: text.toString('utf8') });
    } else out.push({ kind: 'text', text: Buffer.from(part.text).toString('utf8') });
  }
  // Runs of text one after the other are one run.
  return out.reduce<typeof out>((merged, p) => {
    const last = merged.at(-1);
    if (last && last.kind === 'text' && p.kind === 'text') last.text += p.text;
    else merged.push({ ...p });
    return merged;
  }, []);
}

/** The text of the one deflate stream an export makes of a piece (text runs deflated into
 * sync-flushed fragments, kept fragments copied, a final empty block), inflated. */
async function streamText(piece: ProfileText): Promise<string> {
  if (piece instanceof Uint8Array || !piece.parts) throw new Error('the piece has no parts');
  const out: Buffer[] = [];
  let text: Buffer[] = [];
  const flush = () => {
    if (text.length > 0) out.push(deflateRawSync(Buffer.concat(text), { finishFlush: constants.Z_SYNC_FLUSH }));
    text = [];
  };
  for await (const part of piece.parts()) {
    if ('deflate' in part) {
      flush();
      out.push(Buffer.from(part.deflate));
    } else text.push(Buffer.from(part.text));
  }
  flush();
  return inflateRawSync(Buffer.concat([...out, Buffer.from([3, 0])])).toString('utf8');
}

describe('duckdb store: kept compressed blocks of profile lines', () => {
  const T0 = Date.UTC(2024, 0, 1) / 1000;
  const AT = T0 + 100 * 86_400;
  let dir: string;
  let store: DuckDbStore;
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const ingest = oneEventEach(() => store, () => dir);
  const computed = computedProfiles(() => store);
  const exportPieces = async (job: string, perPiece: number, filter?: Parameters<DuckDbStore['snapshotExportMembers']>[1]) => {
    const users = await store.snapshotExportMembers(job, filter, AT);
    const reader = await store.openExportProfiles(job, { fields: USER_EXPORT_FIELDS });
    return { reader, users, pieces: await reader.read(0, users, perPiece), counts: (reader as unknown as { counts: { kept: number; fresh: number } }).counts };
  };
  /** Every listed block: its fragment, read from its block file, inflates to exactly the bytes of
   * its line file it says it covers, those are whole lines, and its CRC-32 is theirs. */
  const checkBlocks = async (): Promise<number> => {
    const conn = await rawConnection(store);
    const blocks = (await conn.runAndReadAll(`SELECT file, pos::DOUBLE, len::DOUBLE, lines, crc::DOUBLE, z_pos::DOUBLE, z_len FROM profile_blocks ORDER BY file, pos`)).getRows() as number[][];
    conn.closeSync();
    for (const [file, pos, len, lines, crc, zPos, zLen] of blocks) {
      const text = readFileSync(join(dir, 'profiles', `${file}.ndjson`)).subarray(pos, pos + len);
      const fragment = readFileSync(join(dir, 'profile-blocks', `${file}.deflate`)).subarray(zPos, zPos + zLen);
      expect(inflateFragment(fragment).equals(text), `block of file ${file} at ${pos}`).toBe(true);
      expect(crc).toBe(crcOf(text));
      expect(text.toString('utf8').split('\n').length - 1).toBe(lines);
      expect(pos === 0 || readFileSync(join(dir, 'profiles', `${file}.ndjson`))[pos - 1] === 0x0a).toBe(true);
    }
    return blocks.length;
  };

  it('copies the kept blocks a run of members tiles exactly, compresses the rest, and gives the same text', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-blocks-'));
    store = await DuckDbStore.open({ dataDir: dir, profileBlockLines: 4 });
    // Users 1..30; 1..16 also did "Évén ☕" (a segment of a run of members), even ones "Odd".
    await ingest(range(1, 30), 'Played', T0);
    await ingest(range(1, 16), 'Évén ☕', T0 + 3600);
    await ingest(range(1, 15).map((i) => 2 * i), 'Odd', T0 + 7200);
    // Files of 12 lines: 1 = users 1-12, 2 = 13-24, 3 = 25-30; blocks of 4 lines from each file's
    // start (file 3: 25-28 and 29-30).
    expect(await store.refresh({ batchUsers: 12 })).toBe(30);
    expect(readdirSync(join(dir, 'profile-blocks')).sort()).toEqual(['1.deflate', '2.deflate', '3.deflate']);
    expect(await checkBlocks()).toBe(3 + 3 + 2);
    const everyone = await computed(range(1, 30));

    // Pieces of 10 members: [1-10] blocks 1-4, 5-8 and 9, 10 fresh; [11-20] 11, 12 fresh (their
    // block starts at 9), blocks 13-16, 17-20; [21-30] blocks 21-24 (file 2), 25-28, 29-30 (file
    // 3). Consecutive blocks of one file are given as one fragment.
    const all = await exportPieces('job-all', 10);
    expect(all.users).toBe(30);
    const parts = await Promise.all(all.pieces.map(partsOf));
    const texts = (users: number[]) => users.map((u) => everyone[u - 1]).join('');
    expect(parts).toEqual([
      [{ kind: 'kept', text: texts(range(1, 8)) }, { kind: 'text', text: texts([9, 10]) }],
      [{ kind: 'text', text: texts([11, 12]) }, { kind: 'kept', text: texts(range(13, 20)) }],
      [{ kind: 'kept', text: texts(range(21, 24)) }, { kind: 'kept', text: texts(range(25, 30)) }],
    ]);
    all.reader.close();
    expect(all.counts).toEqual({ kept: 26, fresh: 4 });
    // What an export file is made of: inflated, the text of the piece's members.
    const again = await exportPieces('job-all-2', 10);
    expect(await Promise.all(again.pieces.map(streamText))).toEqual([0, 10, 20].map((k) => everyone.slice(k, k + 10).join('')));
    again.reader.close();

    // A segment of users 1..16 in one piece: blocks 1-4, 5-8, 9-12, 13-16; all kept.
    const first16 = await exportPieces('job-16', 5_000, { custom_event: 'Évén ☕', op: 'gte', count: 1 });
    expect(first16.users).toBe(16);
    expect(await streamText(first16.pieces[0])).toBe(everyone.slice(0, 16).join(''));
    first16.reader.close();
    expect(first16.counts).toEqual({ kept: 16, fresh: 0 });

    // Every other user: no run of members tiles a block; all compressed afresh, the same text.
    const evens = await computed(range(1, 15).map((i) => 2 * i));
    const even = await exportPieces('job-even', 5_000, { custom_event: 'Odd', op: 'gte', count: 1 });
    expect(await streamText(even.pieces[0])).toBe(evens.join(''));
    even.reader.close();
    expect(even.counts).toEqual({ kept: 0, fresh: 15 });
  });

  it('does not use a block once one of its profiles changed, and the export stays right', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-blocks-stale-'));
    store = await DuckDbStore.open({ dataDir: dir, profileBlockLines: 4 });
    await ingest(range(1, 12), 'Played', T0);
    expect(await store.refresh()).toBe(12);
    // User 6 changes: its new line goes to file 2 (a block of its own); the block of users 5-8
    // holds its old line and is not used.
    await ingest([6], 'Later', T0 + 86_400);
    expect(await store.refresh()).toBe(1);
    expect(await checkBlocks()).toBe(3 + 1);
    const everyone = await computed(range(1, 12));
    expect(everyone[5]).toContain('Later');
    const all = await exportPieces('job', 12);
    expect(await partsOf(all.pieces[0])).toEqual([
      { kind: 'kept', text: everyone.slice(0, 4).join('') },
      { kind: 'text', text: everyone[4] },
      { kind: 'kept', text: everyone[5] },
      { kind: 'text', text: everyone.slice(6, 8).join('') },
      { kind: 'kept', text: everyone.slice(8, 12).join('') },
    ]);
    all.reader.close();
    expect(all.counts).toEqual({ kept: 9, fresh: 3 });
  });

  it('leaves no block pointing at wrong bytes after a crash mid-keep, and catches up a folder kept before blocks', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-blocks-crash-'));
    store = await DuckDbStore.open({ dataDir: dir, profileBlockLines: 4 });
    await ingest(range(1, 10), 'Played', T0);
    expect(await store.refresh({ batchUsers: 5 })).toBe(10);
    const everyone = await computed(range(1, 10));
    // What a crash leaves: a batch's line and block files whose transaction never committed (file
    // 3), and a catch-up of file 2 cut before its blocks were listed, its block file half written.
    const conn = await rawConnection(store);
    await conn.run(`DELETE FROM profile_blocks WHERE file = 2`);
    conn.closeSync();
    await store.close();
    writeFileSync(join(dir, 'profiles', '3.ndjson'), '{"braze_id":"nobody"}\n');
    writeFileSync(join(dir, 'profile-blocks', '3.deflate'), deflateRawSync('{"braze_id":"nobody"}\n'));
    writeFileSync(join(dir, 'profile-blocks', '2.deflate'), deflateRawSync('{"braze_id":"wrong"}\n').subarray(0, 10));
    store = await DuckDbStore.open({ dataDir: dir, profileBlockLines: 4 });
    // Opening deletes both block files (neither has listed blocks) and the uncommitted line file.
    expect(readdirSync(join(dir, 'profile-blocks')).sort()).toEqual(['1.deflate']);
    expect(existsSync(join(dir, 'profiles', '3.ndjson'))).toBe(false);
    expect(await checkBlocks()).toBe(2);
    // File 1 (users 1-5) has blocks 1-4 and 5; file 2 (users 6-10) none: compressed afresh.
    const before = await exportPieces('job-before', 10);
    expect(await streamText(before.pieces[0])).toBe(everyone.join(''));
    before.reader.close();
    expect(before.counts).toEqual({ kept: 5, fresh: 5 });
    // The keeper's next refresh computes no profile and compresses file 2 once, shown as progress.
    const progress: string[] = [];
    expect(await store.refresh({ onCatchUp: (what, done, total) => progress.push(`${what} ${done}/${total}`) })).toBe(0);
    expect(progress).toEqual(['compressing kept profile lines in blocks 1/1']);
    expect(await checkBlocks()).toBe(4);
    const after = await exportPieces('job-after', 10);
    expect(await streamText(after.pieces[0])).toBe(everyone.join(''));
    after.reader.close();
    expect(after.counts).toEqual({ kept: 10, fresh: 0 });
    expect(await store.refresh({ onCatchUp: () => progress.push('again') })).toBe(0);
    expect(progress).toHaveLength(1);

    // A block file gone from the folder: its blocks are no longer listed (not read), and made again.
    await store.close();
    rmSync(join(dir, 'profile-blocks', '1.deflate'));
    store = await DuckDbStore.open({ dataDir: dir, profileBlockLines: 4 });
    expect(await checkBlocks()).toBe(2);
    const gone = await exportPieces('job-gone', 10);
    expect(await streamText(gone.pieces[0])).toBe(everyone.join(''));
    gone.reader.close();
    expect(gone.counts).toEqual({ kept: 5, fresh: 5 });
    expect(await store.refresh()).toBe(0);
    expect(await checkBlocks()).toBe(4);
  });

  it('drops blocks of the earlier layout (gzip members, no CRC) and makes them again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-blocks-old-'));
    store = await DuckDbStore.open({ dataDir: dir, profileBlockLines: 4 });
    await ingest(range(1, 6), 'Played', T0);
    expect(await store.refresh()).toBe(6);
    const conn = await rawConnection(store);
    await conn.run(`DROP TABLE profile_blocks`);
    await conn.run(`CREATE TABLE profile_blocks (file INTEGER, pos BIGINT, len BIGINT, lines INTEGER, gz_pos BIGINT, gz_len INTEGER)`);
    await conn.run(`INSERT INTO profile_blocks VALUES (1, 0, 10, 1, 0, 20)`);
    conn.closeSync();
    await store.close();
    rmSync(join(dir, 'profile-blocks', '1.deflate'));
    writeFileSync(join(dir, 'profile-blocks', '1.gz'), gzipSync('{"braze_id":"old"}\n'));
    store = await DuckDbStore.open({ dataDir: dir, profileBlockLines: 4 });
    expect(readdirSync(join(dir, 'profile-blocks'))).toEqual([]);
    expect(await checkBlocks()).toBe(0);
    const progress: number[] = [];
    expect(await store.refresh({ onCatchUp: (_, done) => progress.push(done) })).toBe(0);
    expect(progress).toEqual([1]);
    expect(await checkBlocks()).toBe(2);
    const all = await exportPieces('job', 10);
    expect(await streamText(all.pieces[0])).toBe((await computed(range(1, 6))).join(''));
    all.reader.close();
    expect(all.counts).toEqual({ kept: 6, fresh: 0 });
  });
});

import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { constants, deflateRaw } from 'node:zlib';
import { crc32 } from '../crc32.ts';
import type { DuckDBConnection } from '@duckdb/node-api';
import { appendRows, rows } from './sql.ts';

/**
 * Kept blocks of profile lines, compressed once: beside each profile line file (`profiles/N.ndjson`)
 * a file of deflate fragments (`profile-blocks/N.deflate`), each the raw deflate of a run of
 * consecutive lines of the line file (LINES_PER_BLOCK of them, counted from the file's start, the
 * last run shorter), compressed on its own (it refers to nothing before it) and ended by a sync
 * flush (byte-aligned, no final block), and `profile_blocks` saying which bytes of which line file
 * each covers, their CRC-32, and where its fragment is.
 *
 * Such fragments put one after the other, and a final empty block after them, are one deflate
 * stream of the texts one after the other; the CRC-32 of the whole comes from theirs (crc32Combine).
 * So an export whose members' lines, read in member order, run through exactly the bytes of a
 * block copies the block's fragment into its one gzip member or zip entry instead of compressing
 * the lines. Line files are written once and never changed, so a block's bytes stay right as long
 * as its line file exists; a block with a line no longer current is simply never matched (no
 * member points at that line any more).
 *
 * Crash safety: the block file is on disk (synced) before the transaction that lists its blocks
 * commits, and a block file is only ever written for a line file none of whose blocks is listed;
 * a block file no listed line file has, or whose blocks are not listed, is deleted or written again.
 */

/** Lines a block holds: a whole number of blocks makes an export file of 5,000 users and a keeper's
 * batch of 20,000, so that an export of everyone after a full keep is whole blocks only. */
export const LINES_PER_BLOCK = 250;
/** The same level as export files (Node's level 2: faster and smaller than its level 1 on NDJSON). */
export const BLOCK_LEVEL = 2;

export const PROFILE_BLOCKS_DDL = `CREATE TABLE IF NOT EXISTS profile_blocks (file INTEGER, pos BIGINT, len BIGINT, lines INTEGER, crc BIGINT, z_pos BIGINT, z_len INTEGER)`;

/** Blocks listed by an earlier layout (gzip members, no CRC) are dropped: the keeper makes them again. */
export async function prepareBlocks(conn: DuckDBConnection): Promise<void> {
  const columns = (await rows<{ name: string }>(conn, `SELECT column_name AS name FROM duckdb_columns() WHERE database_name = current_database() AND table_name = 'profile_blocks'`)).map((r) => r.name);
  if (columns.length > 0 && !columns.includes('crc')) await conn.run(`DROP TABLE profile_blocks`);
  await conn.run(PROFILE_BLOCKS_DDL);
}

/** The name of the block file of profile line file `file` (in the blocks folder). */
export const blockFileName = (file: number) => `${file}.deflate`;

/** One kept block: bytes `pos` to `pos + len` of its line file (`lines` whole lines, whose CRC-32 is
 * `crc`), whose deflate fragment is bytes `zPos` to `zPos + zLen` of the block file. */
export interface Block {
  pos: number;
  len: number;
  lines: number;
  crc: number;
  zPos: number;
  zLen: number;
}

/** The raw deflate of `text` ended by a sync flush (byte-aligned, no final block). */
export const deflateFragment = promisify((text: Uint8Array, done: (error: Error | null, result: Buffer) => void) =>
  deflateRaw(text, { level: BLOCK_LEVEL, finishFlush: constants.Z_SYNC_FLUSH }, done));

/** A block ends after this many bytes' line even if it holds fewer lines (long lines): the text of
 * a block is in memory while it is compressed. */
const MAX_BLOCK_BYTES = 8 << 20;

/** Blocks compressed at the same time (zlib runs them on its own threads). */
const IN_FLIGHT = 2;

/**
 * Cuts line file `linePath` into blocks of `linesPerBlock` lines, deflates each and writes the fragments
 * one after the other to `blockPath` (made anew), synced; answers the blocks. A file whose last line
 * has no line ending keeps that line out of every block. `stopped` true: thrown out of, at a block.
 */
export async function compressBlocks(linePath: string, blockPath: string, linesPerBlock = LINES_PER_BLOCK, stopped?: () => boolean): Promise<Block[]> {
  const out = await open(blockPath, 'w');
  const blocks: Block[] = [];
  const inFlight: Array<{ block: Omit<Block, 'zPos' | 'zLen'>; z: Promise<Buffer> }> = [];
  let zPos = 0;
  const writeFirst = async () => {
    const { block, z } = inFlight.shift()!;
    const bytes = await z;
    await writeFully(out, bytes, zPos);
    blocks.push({ ...block, zPos, zLen: bytes.length });
    zPos += bytes.length;
  };
  try {
    let parts: Buffer[] = [];
    let partBytes = 0;
    let lines = 0;
    let start = 0; // the line file's byte where the block under way starts
    const cut = async () => {
      if (stopped?.()) throw new Error('compression of profile blocks stopped');
      const text = parts.length === 1 ? parts[0] : Buffer.concat(parts, partBytes);
      inFlight.push({ block: { pos: start, len: partBytes, lines, crc: crc32(text) }, z: deflateFragment(text) });
      start += partBytes;
      parts = [];
      partBytes = 0;
      lines = 0;
      if (inFlight.length >= IN_FLIGHT) await writeFirst();
    };
    for await (const chunk of createReadStream(linePath, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      // The chunk is the stream's own (never reused): slices of it can be kept.
      let from = 0; // where the block under way's bytes in this chunk begin
      for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) {
        if (++lines < linesPerBlock && partBytes + at + 1 - from < MAX_BLOCK_BYTES) continue;
        parts.push(chunk.subarray(from, at + 1));
        partBytes += at + 1 - from;
        from = at + 1;
        await cut();
      }
      if (from < chunk.length) {
        parts.push(chunk.subarray(from));
        partBytes += chunk.length - from;
      }
    }
    // Whole lines left: the last, shorter block (bytes after the last line ending are left out).
    if (lines > 0) {
      const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts, partBytes);
      let end = whole.length;
      while (end > 0 && whole[end - 1] !== 0x0a) end--;
      parts = [whole.subarray(0, end)];
      partBytes = end;
      await cut();
    }
    while (inFlight.length > 0) await writeFirst();
    await out.sync();
  } catch (error) {
    await Promise.allSettled(inFlight.map((f) => f.z));
    throw error;
  } finally {
    await out.close();
  }
  return blocks;
}

async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/** Lists file `file`'s blocks in `profile_blocks` (in the caller's transaction). */
export async function listBlocks(conn: DuckDBConnection, file: number, blocks: Block[]): Promise<void> {
  await appendRows(conn, 'profile_blocks', ['INTEGER', 'BIGINT', 'BIGINT', 'INTEGER', 'BIGINT', 'BIGINT', 'INTEGER'],
    blocks.map((b) => [file, b.pos, b.len, b.lines, b.crc, b.zPos, b.zLen]));
}

/** Every listed block, by line file and by the position it starts at. */
export async function loadBlocks(conn: DuckDBConnection): Promise<Map<number, Map<number, Block>>> {
  const found = await rows<{ file: number; pos: number; len: number; lines: number; crc: number; z_pos: number; z_len: number }>(
    conn,
    `SELECT file, pos::DOUBLE AS pos, len::DOUBLE AS len, lines, crc::DOUBLE AS crc, z_pos::DOUBLE AS z_pos, z_len FROM profile_blocks`,
  );
  const blocks = new Map<number, Map<number, Block>>();
  for (const r of found) {
    let inFile = blocks.get(r.file);
    if (!inFile) blocks.set(r.file, (inFile = new Map()));
    inFile.set(r.pos, { pos: r.pos, len: r.len, lines: r.lines, crc: r.crc, zPos: r.z_pos, zLen: r.z_len });
  }
  return blocks;
}

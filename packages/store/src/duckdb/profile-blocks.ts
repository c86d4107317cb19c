import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import { appendRows, rows } from './sql.ts';

/**
 * Kept blocks of profile lines, compressed once: beside each profile line file (`profiles/N.ndjson`)
 * a file of gzip members (`profile-blocks/N.gz`), each the gzip of a run of consecutive lines of
 * the line file (LINES_PER_BLOCK of them, counted from the file's start, the last run shorter), and
 * `profile_blocks` saying which bytes of which line file each covers and where its member is.
 *
 * An export whose members' lines, read in member order, run through exactly the bytes of a block
 * copies the block's gzip member instead of compressing the lines (RFC 1952: a gzip file may be
 * several members, which gunzip and every common reader read as one text). Line files are written
 * once and never changed, so a block's bytes stay right as long as its line file exists; a block
 * with a line no longer current is simply never matched (no member points at that line any more).
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

export const PROFILE_BLOCKS_DDL = `CREATE TABLE IF NOT EXISTS profile_blocks (file INTEGER, pos BIGINT, len BIGINT, lines INTEGER, gz_pos BIGINT, gz_len INTEGER)`;

/** The name of the block file of profile line file `file` (in the blocks folder). */
export const blockFileName = (file: number) => `${file}.gz`;

/** One kept block: bytes `pos` to `pos + len` of its line file (`lines` whole lines), whose gzip
 * member is bytes `gzPos` to `gzPos + gzLen` of the block file. */
export interface Block {
  pos: number;
  len: number;
  lines: number;
  gzPos: number;
  gzLen: number;
}

const gzipAsync = promisify(gzip);

/** A block ends after this many bytes' line even if it holds fewer lines (long lines): the text of
 * a block is in memory while it is compressed. */
const MAX_BLOCK_BYTES = 8 << 20;

/** Blocks compressed at the same time (zlib runs them on its own threads). */
const IN_FLIGHT = 2;

/**
 * Cuts line file `linePath` into blocks of `linesPerBlock` lines, gzips each and writes the members
 * one after the other to `blockPath` (made anew), synced; answers the blocks. A file whose last line
 * has no line ending keeps that line out of every block. `stopped` true: thrown out of, at a block.
 */
export async function compressBlocks(linePath: string, blockPath: string, linesPerBlock = LINES_PER_BLOCK, stopped?: () => boolean): Promise<Block[]> {
  const out = await open(blockPath, 'w');
  const blocks: Block[] = [];
  const inFlight: Array<{ block: Omit<Block, 'gzPos' | 'gzLen'>; gz: Promise<Buffer> }> = [];
  let gzPos = 0;
  const writeFirst = async () => {
    const { block, gz } = inFlight.shift()!;
    const bytes = await gz;
    await writeFully(out, bytes, gzPos);
    blocks.push({ ...block, gzPos, gzLen: bytes.length });
    gzPos += bytes.length;
  };
  try {
    let parts: Buffer[] = [];
    let partBytes = 0;
    let lines = 0;
    let start = 0; // the line file's byte where the block under way starts
    const cut = async () => {
      if (stopped?.()) throw new Error('compression of profile blocks stopped');
      const text = parts.length === 1 ? parts[0] : Buffer.concat(parts, partBytes);
      inFlight.push({ block: { pos: start, len: partBytes, lines }, gz: gzipAsync(text, { level: BLOCK_LEVEL }) });
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
    await Promise.allSettled(inFlight.map((f) => f.gz));
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
  await appendRows(conn, 'profile_blocks', ['INTEGER', 'BIGINT', 'BIGINT', 'INTEGER', 'BIGINT', 'INTEGER'],
    blocks.map((b) => [file, b.pos, b.len, b.lines, b.gzPos, b.gzLen]));
}

/** Every listed block, by line file and by the position it starts at. */
export async function loadBlocks(conn: DuckDBConnection): Promise<Map<number, Map<number, Block>>> {
  const found = await rows<{ file: number; pos: number; len: number; lines: number; gz_pos: number; gz_len: number }>(
    conn,
    `SELECT file, pos::DOUBLE AS pos, len::DOUBLE AS len, lines, gz_pos::DOUBLE AS gz_pos, gz_len FROM profile_blocks`,
  );
  const blocks = new Map<number, Map<number, Block>>();
  for (const r of found) {
    let inFile = blocks.get(r.file);
    if (!inFile) blocks.set(r.file, (inFile = new Map()));
    inFile.set(r.pos, { pos: r.pos, len: r.len, lines: r.lines, gzPos: r.gz_pos, gzLen: r.gz_len });
  }
  return blocks;
}

/**
 * Which shard keeps a user, and writing rows there. A user's shard is
 * `jumpConsistentHash(reinterpretAsUInt64(MD5(ws || '\0' || user)), shards)`: the same in
 * TypeScript (here) and in ClickHouse SQL (the README's placement function), and a jump hash, so
 * that growing from N to N+1 shards moves only a 1/(N+1) share of the users.
 *
 * Rows go to the shard's `_local` table directly, in TabSeparated (cheaper to write here and to read
 * there than JSON): never through the Distributed table, whose insert would forward them again.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ClickHouseConnection } from './client.ts';
import { queryError } from './errors.ts';

const MULTIPLIER = 2862933555777941757n;
const MASK = (1n << 64n) - 1n;

/** Lamping and Veach's jump consistent hash, as ClickHouse's jumpConsistentHash computes it. */
export function jumpConsistentHash(key: bigint, buckets: number): number {
  let b = -1n;
  let j = 0n;
  const n = BigInt(buckets);
  while (j < n) {
    b = j;
    key = (key * MULTIPLIER + 1n) & MASK;
    j = BigInt(Math.floor(Number(b + 1n) * (2 ** 31 / (Number(key >> 33n) + 1))));
  }
  return Number(b);
}

/** 0-based shard of a user among `shards`. */
export function shardOf(ws: string, user: string, shards: number): number {
  if (shards <= 1) return 0;
  const digest = createHash('md5').update(ws).update('\0').update(user).digest();
  return jumpConsistentHash(digest.readBigUInt64LE(0), shards);
}

/** Groups items by the shard of their user (index = shard, 0-based). */
export function byShard<T>(ws: string, shards: number, items: Iterable<T>, userOf: (item: T) => string): T[][] {
  const out: T[][] = Array.from({ length: shards }, () => []);
  const cache = new Map<string, number>();
  for (const item of items) {
    const user = userOf(item);
    let shard = cache.get(user);
    if (shard === undefined) cache.set(user, (shard = shardOf(ws, user, shards)));
    out[shard].push(item);
  }
  return out;
}

export type TsvValue = string | number | null | undefined;

const TSV_SPECIAL = /[\\\t\n\r\0]/;
const TSV_SPECIALS = /[\\\t\n\r\0]/g;
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** The letter after a backslash that stands for a byte in a TabSeparated field (0: the byte as it is). */
const TSV_BYTE_ESCAPES = new Uint8Array(256);
for (const [byte, letter] of [['\\', '\\'], ['\t', 't'], ['\n', 'n'], ['\r', 'r'], ['\0', '0']]) TSV_BYTE_ESCAPES[byte.charCodeAt(0)] = letter.charCodeAt(0);

/** A value as a TabSeparated field: `\N` for null, backslash escapes in text. */
export function tsvField(value: TsvValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} cannot be stored`);
    return String(value);
  }
  return TSV_SPECIAL.test(value) ? value.replace(TSV_SPECIALS, (c) => TSV_ESCAPES[c]) : value;
}

/** Rows (their values in the columns' order) as TabSeparated bytes. */
export function tsvRows(rows: readonly (readonly TsvValue[])[]): Buffer {
  const out = new TsvWriter();
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < row.length; i++) line += (i === 0 ? '' : '\t') + tsvField(row[i]);
    out.text(`${line}\n`);
  }
  return out.done();
}

/**
 * TabSeparated bytes written into one growing buffer: no text of a whole batch is ever built (a
 * string of 20 MB made by concatenation costs more to flatten and encode than to write), and JSON
 * text already in bytes (a record's own NDJSON line) is copied once, escaped on the way.
 */
export class TsvWriter {
  private buffer: Buffer;
  private length = 0;

  /** `expected`: the bytes it will likely hold (it grows past them if need be). */
  constructor(expected = 1 << 16) {
    this.buffer = Buffer.allocUnsafe(expected);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Text already in TabSeparated form (fields escaped by `tsvField`). */
  text(s: string): void {
    this.reserve(s.length * 3);
    // Buffer's own utf8Write: `write` checks its arguments at a cost that shows at 100,000 rows.
    this.length += (this.buffer as unknown as { utf8Write(s: string, offset: number): number }).utf8Write(s, this.length);
  }

  /** One byte (a separator). */
  byte(b: number): void {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  /** UTF-8 bytes as one field, escaped (backslash, tab, newline, carriage return, NUL). JSON text
   * holds backslashes often and the others almost never: the runs between backslashes are copied
   * natively; bytes holding any of the others are escaped one by one. */
  field(bytes: Uint8Array): void {
    this.reserve(bytes.length * 2);
    const src = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = this.buffer;
    let at = this.length;
    if (src.indexOf(0x09) !== -1 || src.indexOf(0x0a) !== -1 || src.indexOf(0x0d) !== -1 || src.indexOf(0x00) !== -1) {
      for (let i = 0; i < src.length; i++) {
        const b = src[i];
        const escaped = TSV_BYTE_ESCAPES[b];
        if (escaped === 0) out[at++] = b;
        else {
          out[at++] = 0x5c;
          out[at++] = escaped;
        }
      }
    } else {
      let from = 0;
      for (let slash = src.indexOf(0x5c); slash !== -1; slash = src.indexOf(0x5c, slash + 1)) {
        at += src.copy(out, at, from, slash + 1);
        out[at++] = 0x5c;
        from = slash + 1;
      }
      at += src.copy(out, at, from);
    }
    this.length = at;
  }

  /** The bytes written (a view of the buffer: the writer is not used after). */
  done(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * Inserts rows into table `table` of node `node` (its columns listed, in order). One statement: on
 * the node, the rows and whatever views derive from them land together.
 */
export async function insertLocal(
  db: ClickHouseConnection, node: number, table: string, columns: readonly string[], rows: readonly (readonly TsvValue[])[],
): Promise<void> {
  if (rows.length === 0) return;
  await insertText(db, node, table, columns, tsvRows(rows));
}

/** TabSeparated bytes (rows written by the caller) into a table of node `node`. */
export async function insertText(db: ClickHouseConnection, node: number, table: string, columns: readonly string[], text: Buffer): Promise<void> {
  if (text.length === 0) return;
  const target = db.table(table).text;
  try {
    await db.nodes[node].client.insert({
      table: target,
      columns: columns as [string, ...string[]],
      values: Readable.from([text], { objectMode: false }),
      format: 'TabSeparated',
      clickhouse_settings: db.profile.insert,
    });
  } catch (error) {
    throw queryError(error, `INSERT INTO ${target}`);
  }
}

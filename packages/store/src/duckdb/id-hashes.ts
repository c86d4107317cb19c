import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * A compact set of 64-bit hashes, each given as its two 32-bit halves. A hash is kept in 32 bits:
 * its high half picks the slot where probing starts (linear probing), its low half is what the slot
 * holds (0 means empty, so a low half of 0 is kept as 1). A hash in the set is always found; one
 * that is not is found by chance about once in 2^32 / (slots probed): ~2e-9 a lookup at three
 * quarters full. A hit is therefore a candidate, for the caller to check. 4 bytes a slot, at most
 * 3/4 full: 10M hashes take 64 MB. Slots keep no high halves, so the set cannot grow by itself: its
 * owner fills a bigger one from where the hashes are kept.
 */
export class HashSet32 {
  private readonly slots: Uint32Array;
  private readonly mask: number;
  private count = 0;

  constructor(capacity: number) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(1 << 16, capacity / 0.75)));
    this.slots = new Uint32Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  /** How many hashes it takes before its owner must fill a bigger one. */
  get capacity(): number {
    return Math.floor(this.slots.length * 0.75);
  }

  /** Whether the hash may be in the set (always, when it is). */
  has(hi: number, lo: number): boolean {
    const fp = lo === 0 ? 1 : lo;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.slots[i];
      if (v === 0) return false;
      if (v === fp) return true;
    }
  }

  /** Adds the hash (the caller keeps `size` under `capacity`). */
  add(hi: number, lo: number): void {
    const fp = lo === 0 ? 1 : lo;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.slots[i];
      if (v === fp) return;
      if (v === 0) {
        this.slots[i] = fp;
        this.count++;
        return;
      }
    }
  }
}

/** The UINTEGER columns of a query's result, read chunk by chunk into typed arrays (no value
 * conversion, no BigInt). */
export function uint32Columns(conn: DuckDBConnection, sql: string, columns: number): Promise<Uint32Array[]> {
  return typedColumns(conn, sql, columns);
}

/** 32-bit columns (INTEGER or UINTEGER, never null) of a result, as their bytes. */
async function typedColumns(conn: DuckDBConnection, sql: string, columns: number): Promise<Uint32Array[]> {
  const result = await conn.stream(sql);
  const parts: Uint32Array[][] = Array.from({ length: columns }, () => []);
  let rows = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    for (let c = 0; c < columns; c++) {
      const items = (chunk.getColumnVector(c) as unknown as { items: Uint32Array | Int32Array }).items;
      parts[c].push(new Uint32Array(items.buffer.slice(items.byteOffset, items.byteOffset + items.byteLength)));
    }
    rows += chunk.rowCount;
  }
  return parts.map((list) => {
    const out = new Uint32Array(rows);
    let at = 0;
    for (const part of list) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  });
}

/** The INTEGER columns of a query's result, read chunk by chunk into typed arrays. */
export async function int32Columns(conn: DuckDBConnection, sql: string, columns: number): Promise<Int32Array[]> {
  return (await typedColumns(conn, sql, columns)).map((c) => new Int32Array(c.buffer, c.byteOffset, c.length));
}

/** A 64-bit hash from its halves. */
export const hash64 = (hi: number, lo: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);

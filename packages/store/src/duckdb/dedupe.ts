import { BATCH_HASHES_SQL, batchIdsSql, HASHES_AS_LIST, storedIdsSql } from './currents-sql.ts';
import type { Db } from './db.ts';
import { HashSet32, hash64, uint32Columns } from './id-hashes.ts';
import { fillTempTable, rows } from './sql.ts';

/**
 * Which records of a group are not to be stored again: later records of an id in the group, and
 * records whose id is stored already (SPEC §4: a record whose id was stored is not counted again).
 * Ids are compared by their 64-bit hash first, in memory: the hashes of the stored ids are kept in a
 * compact set (`HashSet32`, filled from `events.id_hash` on first use), so a group of new ids reads
 * nothing stored. Only hashes that match (a replay, or ids that share a hash by chance) are checked
 * against the ids themselves, in SQL.
 */
export class StoredIds {
  private stored: HashSet32 | undefined;

  constructor(private readonly db: Db) {}

  /** Positions (`rn`) in the group's `batch` of valid records to leave out. */
  async duplicates(): Promise<number[]> {
    const stored = await this.storedSet();
    const [rn, hi, lo] = await uint32Columns(this.db.writer, BATCH_HASHES_SQL, 3);
    const inGroup = new HashSet64(rn.length);
    const candidates = new Set<bigint>();
    const storedHits: bigint[] = [];
    for (let i = 0; i < rn.length; i++) {
      if (!inGroup.add(hi[i], lo[i])) candidates.add(hash64(hi[i], lo[i]));
      else if (stored.has(hi[i], lo[i])) {
        const h = hash64(hi[i], lo[i]);
        candidates.add(h);
        storedHits.push(h);
      }
    }
    if (candidates.size === 0) return [];
    await this.candidates([...candidates]);
    const storedIds = new Set(
      storedHits.length === 0 ? [] : (await rows<{ id: string }>(this.db.writer, storedIdsSql(storedHits))).map((r) => r.id),
    );
    const drop: number[] = [];
    const seen = new Set<string>();
    for (const { rn: at, id } of await rows<{ rn: number; id: string }>(this.db.writer, batchIdsSql([...candidates]))) {
      if (storedIds.has(id) || seen.has(id)) drop.push(at);
      else seen.add(id);
    }
    return drop;
  }

  /** More hashes than a list of constants takes go to the temp table `candidates`. */
  private async candidates(hashes: bigint[]): Promise<void> {
    if (hashes.length <= HASHES_AS_LIST) return;
    await fillTempTable(this.db.writer, 'candidate_halves', { hi: 'BIGINT', lo: 'BIGINT' }, hashes.map((h) => [h >> 32n, h & 0xffffffffn]));
    await this.db.writer.run(`CREATE OR REPLACE TEMP TABLE candidates AS SELECT (hi::UBIGINT << 32) | lo::UBIGINT AS h FROM candidate_halves`);
  }

  /** The group's stored records (`sql` gives their hashes as hi, lo) join the set once it commits.
   * Runs inside the group's transaction. */
  async remember(sql: string): Promise<void> {
    if (!this.stored) return;
    const [hi, lo] = await uint32Columns(this.db.writer, sql, 2);
    this.db.afterCommit(() => {
      if (!this.stored) return;
      if (this.stored.size + hi.length > this.stored.capacity) {
        this.stored = undefined; // filled again, bigger, from the stored records on next use
        return;
      }
      for (let i = 0; i < hi.length; i++) this.stored.add(hi[i], lo[i]);
    });
  }

  /** Forgets the set (the stored records changed other than by ingestion): filled again on next use. */
  forget(): void {
    this.stored = undefined;
  }

  private async storedSet(): Promise<HashSet32> {
    if (this.stored) return this.stored;
    const [count] = await uint32Columns(this.db.writer, `SELECT count(*)::UINTEGER FROM events`, 1);
    const set = new HashSet32(Math.max(1 << 20, 2 * (count[0] ?? 0)));
    const result = await this.db.writer.stream(`SELECT (id_hash >> 32)::UINTEGER, (id_hash & 4294967295)::UINTEGER FROM events`);
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const hi = (chunk.getColumnVector(0) as unknown as { items: Uint32Array }).items;
      const lo = (chunk.getColumnVector(1) as unknown as { items: Uint32Array }).items;
      for (let i = 0; i < chunk.rowCount; i++) set.add(hi[i], lo[i]);
    }
    this.stored = set;
    return set;
  }
}

/** An exact set of 64-bit hashes (both halves kept), for the records of one group. */
class HashSet64 {
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly used: Uint8Array;
  private readonly mask: number;

  constructor(count: number) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(16, count * 2)));
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
    this.used = new Uint8Array(size);
    this.mask = size - 1;
  }

  /** Adds the hash; false when it was there already. */
  add(hi: number, lo: number): boolean {
    for (let i = (hi ^ lo) & this.mask; ; i = (i + 1) & this.mask) {
      if (this.used[i] === 0) {
        this.used[i] = 1;
        this.hi[i] = hi;
        this.lo[i] = lo;
        return true;
      }
      if (this.hi[i] === hi && this.lo[i] === lo) return false;
    }
  }
}

/** How an identity is hashed to 32 bits: its kind's code and its value's UTF-8 bytes (a test may
 * give one under which every identity collides). */
export type KeyHash = (kind: number, bytes: Uint8Array, from: number, to: number) => number;

/** FNV-1a over the kind and the bytes, then murmur3's finalizer (FNV alone spreads short keys'
 * last bytes poorly over the slots). */
export const fnv1a: KeyHash = (kind, bytes, from, to) => {
  let h = Math.imul(0x811c9dc5 ^ kind, 0x01000193);
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

/** The kinds a /users/track object is named by, with their codes (device ids never name one, and
 * are not kept). */
export const KIND_CODES: Readonly<Record<string, number>> = { braze_id: 1, external_id: 2, alias: 3, email: 4, phone: 5 };

const encoder = new TextEncoder();

/** Identities in bulk, in the table's order: the kind's code, the user and the value's length in
 * UTF-8 bytes of each, and the values' bytes one after the other. */
export interface IdentityRows {
  kinds: ArrayLike<number>;
  uids: ArrayLike<number>;
  lengths: ArrayLike<number>;
  bytes: Uint8Array;
}

/**
 * The user of each identity (kind, value), kept in the process so that a group of /users/track
 * objects finds its users without reading the identities table (a join over all of them cost
 * 1.2 s of CPU per 100k objects). Every value's bytes are kept, one after the other, in one arena
 * and compared in full on every hash hit: a collision of hashes never names the wrong user. An
 * identity several users have (an email, a phone) names the most recent (highest uid), as
 * `max(uid)` over the table does: each of its rows is kept, and a lookup reads them all.
 * Size per identity: its value's bytes, 13 bytes of entry (kind, hash, uid, offset) and 6-11 bytes
 * of slots (0.7-0.35 of them used), up to an eighth more of room: 35 bytes an identity measured
 * for the core benchmark's 548k (ids of 8-10 characters, emails of 23).
 */
export class IdentityMap {
  private slots = new Int32Array(1 << 12);
  private kinds = new Uint8Array(1 << 10);
  private hashes = new Uint32Array(1 << 10);
  private uids = new Int32Array(1 << 10);
  /** Entry e's value is bytes[starts[e], starts[e + 1]). */
  private starts = new Uint32Array((1 << 10) + 1);
  private bytes = new Uint8Array(1 << 14);
  private count = 0;
  private scratch = new Uint8Array(256);

  constructor(private readonly hash: KeyHash = fnv1a) {}

  /** Identities kept (rows: an identity of several users counts once per user). */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the map's arrays. */
  get memoryBytes(): number {
    return this.slots.byteLength + this.kinds.byteLength + this.hashes.byteLength + this.uids.byteLength + this.starts.byteLength + this.bytes.byteLength;
  }

  /** The user of (kind, value), if one has it. */
  get(kind: string, value: string): number | undefined {
    const code = KIND_CODES[kind];
    if (code === undefined) return undefined;
    const to = this.encode(value);
    const key = this.scratch;
    const h = this.hash(code, key, 0, to);
    const mask = this.slots.length - 1;
    let found: number | undefined;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = this.slots[i] - 1;
      if (e < 0) return found;
      if (this.hashes[e] !== h || this.kinds[e] !== code || this.starts[e + 1] - this.starts[e] !== to) continue;
      const start = this.starts[e];
      let same = true;
      for (let b = 0; b < to && same; b++) same = this.bytes[start + b] === key[b];
      if (same && (found === undefined || this.uids[e] > found)) found = this.uids[e];
    }
  }

  /** Records that `uid` has (kind, value) (kinds the map does not keep are left out). */
  add(kind: string, value: string, uid: number): void {
    const code = KIND_CODES[kind];
    if (code === undefined) return;
    const to = this.encode(value);
    this.addRows({ kinds: [code], uids: [uid], lengths: [to], bytes: this.scratch.subarray(0, to) });
  }

  /** Records identities in bulk. */
  addRows(rows: IdentityRows): void {
    const n = rows.kinds.length;
    let slots = this.slots.length;
    while (this.count + n > slots * 0.7) slots *= 2;
    const regrown = slots !== this.slots.length;
    if (regrown) this.slots = new Int32Array(slots);
    // Entries and bytes grow to an eighth more than they need (copied a few times while a large
    // table is read, with little room unused after).
    if (this.count + n + 1 > this.hashes.length) {
      const size = roomFor(this.count + n + 1);
      this.kinds = grown(this.kinds, size);
      this.hashes = grown(this.hashes, size);
      this.uids = grown(this.uids, size);
      this.starts = grown(this.starts, size + 1);
    }
    let at = this.starts[this.count];
    if (at + rows.bytes.length > this.bytes.length) {
      this.bytes = grown(this.bytes, roomFor(at + rows.bytes.length));
    }
    this.bytes.set(rows.bytes, at);
    // New slots: every entry kept is placed again.
    if (regrown) for (let e = 0; e < this.count; e++) this.place(e);
    for (let r = 0; r < n; r++) {
      const e = this.count++;
      const to = at + rows.lengths[r];
      this.kinds[e] = rows.kinds[r];
      this.uids[e] = rows.uids[r];
      this.hashes[e] = this.hash(rows.kinds[r], this.bytes, at, to);
      this.starts[e + 1] = to;
      at = to;
      this.place(e);
    }
  }

  /** The value's UTF-8 bytes in `scratch`, their length returned. */
  private encode(value: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.scratch.length < value.length * 3) this.scratch = new Uint8Array(value.length * 3);
    return encoder.encodeInto(value, this.scratch).written;
  }

  private place(e: number): void {
    const mask = this.slots.length - 1;
    let i = this.hashes[e] & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = e + 1;
  }
}

const roomFor = (needed: number) => needed + (needed >>> 3);

function grown<T extends Uint8Array | Uint32Array | Int32Array>(array: T, length: number): T {
  const out = new (array.constructor as new (n: number) => T)(length);
  out.set(array);
  return out;
}

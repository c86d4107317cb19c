/** How a key's bytes are hashed to 32 bits (a test may give one that makes every key collide). */
export type KeyHash = (bytes: Uint8Array, from: number, to: number) => number;

/** FNV-1a over the bytes, then murmur3's finalizer (FNV alone spreads short keys' last bytes poorly). */
export const fnv1a: KeyHash = (bytes, from, to) => {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

/** The kinds a /users/track object is named by (device ids never are, and are not kept here). */
const KIND_CODES: Readonly<Record<string, number>> = { braze_id: 1, external_id: 2, alias: 3, email: 4, phone: 5 };

const encoder = new TextEncoder();

/**
 * The user of each identity (kind, value) by exact match, kept in the process so that a group of
 * /users/track objects finds its users without scanning the identities table (a join over them
 * cost 1.2 s of CPU per 100k objects). Each identity's key (a byte for the kind, then the value's
 * UTF-8 bytes) is kept in one byte arena and compared in full on every hash hit, so a collision of
 * hashes never names the wrong user. Several users may share an email or phone: the most recent
 * (highest uid) is kept, as `max(uid)` over the table would give. Size per identity: its key's
 * bytes, 12 bytes of entry (offset, hash, uid) and 6-11 bytes of slots (0.7-0.35 of them used),
 * arrays grown by doubling aside: ~45 bytes for a 24-character braze_id.
 */
export class IdentityMap {
  private slots = new Int32Array(1 << 12);
  private hashes = new Uint32Array(1 << 10);
  private uids = new Int32Array(1 << 10);
  /** Entry e's key is bytes[starts[e], starts[e + 1]). */
  private starts = new Uint32Array((1 << 10) + 1);
  private bytes = new Uint8Array(1 << 14);
  private count = 0;
  private scratch = new Uint8Array(256);

  constructor(private readonly hash: KeyHash = fnv1a) {}

  get size(): number {
    return this.count;
  }

  /** Bytes held by the map's arrays. */
  get memoryBytes(): number {
    return this.slots.byteLength + this.hashes.byteLength + this.uids.byteLength + this.starts.byteLength + this.bytes.byteLength;
  }

  /** Whether the map keeps identities of this kind. */
  static keeps(kind: string): boolean {
    return KIND_CODES[kind] !== undefined;
  }

  /** The user of (kind, value), if one has it. */
  get(kind: string, value: string): number | undefined {
    const to = this.encode(kind, value);
    if (to < 0) return undefined;
    const e = this.find(this.scratch, to, this.hash(this.scratch, 0, to));
    return e < 0 ? undefined : this.uids[e];
  }

  /** Records that `uid` has (kind, value) (kinds the map does not keep are left out). */
  add(kind: string, value: string, uid: number): void {
    const to = this.encode(kind, value);
    if (to < 0) return;
    const h = this.hash(this.scratch, 0, to);
    const e = this.find(this.scratch, to, h);
    if (e >= 0) {
      if (uid > this.uids[e]) this.uids[e] = uid;
      return;
    }
    if (this.count + 1 > this.slots.length * 0.7) this.growSlots();
    if (this.count + 1 >= this.hashes.length) this.growEntries();
    const start = this.starts[this.count];
    while (start + to > this.bytes.length) this.bytes = grown(this.bytes, this.bytes.length * 2);
    this.bytes.set(this.scratch.subarray(0, to), start);
    const at = this.count++;
    this.starts[this.count] = start + to;
    this.hashes[at] = h;
    this.uids[at] = uid;
    this.place(at);
  }

  /** The key's bytes in `scratch`, their length returned; -1 for a kind not kept. */
  private encode(kind: string, value: string): number {
    const code = KIND_CODES[kind];
    if (code === undefined) return -1;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.scratch.length < 1 + value.length * 3) this.scratch = new Uint8Array(1 + value.length * 3);
    this.scratch[0] = code;
    return 1 + encoder.encodeInto(value, this.scratch.subarray(1)).written;
  }

  /** The entry whose key is key[0, to), or -1. */
  private find(key: Uint8Array, to: number, h: number): number {
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = this.slots[i] - 1;
      if (e < 0) return -1;
      if (this.hashes[e] === h && this.equals(e, key, to)) return e;
    }
  }

  private equals(e: number, key: Uint8Array, to: number): boolean {
    const start = this.starts[e];
    if (this.starts[e + 1] - start !== to) return false;
    for (let i = 0; i < to; i++) if (this.bytes[start + i] !== key[i]) return false;
    return true;
  }

  private place(e: number): void {
    const mask = this.slots.length - 1;
    let i = this.hashes[e] & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = e + 1;
  }

  private growSlots(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    for (let e = 0; e < this.count; e++) this.place(e);
  }

  private growEntries(): void {
    const n = this.hashes.length * 2;
    this.hashes = grown(this.hashes, n);
    this.uids = grown(this.uids, n);
    this.starts = grown(this.starts, n + 1);
  }
}

function grown<T extends Uint8Array | Uint32Array | Int32Array>(array: T, length: number): T {
  const out = new (array.constructor as new (n: number) => T)(length);
  out.set(array);
  return out;
}

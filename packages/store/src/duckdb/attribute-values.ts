import type { Db } from './db.ts';
import { fillTempTable, rows } from './sql.ts';

/** An attribute's latest value (its JSON text) with the time and sequence that order updates. */
export interface CurrentValue {
  value: unknown;
  time: number;
  seq: number;
}

/** A value a group wrote: its user, its name, its JSON text, and what orders it. */
export interface WrittenValue {
  uid: number;
  name: string;
  json: string;
  time: number;
  seq: number;
}

interface Kept {
  uid: number;
  json: string;
  time: number;
  seq: number;
}

/** Values kept in all before those kept longest are dropped (about 33 MB at the benchmark's values, measured). */
const KEPT_PAIRS = 200_000;

/** Names numbered at most (a key, uid x NAMES + the name's number, stays an exact integer). */
const NAMES = 2 ** 21;

/**
 * The latest attribute values that /users/track increments and array edits read, kept in the process
 * for the users whose values this process wrote, so that a group asks `attributes` only for the
 * users it does not know in full. A user is known in full when it had no attribute at the first
 * group (read once: the users that had one) and every value written since is kept: `attributes` is
 * only written here, and a value is kept once its transaction has committed. Past `KEPT_PAIRS`, the
 * values kept longest are dropped, and their users asked for again, like those of before.
 */
export class AttributeValues {
  /** Bit per uid: the user may have stored values that are not kept (asked for); null until read. */
  private asked: Uint8Array | null = null;
  /** By `key(uid, name)`, in the order first written. */
  private readonly kept = new Map<number, Kept>();
  /** Each name kept, numbered (a key is a number: no string made a value). */
  private readonly names = new Map<string, number>();

  constructor(private readonly db: Db, private readonly keptPairs = KEPT_PAIRS, private readonly maxNames = NAMES) {}

  /** The latest value (by time, then sequence) of each (uid, name) asked for, by `uid \0 name`. */
  async current(pairs: ReadonlyArray<readonly [number, string]>): Promise<Map<string, CurrentValue>> {
    const out = new Map<string, CurrentValue>();
    // Read at the first group even when it asks for nothing, so that what it writes is kept.
    const asked = await this.askedUsers();
    if (pairs.length === 0) return out;
    const unknown: Array<readonly [number, string]> = [];
    for (const pair of pairs) {
      const [uid, name] = pair;
      if (isSet(asked, uid)) {
        unknown.push(pair);
        continue;
      }
      const n = this.names.get(name);
      const k = n === undefined ? undefined : this.kept.get(uid * NAMES + n);
      if (k) out.set(`${uid}\u0000${name}`, { value: JSON.parse(k.json), time: k.time, seq: k.seq });
    }
    if (unknown.length === 0) return out;
    await fillTempTable(this.db.writer, 'attr_req', { uid: 'INTEGER', name: 'VARCHAR' }, unknown);
    const found = await rows<{ uid: number; name: string; value: string; time: number; seq: bigint }>(
      this.db.writer,
      `SELECT a.uid, a.name, a.value::VARCHAR AS value, a.time, a.seq FROM attributes a JOIN (SELECT DISTINCT uid, name FROM attr_req) r USING (uid, name)
       QUALIFY row_number() OVER (PARTITION BY a.uid, a.name ORDER BY a.time DESC, a.seq DESC) = 1`,
    );
    for (const f of found) out.set(`${f.uid}\u0000${f.name}`, { value: JSON.parse(f.value), time: f.time, seq: Number(f.seq) });
    return out;
  }

  /** Values written by a group that has committed, in the order written. */
  written(values: readonly WrittenValue[]): void {
    let asked = this.asked;
    if (!asked) return; // nothing read yet: the first group reads the table as it is then
    for (const { uid, name, json, time, seq } of values) {
      if (isSet(asked, uid)) continue;
      let n = this.names.get(name);
      if (n === undefined) {
        if (this.names.size >= this.maxNames) {
          // No room for another name: this user's values are asked for from now on.
          asked = withBit(asked, uid);
          continue;
        }
        this.names.set(name, (n = this.names.size));
      }
      const key = uid * NAMES + n;
      const before = this.kept.get(key);
      if (!before) this.kept.set(key, { uid, json, time, seq });
      else if (time > before.time || (time === before.time && seq > before.seq)) {
        before.json = json;
        before.time = time;
        before.seq = seq;
      }
    }
    this.asked = asked;
    this.drop(asked);
  }

  /** The users that had attributes when first asked, read once. */
  private async askedUsers(): Promise<Uint8Array> {
    if (this.asked) return this.asked;
    const found = await rows<{ uid: number }>(this.db.writer, `SELECT DISTINCT uid FROM attributes`);
    let asked: Uint8Array = new Uint8Array(0);
    for (const { uid } of found) asked = withBit(asked, uid);
    return (this.asked = asked);
  }

  /** Past the cap, the pairs kept longest are dropped: their users are asked for from now on. */
  private drop(asked: Uint8Array): void {
    if (this.kept.size <= this.keptPairs) return;
    for (const [key, { uid }] of this.kept) {
      if (this.kept.size <= this.keptPairs * 0.9) break;
      this.kept.delete(key);
      asked = withBit(asked, uid);
    }
    this.asked = asked;
  }
}

const isSet = (bits: Uint8Array, uid: number) => uid >> 3 < bits.length && (bits[uid >> 3] & (1 << (uid & 7))) !== 0;

/** `bits` with `uid`'s bit set (a larger copy when it does not reach that far). */
function withBit(bits: Uint8Array, uid: number): Uint8Array {
  let out = bits;
  if (uid >> 3 >= bits.length) {
    out = new Uint8Array(Math.max((uid >> 3) + 1, bits.length * 2));
    out.set(bits);
  }
  out[uid >> 3] |= 1 << (uid & 7);
  return out;
}

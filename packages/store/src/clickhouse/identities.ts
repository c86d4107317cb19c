/**
 * Who a batch's records and objects are about: identities looked up across the shards, users made
 * for names nobody has yet (their braze_id derived from the naming identity), and the identities a
 * batch adds. One `UserBook` serves one batch, under the workspace's write lease.
 */
import type { StoredIdentity } from '@brazen/analytics';
import type { EngineContext } from './context.ts';
import {
  identityKey, resolveCurrentsUsers, resolveTrackUsers, type CurrentsNaming, type IdentityKey, type IdentityKind, type TrackNaming,
} from '@brazen/analytics';
import type { Probe } from './probe.ts';
import { sql } from './sql.ts';

/** Arrival order of a workspace's users, events and attributes, shared by every brazen process:
 * the high-water mark is a catalog document, moved on under the write lease before rows use it. */
export class Sequence {
  private next: number;
  private reserved: number;

  /** `last`: the highest number taken so far (the catalog's mark, read under the write lease). */
  constructor(private readonly ctx: EngineContext, private readonly ws: string, last: number) {
    this.next = this.reserved = last + 1;
  }

  take(): number {
    return this.next++;
  }

  /** Whether a number was taken since the mark was read. */
  get moved(): boolean {
    return this.next !== this.reserved;
  }

  /** The highest number recorded in the catalog by this batch (or read from it). */
  get mark(): number {
    return this.reserved - 1;
  }

  /** Records the numbers taken (before any row that carries one is written). */
  async commit(): Promise<void> {
    if (this.next === this.reserved) return;
    await this.ctx.docs.put([{ ws: this.ws, kind: 'sequence', id: '', body: String(this.next - 1) }]);
    this.reserved = this.next;
  }
}

export interface UserRow {
  user: string;
  createdAt: number;
  seq: number;
}

export interface IdentityRow {
  kind: IdentityKind;
  value: string;
  user: string;
  /** The user's own sequence number (an email or phone names the most recent user). */
  seq: number;
}

/**
 * Identities a process has read or written, kept from batch to batch while they are known to be
 * the workspace's: every batch that writes an identity moves the workspace's sequence mark (under
 * the write lease), so when a batch reads the mark this process left, no other process has written
 * since and what is kept here is still true. Any other mark, a failed batch or too many entries
 * start it afresh. Only identities found or written are kept: a key not here is looked up.
 */
export class KnownIdentities {
  /** Identity key -> the user it names (the most recent one for an email or phone) and that user's seq. */
  known = new Map<string, { user: string; seq: number }>();
  seqOf = new Map<string, number>();
  /** The sequence mark these were true at (undefined: not usable). */
  private mark: number | undefined;

  constructor(private readonly limit = 2_000_000) {}

  /** The identities to use for a batch that read sequence mark `mark` under the write lease. */
  forBatch(mark: number): this {
    if (this.mark !== mark || this.known.size > this.limit) this.forget();
    this.mark = undefined;
    return this;
  }

  /** The batch stored everything it planned and left the sequence at `mark`. */
  stored(mark: number): void {
    this.mark = mark;
  }

  forget(): void {
    this.known = new Map();
    this.seqOf = new Map();
    this.mark = undefined;
  }
}

export class UserBook {
  private readonly known: Map<string, { user: string; seq: number }>;
  private readonly seqOf: Map<string, number>;
  readonly newUsers: UserRow[] = [];
  readonly newIdentities: IdentityRow[] = [];

  constructor(
    private readonly ctx: EngineContext,
    private readonly ws: string,
    private readonly sequence: Sequence,
    kept: KnownIdentities = new KnownIdentities(),
  ) {
    this.known = kept.known;
    this.seqOf = kept.seqOf;
  }

  /** Looks up the identities of `keys` (every shard); `probe` is a session on the first node. */
  async load(keys: readonly IdentityKey[], probe: Probe): Promise<void> {
    const wanted = [...new Map(keys.filter((k) => !this.known.has(k.key)).map((k) => [k.key, k])).values()];
    if (wanted.length === 0) return;
    const table = await probe.table([['kind', 'String'], ['value', 'String']], wanted.map((k) => [k.kind, k.value]));
    const rows = await probe.query<{ kind: IdentityKind; value: string; latest_user: string; latest_seq: number }>(
      sql`SELECT kind, value, argMax(user, seq) AS latest_user, max(seq) AS latest_seq FROM ${this.ctx.db.table('identities')}
          WHERE ws = ${this.ws} AND (kind, value) GLOBAL IN (SELECT kind, value FROM ${table})
          GROUP BY kind, value`,
    );
    for (const r of rows) {
      this.known.set(identityKey(r.kind, r.value).key, { user: r.latest_user, seq: r.latest_seq });
      this.seqOf.set(r.latest_user, r.latest_seq);
    }
  }

  userOf(key: IdentityKey): string | undefined {
    return this.known.get(key.key)?.user;
  }

  /** Makes a user with this braze_id (the engine's handle of a user), numbered in the order made. */
  private make(user: string): string {
    const seq = this.sequence.take();
    this.newUsers.push({ user, createdAt: this.ctx.now() / 1000, seq });
    this.seqOf.set(user, seq);
    return user;
  }

  /** Records an identity of its user (once per batch): an email, phone or device may name several
   * users; the most recently made one is the one it means. */
  add(identity: StoredIdentity): void {
    const pair = `${identity.kind}\u0000${identity.value}\u0000${identity.user}`;
    if (this.pairs.has(pair)) return;
    this.pairs.add(pair);
    const seq = this.seqOf.get(identity.user) ?? 0;
    this.newIdentities.push({ ...identity, seq });
    const key = identityKey(identity.kind, identity.value).key;
    const current = this.known.get(key);
    if (!current || current.seq <= seq) this.known.set(key, { user: identity.user, seq });
  }

  private readonly pairs = new Set<string>();

  /** The user of each Currents naming (made where nobody has either name): analytics' rule. */
  resolveCurrents(namings: readonly CurrentsNaming[]): (naming: CurrentsNaming) => string {
    const found = namings.map((n) => ({
      ...n,
      byBrazeId: n.userId ? this.userOf(identityKey('braze_id', n.userId)) : undefined,
      byExternalId: n.externalUserId ? this.userOf(identityKey('external_id', n.externalUserId)) : undefined,
    }));
    const resolved = resolveCurrentsUsers<string>(found, (brazeId) => this.make(brazeId));
    for (const i of resolved.identities) this.add(i);
    return resolved.userOf;
  }

  /** The user of each /users/track naming, in order (undefined: nobody, not to be made): analytics' rule. */
  resolveTrack(namings: readonly TrackNaming[]): Array<string | undefined> {
    const resolved = resolveTrackUsers<string>(namings, {
      find: (k) => this.userOf(k),
      make: (brazeId) => this.make(brazeId),
      newer: (a, b) => (this.seqOf.get(a) ?? 0) > (this.seqOf.get(b) ?? 0),
    });
    for (const i of resolved.identities) this.add(i);
    return resolved.resolved;
  }

  /** Identity keys of Currents namings, for `load`. */
  static currentsKeys(namings: readonly CurrentsNaming[]): IdentityKey[] {
    return namings.flatMap((n) => [
      ...(n.userId ? [identityKey('braze_id', n.userId)] : []),
      ...(n.externalUserId ? [identityKey('external_id', n.externalUserId)] : []),
    ]);
  }
}

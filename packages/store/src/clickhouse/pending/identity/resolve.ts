import type { StoredIdentity, StoredUser } from '../records.ts';
import { byCodePoint } from '../text-order.ts';
import { derivedBrazeId, identityKey, identityKeys, type IdentityKey, type UserReference } from './keys.ts';

/**
 * Who a naming means. An identity names one user, except an email or phone, which several users may
 * share: the most recently created of them is meant. New namings become identities of the user they
 * resolved to; a naming that resolves to nobody makes a new user (unless it may only update).
 */

/** The users each identity names, and the order users were created in. */
export class IdentityDirectory {
  private readonly byKey = new Map<string, string[]>();
  private readonly created = new Map<string, number>();

  constructor(users: readonly StoredUser[] = [], identities: readonly StoredIdentity[] = []) {
    for (const u of users) this.addUser(u.brazeId);
    for (const i of identities) this.add(i);
  }

  addUser(brazeId: string): void {
    if (!this.created.has(brazeId)) this.created.set(brazeId, this.created.size);
  }

  add(identity: StoredIdentity): void {
    const key = identityKey(identity.kind, identity.value).key;
    const users = this.byKey.get(key) ?? [];
    if (!users.includes(identity.user)) users.push(identity.user);
    this.byKey.set(key, users);
  }

  has(identity: StoredIdentity): boolean {
    return this.byKey.get(identityKey(identity.kind, identity.value).key)?.includes(identity.user) ?? false;
  }

  /** Every user the identity names, oldest first. */
  users(key: IdentityKey): string[] {
    const rank = (u: string) => this.created.get(u) ?? Number.MAX_SAFE_INTEGER;
    return [...(this.byKey.get(key.key) ?? [])].sort((a, b) => rank(a) - rank(b));
  }

  /** The user the identity means: the most recently created of those it names. */
  find(key: IdentityKey): string | undefined {
    return this.users(key).at(-1);
  }
}

/** What resolving a batch's namings adds: users (braze_ids, in the order they were made) and identities. */
export interface NewUsers {
  users: string[];
  identities: StoredIdentity[];
}

/** How a Currents record names its user (`''`: not named that way). */
export interface CurrentsNaming {
  userId: string;
  externalUserId: string;
}

const namingKey = (n: CurrentsNaming) => `${n.userId}\u0000${n.externalUserId}`;

/**
 * The user of each naming of a batch of Currents records. A user_id is a braze_id; a record naming a
 * user_id and an external_user_id links them: whichever is new becomes an identity of the user the
 * other names (the braze_id wins when both name someone). Namings that name nobody yet make users,
 * considered in a fixed order (those naming someone first, then those naming both ids, then by
 * user_id and external_user_id in code-point order), so that two records linking the same new ids
 * make one user however the batch is ordered.
 */
export function resolveCurrentsUsers(
  namings: readonly CurrentsNaming[], find: (key: IdentityKey) => string | undefined,
): NewUsers & { userOf: (naming: CurrentsNaming) => string } {
  const rows = new Map<string, CurrentsNaming & { byBrazeId?: string; byExternalId?: string; user?: string }>();
  for (const n of namings) {
    const key = namingKey(n);
    if (rows.has(key)) continue;
    const byBrazeId = n.userId ? find(identityKey('braze_id', n.userId)) : undefined;
    const byExternalId = n.externalUserId ? find(identityKey('external_id', n.externalUserId)) : undefined;
    rows.set(key, { ...n, byBrazeId, byExternalId, user: byBrazeId ?? byExternalId });
  }
  const open = [...rows.values()]
    .filter((r) => (r.userId && r.byBrazeId === undefined) || (r.externalUserId && r.byExternalId === undefined))
    .sort((a, b) => Number(a.user === undefined) - Number(b.user === undefined)
      || Number(!a.userId || !a.externalUserId) - Number(!b.userId || !b.externalUserId)
      || byCodePoint(a.userId, b.userId) || byCodePoint(a.externalUserId, b.externalUserId));
  const out: NewUsers = { users: [], identities: [] };
  const madeByBrazeId = new Map<string, string>();
  const madeByExternalId = new Map<string, string>();
  for (const row of open) {
    let user = row.user ?? (row.userId ? madeByBrazeId.get(row.userId) : undefined) ?? (row.externalUserId ? madeByExternalId.get(row.externalUserId) : undefined);
    if (user === undefined) {
      user = row.userId || derivedBrazeId(identityKey('external_id', row.externalUserId));
      out.users.push(user);
      if (!row.userId) out.identities.push({ kind: 'braze_id', value: user, user });
    }
    if (row.userId && row.byBrazeId === undefined && !madeByBrazeId.has(row.userId)) {
      madeByBrazeId.set(row.userId, user);
      out.identities.push({ kind: 'braze_id', value: row.userId, user });
    }
    if (row.externalUserId && row.byExternalId === undefined && !madeByExternalId.has(row.externalUserId)) {
      madeByExternalId.set(row.externalUserId, user);
      out.identities.push({ kind: 'external_id', value: row.externalUserId, user });
    }
    row.user ??= user;
  }
  return { ...out, userOf: (n) => rows.get(namingKey(n))!.user! };
}

/** A /users/track object's user: created when nobody has its identities, unless it may only update. */
export interface TrackNaming {
  user: UserReference;
  create: boolean;
}

/**
 * The user of each naming of a /users/track batch, in order (undefined: nobody, and not to be made).
 * The strongest identity that names someone decides; every other identity of the naming becomes
 * one of that user. A new user takes the braze_id it is named by, or one derived from its
 * strongest identity.
 */
export function resolveTrackUsers(
  namings: readonly TrackNaming[], find: (key: IdentityKey) => string | undefined,
): NewUsers & { resolved: Array<string | undefined> } {
  const known = new Map<string, string | undefined>();
  const lookup = (k: IdentityKey) => {
    if (!known.has(k.key)) known.set(k.key, find(k));
    return known.get(k.key);
  };
  const out: NewUsers & { resolved: Array<string | undefined> } = { users: [], identities: [], resolved: [] };
  for (const { user: ref, create } of namings) {
    const keys = identityKeys(ref);
    let user: string | undefined;
    for (const k of keys) {
      user = lookup(k);
      if (user !== undefined) break;
    }
    if (user === undefined && create && keys.length > 0) {
      user = keys[0].kind === 'braze_id' ? keys[0].value : derivedBrazeId(keys[0]);
      out.users.push(user);
      if (keys[0].kind !== 'braze_id') {
        const own = identityKey('braze_id', user);
        known.set(own.key, user);
        out.identities.push({ kind: 'braze_id', value: user, user });
      }
    }
    if (user !== undefined) {
      for (const k of keys) {
        if (lookup(k) !== undefined) continue;
        known.set(k.key, user);
        out.identities.push({ kind: k.kind, value: k.value, user });
      }
    }
    out.resolved.push(user);
  }
  return out;
}

import type { StoredIdentity, StoredUser } from '../records.ts';
import { byCodePoint } from '../text-order.ts';
import { derivedBrazeId, identityKey, identityKeys, type IdentityKey, type IdentityKind, type UserReference } from './keys.ts';

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

  /** Position of the user in the order users were made (a user unknown here comes last). */
  rank(user: string): number {
    return this.created.get(user) ?? Number.MAX_SAFE_INTEGER;
  }

  /** Every user the identity names, oldest first. */
  users(key: IdentityKey): string[] {
    return [...(this.byKey.get(key.key) ?? [])].sort((a, b) => this.rank(a) - this.rank(b));
  }

  /** The user the identity means: the most recently created of those it names. */
  find(key: IdentityKey): string | undefined {
    return this.users(key).at(-1);
  }
}

/** How a Currents record names its user (`''`: not named that way). */
export interface CurrentsNaming {
  userId: string;
  externalUserId: string;
}

const namingKey = (n: CurrentsNaming) => `${n.userId}\u0000${n.externalUserId}`;

/** A naming with the users its two ids name before the batch (looked up by the engine). */
export interface CurrentsNamingFound<U> extends CurrentsNaming {
  byBrazeId?: U;
  byExternalId?: U;
}

/**
 * The user of each naming of a batch of Currents records. A user_id is a braze_id; a record naming a
 * user_id and an external_user_id links them: whichever is new becomes an identity of the user the
 * other names (the braze_id's user when both name someone). Namings that name nobody yet make users,
 * considered in a fixed order (those naming someone first, then those naming both ids, then by
 * user_id and external_user_id in code-point order), so that two records linking the same new ids
 * make one user however the batch is ordered. A user made from an external id alone gets a braze_id
 * derived from it.
 */
export function resolveCurrentsUsers<U>(
  namings: readonly CurrentsNamingFound<U>[], make: (brazeId: string) => U,
): { identities: Array<{ kind: IdentityKind; value: string; user: U }>; userOf: (naming: CurrentsNaming) => U } {
  const rows = new Map<string, CurrentsNamingFound<U> & { user?: U }>();
  for (const n of namings) if (!rows.has(namingKey(n))) rows.set(namingKey(n), { ...n, user: n.byBrazeId ?? n.byExternalId });
  const open = [...rows.values()]
    .filter((r) => (r.userId && r.byBrazeId === undefined) || (r.externalUserId && r.byExternalId === undefined))
    .sort((a, b) => Number(a.user === undefined) - Number(b.user === undefined)
      || Number(!a.userId || !a.externalUserId) - Number(!b.userId || !b.externalUserId)
      || byCodePoint(a.userId, b.userId) || byCodePoint(a.externalUserId, b.externalUserId));
  const identities: Array<{ kind: IdentityKind; value: string; user: U }> = [];
  const madeByBrazeId = new Map<string, U>();
  const madeByExternalId = new Map<string, U>();
  for (const row of open) {
    let user = row.user ?? (row.userId ? madeByBrazeId.get(row.userId) : undefined) ?? (row.externalUserId ? madeByExternalId.get(row.externalUserId) : undefined);
    if (user === undefined) {
      const brazeId = row.userId || derivedBrazeId(identityKey('external_id', row.externalUserId));
      user = make(brazeId);
      if (!row.userId) identities.push({ kind: 'braze_id', value: brazeId, user });
    }
    if (row.userId && row.byBrazeId === undefined && !madeByBrazeId.has(row.userId)) {
      madeByBrazeId.set(row.userId, user);
      identities.push({ kind: 'braze_id', value: row.userId, user });
    }
    if (row.externalUserId && row.byExternalId === undefined && !madeByExternalId.has(row.externalUserId)) {
      madeByExternalId.set(row.externalUserId, user);
      identities.push({ kind: 'external_id', value: row.externalUserId, user });
    }
    row.user ??= user;
  }
  return {
    identities,
    userOf: (n) => {
      const user = rows.get(namingKey(n))?.user;
      if (user === undefined) throw new Error(`naming ${namingKey(n)} was not resolved`);
      return user;
    },
  };
}

/** A /users/track object's user: created when nobody has its identities, unless it may only update. */
export interface TrackNaming {
  user: UserReference;
  create: boolean;
  /** Identities the object's attribute values give its user (an email, a phone): they name the user
   * for the objects after it in the batch. */
  gives?: readonly IdentityKey[];
}

/** How an engine keeps users while a batch is resolved: `U` is its handle of a user. */
export interface UserBook<U> {
  /** The user an identity means before the batch (the most recently made of those it names). */
  find(key: IdentityKey): U | undefined;
  /** Makes a user with this braze_id, now. */
  make(brazeId: string): U;
  /** Whether user `a` was made after user `b`. */
  newer(a: U, b: U): boolean;
}

/**
 * The user of each naming of a /users/track batch, in order (undefined: nobody, and not to be made),
 * and the identities the namings add (besides those `gives` names, which the attribute values record).
 * The strongest identity that names someone decides; every other identity of the naming becomes one
 * of that user. A new user takes the braze_id it is named by, or one derived from its strongest
 * identity.
 */
export function resolveTrackUsers<U>(namings: readonly TrackNaming[], book: UserBook<U>): { resolved: Array<U | undefined>; identities: Array<{ kind: IdentityKind; value: string; user: U }> } {
  const known = new Map<string, U | undefined>();
  const lookup = (k: IdentityKey) => {
    if (!known.has(k.key)) known.set(k.key, book.find(k));
    return known.get(k.key);
  };
  const out: { resolved: Array<U | undefined>; identities: Array<{ kind: IdentityKind; value: string; user: U }> } = { resolved: [], identities: [] };
  for (const { user: ref, create, gives } of namings) {
    const keys = identityKeys(ref);
    let user: U | undefined;
    for (const k of keys) {
      user = lookup(k);
      if (user !== undefined) break;
    }
    if (user === undefined && create && keys.length > 0) {
      const brazeId = keys[0].kind === 'braze_id' ? keys[0].value : derivedBrazeId(keys[0]);
      user = book.make(brazeId);
      if (keys[0].kind !== 'braze_id') {
        known.set(identityKey('braze_id', brazeId).key, user);
        out.identities.push({ kind: 'braze_id', value: brazeId, user });
      }
    }
    if (user !== undefined) {
      for (const k of keys) {
        if (lookup(k) !== undefined) continue;
        known.set(k.key, user);
        out.identities.push({ kind: k.kind, value: k.value, user });
      }
      for (const k of gives ?? []) {
        // An email or phone shared by several users means the most recently made of them.
        const before = lookup(k);
        if (before === undefined || book.newer(user, before)) known.set(k.key, user);
      }
    }
    out.resolved.push(user);
  }
  return out;
}

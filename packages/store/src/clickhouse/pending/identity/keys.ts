import { createHash } from 'node:crypto';
import type { StoredIdentity } from '../records.ts';

/**
 * How users are named (SPEC §4): by braze_id, external_id, a user alias, email or phone in
 * /users/track; by user_id (a braze_id) and external_user_id in Currents; by the device ids their
 * records name. Each naming is an identity of the user it resolves to.
 */

export type IdentityKind = StoredIdentity['kind'];

/** How an ingested object names its user (at least one field is set). */
export interface UserReference {
  braze_id?: string;
  external_id?: string;
  alias?: { alias_name: string; alias_label: string };
  email?: string;
  phone?: string;
}

export interface IdentityKey {
  kind: IdentityKind;
  value: string;
  /** `kind \0 value`: a map key. */
  key: string;
}

export const identityKey = (kind: IdentityKind, value: string): IdentityKey => ({ kind, value, key: `${kind}\u0000${value}` });

/** An alias is kept as one value: its name and label joined by U+001F (the unit separator). */
export const aliasValue = (alias: { alias_name: string; alias_label: string }) => `${alias.alias_name}\u001f${alias.alias_label}`;

export function aliasOfValue(value: string): { alias_name: string; alias_label: string } {
  const [name, label] = value.split('\u001f');
  return { alias_name: name ?? '', alias_label: label ?? '' };
}

/** The identities a reference names, strongest first: braze_id, external_id, alias, email, phone
 * (the first one found decides who is meant). Empty values name nothing. */
export function identityKeys(user: UserReference): IdentityKey[] {
  const out: IdentityKey[] = [];
  const add = (kind: IdentityKind, value: string | undefined) => {
    if (value !== undefined && value !== '') out.push(identityKey(kind, value));
  };
  add('braze_id', user.braze_id);
  add('external_id', user.external_id);
  if (user.alias) add('alias', aliasValue(user.alias));
  add('email', user.email);
  add('phone', user.phone);
  return out;
}

/**
 * The braze_id of a user made without one: 24 hexadecimal characters (Braze's length) of the SHA-256
 * of the identity it was made from. Derived, not drawn at random, so that every engine (and every
 * replay of the same records into a new store) gives the same user the same braze_id.
 */
export function derivedBrazeId(first: IdentityKey): string {
  return createHash('sha256').update(first.key, 'utf8').digest('hex').slice(0, 24);
}

/** Categories of the Currents records whose `device_id` names the user's device: each (device, user)
 * pair they name is an identity, so that /users/export/ids finds users by device id. */
export const DEVICE_ID_CATEGORIES = ['session_start', 'first_session', 'session_end', 'location', 'uninstall'] as const;

/** A user's random bucket (0–9999), which segments filter on and exports show: the first 8
 * hexadecimal digits of md5(braze_id), as an integer, modulo 10,000. */
export function randomBucket(brazeId: string): number {
  return parseInt(createHash('md5').update(brazeId, 'utf8').digest('hex').slice(0, 8), 16) % 10_000;
}

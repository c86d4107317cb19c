import { randomBytes } from 'node:crypto';
import type { UserRef } from '../types.ts';

export interface IdentityKey {
  kind: string;
  value: string;
  /** `kind \0 value`, the map key. */
  key: string;
}

/** The identities a reference names, strongest first (braze_id, external_id, alias, email, phone). */
export function identityKeys(user: UserRef): IdentityKey[] {
  const out: IdentityKey[] = [];
  const add = (kind: string, value: string | undefined) => {
    if (value !== undefined && value !== '') out.push({ kind, value, key: `${kind}\u0000${value}` });
  };
  add('braze_id', user.braze_id);
  add('external_id', user.external_id);
  if (user.alias) add('alias', `${user.alias.alias_name}\u001f${user.alias.alias_label}`);
  add('email', user.email);
  add('phone', user.phone);
  return out;
}

/** A new Braze-style id: 24 hexadecimal characters. */
export function newBrazeId(): string {
  return randomBytes(12).toString('hex');
}

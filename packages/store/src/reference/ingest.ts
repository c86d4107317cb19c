import {
  attributeIdentity, currencyRates, identitiesGiven, identityKey, currentsBatch, CurrentsBodyError, DEVICE_ID_CATEGORIES, foldAttributeUpdate, IdentityDirectory,
  isLater, parseCurrentsBody, resolveCurrentsUsers, resolveTrackUsers, trackedEvent, type AttributeEntry, type StoredIdentity,
} from '@brazen/analytics';
import { StoreError } from '../errors.ts';
import type { CurrentsBody } from '../ports.ts';
import type { CurrentsResult, TrackBatch, TrackResult } from '../types.ts';
import type { ReferenceState } from './state.ts';

/** Ingestion into the reference engine's arrays, straight from the rules of `@brazen/analytics`. */

async function bytesOf(body: CurrentsBody['bytes']): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A new user, made now (its braze_id also known to `dir` from then on). */
const maker = (state: ReferenceState, dir: IdentityDirectory, now: number) => (brazeId: string) => {
  state.users.push({ brazeId, createdAt: now });
  dir.addUser(brazeId);
  return brazeId;
};

function addIdentities(state: ReferenceState, identities: readonly StoredIdentity[]): void {
  const known = new IdentityDirectory([], state.identities);
  for (const identity of identities) {
    if (known.has(identity)) continue;
    known.add(identity);
    state.identities.push(identity);
  }
}

const directory = (state: ReferenceState) => new IdentityDirectory(state.users, state.identities);

export async function ingestCurrents(state: ReferenceState, body: CurrentsBody, now: number): Promise<CurrentsResult> {
  const bytes = await bytesOf(body.bytes);
  // From here on nothing awaits: a request is stored whole before another is looked at.
  let values: unknown[];
  try {
    values = parseCurrentsBody(bytes, body.format);
  } catch (error) {
    if (error instanceof CurrentsBodyError) throw new StoreError('invalid_input', error.message);
    throw error;
  }
  const batch = currentsBatch(values, currencyRates(state.workspace?.currency_rates));
  const stored = new Set(state.events.map((e) => e.id));
  const fresh = batch.records.filter((r) => !stored.has(r.record.event.id)).map((r) => r.record);
  const dir = directory(state);
  const resolved = resolveCurrentsUsers(fresh.map((r) => ({
    userId: r.userId, externalUserId: r.externalUserId,
    byBrazeId: r.userId ? dir.find(identityKey('braze_id', r.userId)) : undefined,
    byExternalId: r.externalUserId ? dir.find(identityKey('external_id', r.externalUserId)) : undefined,
  })), maker(state, dir, now));
  addIdentities(state, resolved.identities);
  const events = fresh.map((r) => ({ ...r.event, user: resolved.userOf(r) }));
  state.events.push(...events);
  const devices = new Set<string>(DEVICE_ID_CATEGORIES);
  addIdentities(state, events.filter((e) => e.deviceId !== null && devices.has(e.category)).map((e) => ({ kind: 'device_id', value: e.deviceId!, user: e.user })));
  return {
    stored: events.length,
    duplicates: values.length - batch.errors.length - events.length,
    errors: batch.errors.map((e) => ({ type: 'currents', index: e.index, message: e.message })),
  };
}

export function track(state: ReferenceState, batch: TrackBatch, now: number): TrackResult {
  const dir = directory(state);
  const namings = [
    ...batch.attributes.map((a) => ({ user: a.user, create: !a.updateExistingOnly, gives: identitiesGiven(a.values) })),
    ...[...batch.events, ...batch.purchases].map((e) => ({ user: e.user, create: true })),
  ];
  const resolved = resolveTrackUsers(namings, { find: (key) => dir.find(key), make: maker(state, dir, now), newer: (a, b) => dir.rank(a) > dir.rank(b) });
  addIdentities(state, resolved.identities);
  const rates = currencyRates(state.workspace?.currency_rates);
  [...batch.events, ...batch.purchases].forEach((e, i) => {
    const user = resolved.resolved[batch.attributes.length + i]!;
    state.events.push({ ...trackedEvent(e, rates), user });
  });
  let seq = state.attributes.reduce((max, a) => Math.max(max, a.seq), 0);
  batch.attributes.forEach((a, i) => {
    const user = resolved.resolved[i];
    if (user === undefined) return;
    const current = (name: string) => {
      let latest: AttributeEntry | undefined;
      for (const e of state.attributes) if (e.user === user && e.name === name && (!latest || isLater(e, latest))) latest = e;
      return latest?.value;
    };
    for (const [name, value] of foldAttributeUpdate(a, current)) {
      state.attributes.push({ user, name, value, time: a.time, seq: ++seq });
      const identity = attributeIdentity(user, name, value);
      if (identity) addIdentities(state, [identity]);
    }
  });
  return { attributesProcessed: batch.attributes.length, eventsProcessed: batch.events.length, purchasesProcessed: batch.purchases.length, errors: [] };
}

import type { AttributeEntry, StoredIdentity } from '../records.ts';
import { byCodePoint } from '../text-order.ts';
import { IDENTITY_ATTRIBUTES, isCustomAttribute } from './standard.ts';

/**
 * A user's attributes are the history of values set on them (`AttributeEntry`); the current value of
 * one is the latest by time, then by order of arrival, and a JSON null is no value.
 */

/** What one /users/track attributes object sets. */
export interface AttributeUpdate {
  /** Values as given (standard and custom). */
  values: Readonly<Record<string, unknown>>;
  /** `{"inc": n}`: added to the current value (a value that is not a number counts as 0). */
  increments?: Readonly<Record<string, number>>;
  /** `{"add": [...], "remove": [...]}`: applied to the current array (anything else counts as []);
   * items are added at the end, then every item equal (as JSON) to one removed is taken out. */
  arrayEdits?: Readonly<Record<string, { add?: readonly unknown[]; remove?: readonly unknown[] }>>;
}

/**
 * The values an update writes, in order: its values, then its increments and array edits applied to
 * `current(name)` (the value current before the update).
 */
export function foldAttributeUpdate(update: AttributeUpdate, current: (name: string) => unknown): Array<[string, unknown]> {
  const values: Record<string, unknown> = { ...update.values };
  for (const [name, by] of Object.entries(update.increments ?? {})) {
    const before = current(name);
    values[name] = (typeof before === 'number' ? before : 0) + by;
  }
  for (const [name, edit] of Object.entries(update.arrayEdits ?? {})) {
    const before = current(name);
    const list = [...(Array.isArray(before) ? before : []), ...(edit.add ?? [])];
    const removed = new Set((edit.remove ?? []).map((v) => JSON.stringify(v)));
    values[name] = list.filter((v) => !removed.has(JSON.stringify(v)));
  }
  return Object.entries(values).map(([name, value]) => [name, value ?? null]);
}

/** Whether entry `a` was set after `b`. */
export const isLater = (a: Pick<AttributeEntry, 'time' | 'seq'>, b: Pick<AttributeEntry, 'time' | 'seq'>) => a.time > b.time || (a.time === b.time && a.seq > b.seq);

/** The latest entry of each attribute among `entries` (of one user), null values included. */
export function latestEntries(entries: Iterable<AttributeEntry>): Map<string, AttributeEntry> {
  const latest = new Map<string, AttributeEntry>();
  for (const e of entries) {
    const before = latest.get(e.name);
    if (!before || isLater(e, before)) latest.set(e.name, e);
  }
  return latest;
}

/** Current values of a user's attributes as of `at` (epoch seconds; entries at `at` count when
 * `inclusive`, every entry when `at` is absent). Attributes whose latest value is null are left out. */
export function currentAttributes(entries: Iterable<AttributeEntry>, at?: number, inclusive = true): Map<string, unknown> {
  const before = at === undefined ? [...entries] : [...entries].filter((e) => e.time < at || (inclusive && e.time === at));
  const out = new Map<string, unknown>();
  for (const [name, e] of latestEntries(before)) if (e.value !== null && e.value !== undefined) out.set(name, e.value);
  return out;
}

/** Identities an attribute value gives its user: an email or phone (a non-empty string). */
export function attributeIdentity(user: string, name: string, value: unknown): StoredIdentity | undefined {
  if (!(IDENTITY_ATTRIBUTES as readonly string[]).includes(name) || typeof value !== 'string' || value === '') return undefined;
  return { kind: name as (typeof IDENTITY_ATTRIBUTES)[number], value, user };
}

/** A custom attribute and the first value (not null) it was given anywhere: what Braze types it by. */
export interface AttributeSample {
  name: string;
  firstValue: unknown;
}

/** Every custom attribute ever given a value other than null, with its first such value (the
 * earliest by time, then by arrival), in code-point order of the name. */
export function customAttributeSamples(entries: Iterable<AttributeEntry>): AttributeSample[] {
  const first = new Map<string, AttributeEntry>();
  for (const e of entries) {
    if (e.value === null || e.value === undefined || !isCustomAttribute(e.name)) continue;
    const before = first.get(e.name);
    if (!before || isLater(before, e)) first.set(e.name, e);
  }
  return [...first.values()].sort((a, b) => byCodePoint(a.name, b.name)).map((e) => ({ name: e.name, firstValue: e.value }));
}

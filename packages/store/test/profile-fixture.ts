import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { USER_EXPORT_FIELDS } from '@brazen/contract';
import type { DuckDbStore } from '@brazen/store';

/**
 * One Currents record a user (user-01, user-02, ...: uids 1, 2, ... and braze_id order on a new
 * store), named `event`, at `time`, written to a file of `dir()` and stored in `store()` (both read at
 * each call: the tests open a new store and folder per test).
 */
/** The braze_id `oneEventEach` gives user `u`. */
export const userName = (u: number): string => `user-${String(u).padStart(2, '0')}`;

/** from, from + 1, ..., to. */
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Every field of `users`, computed from their events (not read from any kept line), a line each:
 * what kept line files and exports must hold. */
export function computedProfiles(store: () => DuckDbStore): (users: number[]) => Promise<string[]> {
  return async (users) => (await store().userProfiles(users.map(userName), { fields: USER_EXPORT_FIELDS, fromEvents: true })).map((l) => `${l}\n`);
}

export function oneEventEach(store: () => DuckDbStore, dir: () => string): (users: number[], event: string, time: number) => Promise<void> {
  let batch = 0;
  return async (users, event, time) => {
    const file = join(dir(), `b${batch++}.json`);
    writeFileSync(file, users.map((u) => JSON.stringify({ id: `${event}-${u}-${time}`, event_type: 'users.behaviors.CustomEvent', user_id: userName(u), time, name: event, app_id: 'app-1' })).join('\n'));
    await store().ingestCurrents({ bytes: readFileSync(file), format: 'ndjson' });
  };
}

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDbStore } from '@brazen/store';

/**
 * One Currents record a user (user-01, user-02, ...: uids 1, 2, ... and braze_id order on a new
 * store), named `event`, at `time`, written to a file of `dir()` and stored in `store()` (both read at
 * each call: the tests open a new store and folder per test).
 */
export function oneEventEach(store: () => DuckDbStore, dir: () => string): (users: number[], event: string, time: number) => Promise<void> {
  let batch = 0;
  return async (users, event, time) => {
    const file = join(dir(), `b${batch++}.json`);
    writeFileSync(file, users.map((u) => JSON.stringify({ id: `${event}-${u}-${time}`, event_type: 'users.behaviors.CustomEvent', user_id: `user-${String(u).padStart(2, '0')}`, time, name: event, app_id: 'app-1' })).join('\n'));
    await store().ingestCurrents({ bytes: readFileSync(file), format: 'ndjson' });
  };
}

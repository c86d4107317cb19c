import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbStore, type TrackBatch } from '@brazen/store';
import { AttributeValues } from '../src/duckdb/attribute-values.ts';

// /users/track increments and array edits read the latest stored value; the values this process
// wrote are kept in memory (attribute-values.ts), the others read from the table. Each figure below
// is the fold worked by hand.

const T0 = Date.UTC(2024, 0, 1) / 1000;

interface Internals {
  ingest: {
    values: AttributeValues;
    storeTrack(group: Array<{ seq: number; at: number; batch: TrackBatch }>, within: () => Promise<void>): Promise<void>;
  };
  db: ConstructorParameters<typeof AttributeValues>[0] & { serialized<T>(work: () => Promise<T>): Promise<T> };
}

type Update = { values?: Record<string, unknown>; increments?: Record<string, number>; arrayEdits?: Record<string, { add?: unknown[]; remove?: unknown[] }> };
const update = (user: string, at: number, u: Update): TrackBatch => ({
  attributes: [{ user: { external_id: user }, time: T0 + at, values: u.values ?? {}, increments: u.increments, arrayEdits: u.arrayEdits }],
  events: [],
  purchases: [],
});

/** Sends a batch and waits for it to be applied, so that each is a group of its own. */
async function apply(store: DuckDbStore, batch: TrackBatch): Promise<void> {
  await store.track(batch);
  await store.recordCount();
}

async function custom(store: DuckDbStore, user: string): Promise<Record<string, unknown>> {
  const ids = (await store.findUsers('external_id', [user])).get(user) ?? [];
  const [line] = await store.userProfiles(ids, { fields: ['custom_attributes'] });
  return (JSON.parse(line) as { custom_attributes: Record<string, unknown> }).custom_attributes;
}

describe('duckdb store: the values increments and array edits read', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds to the latest value by time, across groups, after a rolled-back group and after a reopen', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-attr-values-'));
    let store = await DuckDbStore.open({ dataDir: dir });
    // 'old' has values before the process below knows anything.
    await apply(store, update('old', 1, { values: { visits: 40 }, arrayEdits: { tags: { add: ['x'] } } }));
    await store.close();

    store = await DuckDbStore.open({ dataDir: dir });
    await apply(store, update('ann', 10, { values: { visits: 5 } }));
    await apply(store, update('ann', 11, { increments: { visits: 2 } })); // 7
    // Earlier in time than the value above: stored, not current.
    await apply(store, update('ann', 5, { values: { visits: 100 } }));
    await apply(store, update('ann', 12, { increments: { visits: 1 } })); // 8
    await apply(store, update('ann', 13, { arrayEdits: { tags: { add: ['a'] } } }));
    await apply(store, update('ann', 14, { arrayEdits: { tags: { add: ['b'], remove: ['a'] } } }));
    await apply(store, update('old', 15, { increments: { visits: 2 }, arrayEdits: { tags: { add: ['y'] } } })); // 42, [x, y]
    // A group that fails before its commit: its increment is in neither the table nor the memory.
    const s = store as unknown as Internals;
    const failed = s.db.serialized(() => s.ingest.storeTrack([{ seq: 1_000, at: T0, batch: update('ann', 16, { increments: { visits: 1_000 } }) }], async () => {
      throw new Error('the disk is full');
    }));
    await expect(failed).rejects.toThrow('the disk is full');
    await apply(store, update('ann', 17, { increments: { visits: 1 } })); // 9
    expect(await custom(store, 'ann')).toEqual({ visits: 9, tags: ['b'] });
    expect(await custom(store, 'old')).toEqual({ visits: 42, tags: ['x', 'y'] });
    await store.close();

    store = await DuckDbStore.open({ dataDir: dir });
    await apply(store, update('ann', 18, { increments: { visits: 10 }, arrayEdits: { tags: { add: ['c'] } } }));
    await apply(store, update('old', 19, { increments: { visits: -2 } }));
    expect(await custom(store, 'ann')).toEqual({ visits: 19, tags: ['b', 'c'] });
    expect(await custom(store, 'old')).toEqual({ visits: 40, tags: ['x', 'y'] });
    await store.close();
  });

  it('reads the values it no longer keeps from the table', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-attr-values-cap-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    const s = store as unknown as Internals;
    // Keeps two values at most: those of the users written first are dropped as others come.
    s.ingest.values = new AttributeValues(s.db, 2);
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    for (const [i, user] of users.entries()) await apply(store, update(user, i, { values: { visits: 10 * (i + 1) } }));
    for (const [i, user] of users.entries()) await apply(store, update(user, 10 + i, { increments: { visits: 1 } }));
    // Two rounds in one group: the second reads what the first wrote.
    await apply(store, { ...update('u1', 20, { increments: { visits: 1 } }), attributes: users.flatMap((user, i) => [
      update(user, 20 + i, { increments: { visits: 1 } }).attributes[0],
      update(user, 30 + i, { increments: { visits: 100 } }).attributes[0],
    ]) });
    expect(await Promise.all(users.map(async (u) => (await custom(store, u)).visits))).toEqual([112, 122, 132, 142, 152]);
    await store.close();
  });

  it('reads from the table the values of names it has no number for', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-attr-values-names-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    const s = store as unknown as Internals;
    // Numbers one name: 'visits'. 'score', written after it, is not kept; its user is read again.
    s.ingest.values = new AttributeValues(s.db, 100, 1);
    await apply(store, update('ann', 1, { values: { visits: 1 } }));
    await apply(store, update('ann', 2, { values: { score: 10 } }));
    await apply(store, update('bob', 3, { values: { visits: 5 } }));
    await apply(store, update('ann', 4, { increments: { score: 5, visits: 1 } }));
    await apply(store, update('bob', 5, { increments: { visits: 2 } }));
    expect(await custom(store, 'ann')).toEqual({ visits: 2, score: 15 });
    expect(await custom(store, 'bob')).toEqual({ visits: 7 });
    await store.close();
  });
});

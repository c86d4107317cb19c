import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DuckDbStore } from '@brazen/store';
import { parseSegmentFilter } from '@brazen/analytics';
import { literal } from '../src/duckdb/sql.ts';
import { at, dayLabels, ingest, session, workspaceDoc } from './contract/support.ts';

/** Values that SQL text mangles when written carelessly. */
const AWKWARD = ["O'Brien", "it''s", 'C:\\dir\\x', 'back\\', 'nul\u0000in', '\u0000', "'; DROP TABLE users; --", '\u{1F600}\uFF01', ''];

describe('DuckDB: values written into SQL text', () => {
  let conn: DuckDBConnection;
  beforeAll(async () => {
    conn = await (await DuckDBInstance.create(':memory:')).connect();
  });
  afterAll(() => conn.closeSync());

  it('reads back exactly the value a literal spells, NUL, backslashes and quotes included', async () => {
    for (const value of AWKWARD) {
      const reader = await conn.runAndReadAll(`SELECT ${literal(value)} AS v, ${literal(value)} = $v AS same`, { v: value });
      expect(reader.getRowObjectsJS()[0]).toEqual({ v: value, same: true });
    }
  });
});

describe('DuckDB: segment filters with awkward values', () => {
  let store: DuckDbStore;
  beforeAll(async () => {
    store = await DuckDbStore.open({ dataDir: ':memory:' });
    // User n (external id `x<n>`) has the attribute `note` = AWKWARD[n] and performed the custom
    // event named AWKWARD[n] (but the empty one, which is not a name) once.
    const time = at('2024-03-01T00:00:00Z');
    await store.track({
      attributes: AWKWARD.map((note, n) => ({ user: { external_id: `x${n}` }, time, values: { note } })),
      events: AWKWARD.flatMap((name, n) => (name === '' ? [] : [{
        id: `ev${n}`, eventType: 'users.behaviors.CustomEvent', time: time + 1, user: { external_id: `x${n}` }, name, payload: {},
      }])),
      purchases: [],
    });
  });
  afterAll(() => store.close());

  const size = async (filter: unknown) => (await store.segmentSizes(parseSegmentFilter(filter), [{ at: at('2024-03-02T00:00:00Z'), inclusive: true }]))[0];

  it('finds each user by its own value, and no other', async () => {
    for (const value of AWKWARD) {
      expect(await size({ attribute: 'note', op: 'eq', value }), `note = ${JSON.stringify(value)}`).toBe(1);
      if (value !== '') expect(await size({ custom_event: value, op: 'eq', count: 1 }), `event ${JSON.stringify(value)}`).toBe(1);
      expect(await size({ attribute: 'note', op: 'in', value: [value, `${value}?`] })).toBe(1);
    }
  });

  it('finds text containing a backslash, a quote or a NUL', async () => {
    // "C:\dir\x" and "back\" contain a backslash; "O'Brien", "it''s" and the DROP TABLE one a quote; two a NUL.
    expect(await size({ attribute: 'note', op: 'contains', value: '\\' })).toBe(2);
    expect(await size({ attribute: 'note', op: 'contains', value: "'" })).toBe(3);
    expect(await size({ attribute: 'note', op: 'contains', value: '\u0000' })).toBe(2);
    // Users whose note is not "O'Brien": the eight others.
    expect(await size({ attribute: 'note', op: 'ne', value: "O'Brien" })).toBe(8);
  });
});

describe('DuckDB: MAU of sessions that arrive late', () => {
  it('counts a user once in the 30 days after a batch adds days at and after their last one', async () => {
    const store = await DuckDbStore.open({ dataDir: ':memory:' });
    await store.putWorkspace(workspaceDoc());
    // u1: a session on 03-01 and 03-10; then a batch with 03-10 again and 03-15. Every day from
    // 03-01 to 04-13 has u1 alone in its 30 days: MAU 1 (before the fix the second batch counted
    // 03-15's 30 days on top of 03-10's: 2 from 03-15 to 04-08).
    await ingest(store, [session('a', 'u1', at('2024-03-01T12:00:00Z')), session('b', 'u1', at('2024-03-10T12:00:00Z'))]);
    await ingest(store, [session('c', 'u1', at('2024-03-10T13:00:00Z')), session('d', 'u1', at('2024-03-15T12:00:00Z'))]);
    const days = dayLabels('2024-03-01', 45);
    const mau = await store.activitySeries({ metric: 'mau', days });
    // 45 days: 03-01 to 04-14. 03-15's window reaches 04-13 (03-15 + 29 days); 04-14 has nobody.
    expect(mau).toEqual([...new Array<number>(44).fill(1), 0]);
    await store.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { resolveCurrentsUsers } from '@brazen/analytics';
import { DuckDbStore } from '@brazen/store';
import { dayUnits } from './contract/support.ts';

// The rollups of a Currents group are made after its acknowledgement (pending-rollups.ts); what is
// acknowledged and not rolled up when the process stops is rolled up, once, at the next open.

const T0 = Date.UTC(2024, 0, 1) / 1000;
const writer = (store: DuckDbStore) => (store as unknown as { db: { writer: DuckDBConnection } }).db.writer;
const body = (records: object[]) => ({ bytes: Buffer.from(records.map((r) => JSON.stringify(r)).join('\n')), format: 'ndjson' as const });

/** Day 0: 3 sessions of u1..u3 and 2 sends of campaign c1; day 1: u1's session and a custom event. */
const FIRST = [
  ...[1, 2, 3].map((u) => ({ id: `s${u}`, event_type: 'users.behaviors.app.SessionStart', user_id: `u${u}`, time: T0 + u * 60 })),
  ...[1, 2].map((u) => ({ id: `m${u}`, event_type: 'users.messages.email.Send', user_id: `u${u}`, time: T0 + 600 + u, campaign_id: 'c1' })),
  { id: 's4', event_type: 'users.behaviors.app.SessionStart', user_id: 'u1', time: T0 + 86_400 + 5 },
  { id: 'e1', event_type: 'users.behaviors.CustomEvent', user_id: 'u2', time: T0 + 86_400 + 9, name: 'Played' },
];
/** Day 1: one more session (u4), one more send. */
const SECOND = [
  { id: 's5', event_type: 'users.behaviors.app.SessionStart', user_id: 'u4', time: T0 + 86_400 + 100 },
  { id: 'm3', event_type: 'users.messages.email.Send', user_id: 'u3', time: T0 + 86_400 + 200, campaign_id: 'c1' },
];

async function figures(store: DuckDbStore) {
  const days = dayUnits(2, T0 + 86_400);
  const sessions = (await store.counterSeries({ kind: 'session', units: days })).map((t) => t.count);
  const events = (await store.counterSeries({ kind: 'custom_event', units: days })).map((t) => t.count);
  const dau = await store.activitySeries({ metric: 'dau', days: ['2024-01-01', '2024-01-02'] });
  const sends = [0, 0];
  for (const r of (await store.messageStats([{ src: 'campaign', obj: 'c1', scope: '', fromDay: 19723, toDay: 19724 }]))[0]) {
    if (r.action === 'send' && r.part === '' && r.variation === '') sends[r.day - 19723] += r.n;
  }
  return { sessions, events, dau, sends };
}

describe('rollups after the acknowledgement', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts acknowledged records in the series asked next, and leaves nothing pending', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-pending-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    // Sent together: one group, or two, as the writer takes them.
    await Promise.all([store.ingestCurrents(body(FIRST)), store.ingestCurrents(body(SECOND))]);
    expect(await figures(store)).toEqual({
      sessions: [3, 2], events: [0, 1], dau: [3, 2], sends: [2, 1],
    });
    expect((await writer(store).runAndReadAll(`SELECT count(*)::INTEGER FROM pending_rollups`)).getRows()).toEqual([[0]]);
    await store.close();
  });

  it('rolls up at the next open, once, what was acknowledged and not rolled up when the process stopped', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-pending-'));
    let store = await DuckDbStore.open({ dataDir: dir });
    expect((await store.ingestCurrents(body(FIRST))).stored).toBe(7);
    expect((await store.counterSeries({ kind: 'session', units: dayUnits(2, T0 + 86_400) })).map((t) => t.count)).toEqual([3, 1]);
    // The next group's rollups cannot be made (a table they read is gone): it is stored and
    // acknowledged all the same, and stays pending when the store closes.
    await writer(store).run(`DROP TABLE msg_types`);
    expect((await store.ingestCurrents(body(SECOND))).stored).toBe(2);
    await expect(store.counterSeries({ kind: 'session', units: dayUnits(2, T0 + 86_400) })).rejects.toThrow(/msg_types/);
    await store.close();

    const raw = await DuckDBInstance.create(join(dir, 'brazen.duckdb'));
    const conn = await raw.connect();
    // The second group's two records, rowids 7 and 8 (the first group's seven came before).
    expect((await conn.runAndReadAll(`SELECT lo::INTEGER, hi::INTEGER FROM pending_rollups`)).getRows()).toEqual([[7, 9]]);
    expect((await conn.runAndReadAll(`SELECT sum(n)::INTEGER FROM counters WHERE kind = 'session' AND name <> chr(1) AND app_id <> chr(1)`)).getRows()).toEqual([[4]]);
    conn.closeSync();
    raw.closeSync();

    const expected = { sessions: [3, 2], events: [0, 1], dau: [3, 2], sends: [2, 1] };
    store = await DuckDbStore.open({ dataDir: dir });
    expect(await figures(store)).toEqual(expected);
    expect((await writer(store).runAndReadAll(`SELECT count(*)::INTEGER FROM pending_rollups`)).getRows()).toEqual([[0]]);
    await store.close();
    // And not again.
    store = await DuckDbStore.open({ dataDir: dir });
    expect(await figures(store)).toEqual(expected);
    // The same records sent again are duplicates, counted nowhere.
    expect((await store.ingestCurrents(body(SECOND))).duplicates).toBe(2);
    expect(await figures(store)).toEqual(expected);
    await store.close();
  });
});

describe('users of a Currents batch made in SQL', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('numbers new users in the order of the rule (resolveCurrentsUsers), ids beyond ASCII included', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-users-'));
    const store = await DuckDbStore.open({ dataDir: dir });
    // Every naming new, each id its own: the batch the SQL path takes.
    const namings: Array<[string, string]> = [['zed', 'x1'], ['é', ''], ['😀', 'x2'], ['Zed', ''], ['a', 'x3'], ['e', 'x4'], ['ﬀ', 'x5']];
    const records = namings.map(([b, e], i) => ({
      id: `r${i}`, event_type: 'users.behaviors.CustomEvent', name: 'N', user_id: b, ...(e ? { external_user_id: e } : {}), time: T0 + i,
    }));
    expect((await store.ingestCurrents(body(records))).stored).toBe(namings.length);
    const made: string[] = [];
    const rule = resolveCurrentsUsers<string>(namings.map(([b, e]) => ({ userId: b, externalUserId: e })), (brazeId) => {
      made.push(brazeId);
      return brazeId;
    });
    const conn = writer(store);
    expect((await conn.runAndReadAll(`SELECT braze_id FROM users ORDER BY uid`)).getRows().map(([b]) => b)).toEqual(made);
    const sorted = (rows: unknown[][]) => rows.map((r) => r.join('\u0000')).sort();
    const identities = (await conn.runAndReadAll(`SELECT i.kind, i.value, u.braze_id FROM identities i JOIN users u USING (uid)`)).getRows();
    expect(sorted(identities)).toEqual(sorted(rule.identities.map((i) => [i.kind, i.value, i.user])));
    // A second batch naming them again (and one new user) makes one more.
    await store.ingestCurrents(body([{ id: 'r9', event_type: 'users.behaviors.CustomEvent', name: 'N', user_id: 'a', external_user_id: 'x3', time: T0 }, { id: 'r10', event_type: 'users.behaviors.CustomEvent', name: 'N', user_id: 'new', time: T0 }]));
    expect((await conn.runAndReadAll(`SELECT count(*)::INTEGER, max(uid)::INTEGER FROM users`)).getRows()).toEqual([[8, 8]]);
    await store.close();
  });
});

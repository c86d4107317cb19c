/**
 * What only the ClickHouse engine has to show (the store contract covers every figure): users placed
 * on one shard by a hash ClickHouse computes alike; replays, merges, a batch cut half-way and two
 * processes sending the same records at once never count a record twice; a database placed on
 * another number of shards is refused. Expected figures are computed here by plain loops over the
 * distinct records (layout-fixture.ts), never by the engine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClickHouseStore, MemoryLeases, type AnalyticsData, type SeriesUnits, type Store } from '@brazen/store';
import { seriesUnits } from '@brazen/analytics';
import { connectClickHouse } from '../../src/clickhouse/client.ts';
import { shardOf } from '../../src/clickhouse/shards.ts';
import { raw, sql } from '../../src/clickhouse/sql.ts';
import type { EventRow } from '../../src/clickhouse/layout.ts';
import { onEveryTarget, type EngineTarget } from './engine-targets.ts';
import { expectedFigures, makeRecords, shuffled } from './layout-fixture.ts';

const ZONE = 'Asia/Kolkata';
const START = Date.parse('2024-03-01T00:00:00Z') / 1000;
const records = makeRecords({ ws: 'default', zone: ZONE, users: 120, events: 3_000, start: START, days: 50, seed: 11 });
const workspace = { time_zone: ZONE, apps: [], campaigns: [], canvases: [], segments: [], cards: [] };

/** A fixture row as the Currents record it stands for. */
function currents(r: EventRow): Record<string, unknown> {
  const base = { id: r.event_id, user_id: r.user_key, time: r.time, app_id: r.app_id };
  if (r.kind === 'session_start') return { ...base, event_type: 'users.behaviors.app.SessionStart' };
  if (r.kind === 'custom_event') return { ...base, event_type: 'users.behaviors.CustomEvent', name: r.name };
  return { ...base, event_type: 'users.behaviors.Purchase', product_id: r.name, price: r.price_usd, quantity: r.quantity };
}

const body = (rows: EventRow[]) => ({ bytes: new TextEncoder().encode(rows.map((r) => JSON.stringify(currents(r))).join('\n')), format: 'ndjson' as const });

/** Batches of the records shuffled, a third of them sent a second time in a later batch. */
function batchesWithReplays(seed: number): EventRow[][] {
  const order = shuffled(records, seed);
  const again = order.filter((_, i) => i % 3 === 0);
  const all = [...order, ...shuffled(again, seed + 1)];
  return Array.from({ length: Math.ceil(all.length / 400) }, (_, i) => all.slice(i * 400, i * 400 + 400));
}

const want = expectedFigures(records);
const dayBuckets = (m: Map<number, number>) => [...m].filter(([, v]) => v !== 0).sort((a, b) => a[0] - b[0]);

/** The engine's figures over the fixture's whole period, as the same maps (bucket -> value). */
async function figures(data: AnalyticsData) {
  const days: string[] = [];
  for (let d = Date.parse(`${want.firstDay}T00:00:00Z`); d <= Date.parse(`${want.lastDay}T00:00:00Z`); d += 86_400_000) days.push(new Date(d).toISOString().slice(0, 10));
  const dayNumber = (label: string) => Date.parse(`${label}T00:00:00Z`) / 1000;
  const byDay = (values: number[]) => new Map(days.map((d, i) => [dayNumber(d), values[i]]));
  const localDays: SeriesUnits = { unit: 'day', zone: ZONE, list: seriesUnits('day', days.length, dayNumber(want.lastDay) + 43_200 - 19_800, ZONE) };
  const sessions = await data.counterSeries({ kind: 'session', units: localDays });
  const played = await data.counterSeries({ kind: 'custom_event', name: 'Played', units: localDays });
  return {
    dau: byDay(await data.activitySeries({ metric: 'dau', days })),
    mau: byDay(await data.activitySeries({ metric: 'mau', days })),
    newUsers: byDay(await data.activitySeries({ metric: 'new_users', days })),
    sessionsByDay: byDay(sessions.map((t) => t.count)),
    playedByDay: byDay(played.map((t) => t.count)),
  };
}

async function expectExact(data: AnalyticsData): Promise<void> {
  const got = await figures(data);
  for (const key of ['dau', 'mau', 'newUsers', 'sessionsByDay', 'playedByDay'] as const) {
    expect(dayBuckets(got[key]), key).toEqual(dayBuckets(want[key]));
  }
  expect(await data.recordCount()).toBe(records.length);
}

/** Runs `statement` on every node of the store's URL. */
async function onEveryNode(url: string, statement: string): Promise<void> {
  const db = await connectClickHouse(url, { createDatabase: false });
  try {
    await db.onEveryNode(raw(statement));
  } finally {
    await db.close();
  }
}

onEveryTarget('the ClickHouse engine', (target: EngineTarget, newStore, urlOf) => {
  const fresh = () => mkdtempSync(join(tmpdir(), 'brazen-engine-'));
  const open = async (dir: string, leases?: MemoryLeases): Promise<Store> => {
    const store = await newStore(dir, { leases });
    return store;
  };

  it('counts each record once however often it is sent, before any merge and after merges', async () => {
    const dir = fresh();
    const store = await open(dir);
    try {
      await store.workspace().catalog.putWorkspace(workspace);
      const data = store.workspace().data;
      if (target !== 'chdb') await onEveryNode(urlOf(dir), 'SYSTEM STOP MERGES');
      for (const batch of batchesWithReplays(5)) await data.ingestCurrents(body(batch));
      await expectExact(data);
      if (target !== 'chdb') await onEveryNode(urlOf(dir), 'SYSTEM START MERGES');
      const db = await connectClickHouse(urlOf(dir), { createDatabase: false });
      for (const table of ['events_local', 'counters_local', 'activity_local', 'daily_local', 'event_ids_local', 'identities_local']) {
        await db.onEveryNode(sql`OPTIMIZE TABLE ${db.table(table)} FINAL`);
      }
      await db.close();
      await expectExact(data);
      // And every record once more, after the merges.
      for (const batch of batchesWithReplays(9)) expect((await data.ingestCurrents(body(batch))).stored).toBe(0);
      await expectExact(data);
    } finally {
      await store.close();
    }
  }, 240_000);

  it('stores a batch cut half-way (one shard failed) exactly once when it is sent again', async () => {
    const dir = fresh();
    const store = await open(dir);
    try {
      await store.workspace().catalog.putWorkspace(workspace);
      const data = store.workspace().data;
      // The last node refuses its first insert of events: the batch fails after the other tables
      // of that shard (and everything of the others) were written.
      const db = (store as unknown as { ctx: { db: { nodes: Array<{ client: { insert: (p: { table: string }) => Promise<unknown> } }> } } }).ctx.db;
      const node = db.nodes[db.nodes.length - 1].client;
      const insert = node.insert.bind(node);
      let refused = 0;
      node.insert = async (p) => {
        if (p.table.endsWith('`events_local`') && refused++ === 0) throw new Error('connect ECONNREFUSED (the test cuts the batch here)');
        return insert(p);
      };
      // The other shards' first inserts of events land late: the failed batch must not answer (nor
      // its retry look for stored ids) before they have (this counted a shard's sessions twice).
      for (const other of db.nodes.slice(0, -1).map((n) => n.client)) {
        const slow = other.insert.bind(other);
        let delayed = 0;
        other.insert = async (p) => {
          if (p.table.endsWith('`events_local`') && delayed++ === 0) await new Promise((resolve) => setTimeout(resolve, 500));
          return slow(p);
        };
      }
      const all = shuffled(records, 3);
      await expect(data.ingestCurrents(body(all))).rejects.toThrow();
      expect(refused).toBe(1);
      const again = await data.ingestCurrents(body(all));
      // What the other shards kept is found stored; the rest is stored now.
      expect(again.stored + again.duplicates).toBe(records.length);
      expect(again.stored).toBeGreaterThan(0);
      await expectExact(data);
    } finally {
      await store.close();
    }
  }, 240_000);

  it('names users as one process would when two processes write in turn (identities one keeps are dropped once the other wrote)', async () => {
    const dir = fresh();
    const leases = new MemoryLeases();
    const [one, two] = [await open(dir, leases), await open(dir, leases)];
    try {
      const [a, b] = [one.workspace().data, two.workspace().data];
      const set = (data: AnalyticsData, user: Record<string, string>, values: Record<string, string>, time: number) =>
        data.track({ attributes: [{ user, time, values }], events: [], purchases: [] });
      await set(a, { external_id: 'first' }, { email: 'shared@example.com' }, START); // one keeps: the email names `first`
      await set(b, { external_id: 'second' }, { email: 'shared@example.com' }, START + 1); // it names `second` now (made later)
      await set(a, { email: 'shared@example.com' }, { first_name: 'Ann' }, START + 2); // so this is `second`'s
      await set(a, { email: 'shared@example.com' }, { last_name: 'Lee' }, START + 3); // and this, one's own write after it
      const profile = async (data: AnalyticsData, external: string) => {
        const [id] = (await data.findUsers('external_id', [external])).get(external) ?? [];
        return JSON.parse((await data.userProfiles([id!], { fields: ['first_name', 'last_name'] }))[0]) as unknown;
      };
      expect(await profile(a, 'second')).toEqual({ first_name: 'Ann', last_name: 'Lee' });
      expect(await profile(b, 'first')).toEqual({});
    } finally {
      await one.close();
      await two.close();
    }
  }, 240_000);

  it('stores the same records sent by two processes at once exactly once (sharing leases, as through Redis)', async () => {
    const dir = fresh();
    const leases = new MemoryLeases();
    const [one, two] = [await open(dir, leases), await open(dir, leases)];
    try {
      await one.workspace().catalog.putWorkspace(workspace);
      const [a, b] = [one.workspace().data, two.workspace().data];
      const batches = batchesWithReplays(21);
      const results = await Promise.all([...batches.map((x) => a.ingestCurrents(body(x))), ...[...batches].reverse().map((x) => b.ingestCurrents(body(x)))]);
      expect(results.reduce((n, r) => n + r.stored, 0)).toBe(records.length);
      await expectExact(a);
      await expectExact(b);
    } finally {
      await one.close();
      await two.close();
    }
  }, 240_000);

  if (target === 'cluster') {
    it("keeps each user's rows on one shard, the one its hash names in TypeScript and in ClickHouse alike", async () => {
      const dir = fresh();
      const store = await open(dir);
      try {
        const data = store.workspace().data;
        await data.ingestCurrents(body(records));
        await data.track({
          attributes: Array.from({ length: 120 }, (_, i) => ({ user: { braze_id: `user-${i}` }, time: START, values: { email: `u${i}@example.com` } })),
          events: [], purchases: [],
        });
        const db = await connectClickHouse(urlOf(dir), { createDatabase: false });
        const seen = new Map<string, Set<number>>();
        for (const [node] of db.nodes.entries()) {
          for (const table of ['events_local', 'users_local', 'identities_local', 'user_identities_local', 'attributes_local']) {
            const rows = await db.query<{ user: string; hashed: number }>(
              sql`SELECT DISTINCT user, jumpConsistentHash(reinterpretAsUInt64(MD5(concat(ws, '\0', user))), 2) AS hashed FROM ${db.table(table)}`,
              { node },
            );
            for (const r of rows) {
              expect(r.hashed, `${table} on node ${node}`).toBe(node);
              expect(shardOf('default', r.user, 2)).toBe(node);
              const nodes = seen.get(r.user) ?? new Set<number>();
              nodes.add(node);
              seen.set(r.user, nodes);
            }
          }
        }
        await db.close();
        expect(seen.size).toBe(new Set(records.map((r) => r.user_key)).size);
        expect([...seen.values()].every((nodes) => nodes.size === 1)).toBe(true);
        // Both shards hold users.
        expect(new Set([...seen.values()].map((n) => [...n][0])).size).toBe(2);
      } finally {
        await store.close();
      }
    }, 240_000);

    it('refuses a database whose users are placed on another number of shards', async () => {
      const dir = fresh();
      await (await open(dir)).close();
      const oneNode = urlOf(dir).replace(/,[^/]+/, '').replace(/\?cluster=\w+/, '');
      await expect(ClickHouseStore.open({ url: oneNode })).rejects.toThrow(/placed on 2 shards and the URL names 1: a database keeps its number of shards/);
    });
  }
});

describe('shard placement', () => {
  it('spreads users evenly and moves few of them when a shard is added', () => {
    const users = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
    const counts = [0, 0, 0];
    let moved = 0;
    for (const u of users) {
      const three = shardOf('ws', u, 3);
      counts[three]++;
      if (shardOf('ws', u, 4) !== three) moved++;
    }
    // 20,000 / 3 = 6,667 each, within 3%; a fourth shard takes about a quarter (5,000) and no more.
    for (const c of counts) expect(Math.abs(c - 6_667)).toBeLessThan(200);
    expect(Math.abs(moved - 5_000)).toBeLessThan(250);
  });
});

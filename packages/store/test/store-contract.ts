import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnalyticsData, ApiKeyRecord, Catalog, CounterQuery, KeptProfiles, ProfileText, SeriesUnits, Store, StoreError } from '@brazen/store';
import { seriesUnits, type SeriesUnit } from '@brazen/analytics';
import { USER_EXPORT_FIELDS } from '@brazen/contract';
import { naiveDaily, prng, type Session } from './naive.ts';

/**
 * The store contract: every engine runs this suite unchanged (the pattern of Hono's router
 * `runTest({ newRouter })`). `newStore(dir)` opens a store whose data lives in `dir` (or wherever
 * the engine keeps it for that name); opening it again on the same `dir` must find the same data.
 */
export interface StoreContractOptions {
  newStore(dir: string): Promise<Store>;
}

const T0 = Date.UTC(2024, 0, 1) / 1000;
const H = 3600;
const D = 86_400;

/** The text of an export piece, whichever way the store gives it. */
export async function pieceText(piece: ProfileText): Promise<string> {
  if (piece instanceof Uint8Array) return new TextDecoder().decode(piece);
  const chunks: Buffer[] = [];
  for await (const chunk of piece.chunks()) chunks.push(Buffer.from(chunk)); // a copy: the reader reuses its buffers
  return Buffer.concat(chunks).toString('utf8');
}

/** Units of `seconds` each from `starts` (the series units of a test, in UTC unless `zone`). */
export function unitsAt(starts: number[], seconds: number, unit: 'day' | 'hour' = 'hour', zone = 'UTC'): SeriesUnits {
  const list: SeriesUnit[] = starts.map((start) => ({ start, end: start + seconds, time: new Date(start * 1000).toISOString() }));
  return { unit, zone, list };
}

/** `days` local days of `zone` ending with the day of `endingAt`. */
export const dayUnits = (days: number, endingAt: number, zone = 'UTC'): SeriesUnits => ({ unit: 'day', zone, list: seriesUnits('day', days, endingAt, zone) });

/** Consecutive day labels from `from`, `count` of them. */
export function dayLabels(from: string, count: number): string[] {
  const first = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10));
}

export function runStoreContract(engine: string, options: StoreContractOptions): void {
  describe(`store contract: ${engine}`, () => {
    let dir: string;
    let store: Store;
    let data: AnalyticsData;
    let catalog: Catalog;
    let kept: KeptProfiles | undefined;

    const open = async () => {
      store = await options.newStore(dir);
      ({ data, catalog, keptProfiles: kept } = store.workspace());
    };
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), `brazen-${engine}-`));
      await open();
    });
    afterEach(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const body = (text: string) => new TextEncoder().encode(text);
    const ingest = (records: unknown[], format: 'ndjson' | 'array' = 'ndjson') =>
      data.ingestCurrents({ bytes: body(format === 'ndjson' ? records.map((r) => JSON.stringify(r)).join('\n') : JSON.stringify(records)), format });
    const counter = async (q: CounterQuery) => {
      const totals = await data.counterSeries(q);
      return q.units.list.map((u, i) => ({ start: u.start, ...totals[i] })).filter((t) => t.count !== 0);
    };
    const daily = async (metric: 'dau' | 'mau' | 'new_users', from: string, count: number, appId?: string) => {
      const days = dayLabels(from, count);
      const values = await data.activitySeries({ metric, appId, days });
      return new Map(days.map((d, i) => [d, values[i]]));
    };
    /** The export object of the user an identifier names (undefined when nobody has it). */
    const profileOf = async (kind: 'external_id' | 'braze_id' | 'email' | 'alias', value: string, fields: readonly string[]) => {
      const found = (await data.findUsers(kind, [value])).get(value);
      if (!found) return undefined;
      return JSON.parse((await data.userProfiles([found.at(-1)!], { fields }))[0]) as Record<string, unknown>;
    };
    /** Every user's braze_id, in the order an export lists them. */
    const everyone = async () => {
      const n = await data.snapshotExportMembers('everyone', undefined, T0 + 3650 * D);
      const reader = await data.openExportProfiles('everyone', { fields: ['braze_id'] });
      try {
        const text = (await Promise.all((await reader.read(0, n, 5_000)).map(pieceText))).join('');
        return text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { braze_id: string }).braze_id);
      } finally {
        reader.close();
        await data.dropExportMembers('everyone');
      }
    };
    const session = (id: string, user: string, time: number, app = 'app-a') => ({
      id, event_type: 'users.behaviors.app.SessionStart', user_id: user, time, app_id: app,
    });

    it('answers each of many concurrent requests on its own: its stored, duplicates and errors', async () => {
      const event = (id: string, user: string) => ({ id, event_type: 'users.behaviors.CustomEvent', user_id: user, time: T0 + H, name: 'Played' });
      const results = await Promise.allSettled([
        ingest([event('a1', 'u1'), event('a2', 'u2')]),
        ingest([event('a2', 'u2'), { id: 'bad', event_type: 'users.behaviors.CustomEvent', user_id: 'u3', time: T0 }, event('b1', 'u3')]),
        data.ingestCurrents({ bytes: body('{"id": "m1", "event_type": '), format: 'ndjson' }),
        ingest([event('c1', 'u1'), event('c1', 'u1')]),
        ingest([event('d1', 'u4')], 'array'),
        ingest([]),
      ]);
      const value = (i: number) => (results[i].status === 'fulfilled' ? results[i].value : results[i].reason);
      expect(value(0)).toEqual({ stored: 2, duplicates: 0, errors: [] });
      // a2 was stored by the request before: a duplicate here, not a second count.
      expect(value(1)).toEqual({ stored: 1, duplicates: 1, errors: [{ type: 'currents', index: 1, message: 'name is required for a custom event' }] });
      expect(results[2].status).toBe('rejected');
      expect(String(value(2).message)).toMatch(/body is not valid JSON/);
      expect(value(3)).toEqual({ stored: 1, duplicates: 1, errors: [] });
      expect(value(4)).toEqual({ stored: 1, duplicates: 0, errors: [] });
      expect(value(5)).toEqual({ stored: 0, duplicates: 0, errors: [] });
      expect(await data.recordCount()).toBe(5);
      const [played] = await data.counterSeries({ kind: 'custom_event', name: 'Played', units: unitsAt([T0], D, 'day') });
      expect(played.count).toBe(5);
    });

    it('stores concurrent /users/track batches in their order', async () => {
      const user = { external_id: 'x' };
      await Promise.all([1, 2, 3, 4].map((v) =>
        data.track({ attributes: [{ user, time: T0, values: { level: v }, increments: { visits: 1 } }], events: [], purchases: [] })));
      expect(await profileOf('external_id', 'x', ['custom_attributes'])).toEqual({ custom_attributes: { level: 4, visits: 4 } });
    });

    it('stores Currents records once by id and reports bad ones by index', async () => {
      const first = await ingest([
        session('s1', 'u1', T0 + H),
        { id: 'e1', event_type: 'users.behaviors.CustomEvent', user_id: 'u1', time: T0 + 2 * H, name: 'Played' },
        { id: 'x1', event_type: 'users.behaviors.NoSuchThing', user_id: 'u1', time: T0 },
        { id: 'x2', event_type: 'users.behaviors.CustomEvent', user_id: 'u1', time: 'yesterday', name: 'Played' },
        session('s1', 'u1', T0 + H),
        { event_type: 'users.behaviors.app.SessionStart', user_id: 'u1', time: T0 },
      ]);
      expect(first.stored).toBe(2);
      expect(first.duplicates).toBe(1);
      expect(first.errors).toEqual([
        { type: 'currents', index: 2, message: 'event_type "users.behaviors.NoSuchThing" is not a Braze Currents event type' },
        { type: 'currents', index: 3, message: 'time must be a number of epoch seconds' },
        { type: 'currents', index: 5, message: 'id is required' },
      ]);
      const again = await ingest([session('s1', 'u1', T0 + H), session('s2', 'u1', T0 + 3 * H)], 'array');
      expect(again).toEqual({ stored: 1, duplicates: 1, errors: [] });
      expect(await data.recordCount()).toBe(3);
    });

    it('rejects a malformed body whole, storing nothing', async () => {
      const bad = body(`${JSON.stringify(session('ok', 'u1', T0))}\n{"id": "broken", `);
      await expect(data.ingestCurrents({ bytes: bad, format: 'ndjson' })).rejects.toMatchObject({ code: 'invalid_input' } satisfies Partial<StoreError>);
      expect(await data.recordCount()).toBe(0);
    });

    it('counts sessions, events and purchases in 15-minute buckets, by name and app', async () => {
      await catalog.putWorkspace({ apps: [], campaigns: [], canvases: [], segments: [], cards: [], currency_rates: { EUR: 1.5 } });
      await ingest([
        session('a', 'u1', T0 + 60, 'app-a'),
        session('b', 'u2', T0 + 899, 'app-b'),
        session('c', 'u1', T0 + 900, 'app-a'),
        { id: 'p1', event_type: 'users.behaviors.Purchase', user_id: 'u1', time: T0 + 100, product_id: 'gem', price: 2, currency: 'EUR', app_id: 'app-a' },
        { id: 'p2', event_type: 'users.behaviors.Purchase', user_id: 'u2', time: T0 + 200, product_id: 'coin', price: 0.5, app_id: 'app-b' },
      ]);
      // Units of 15 minutes (the finest a store keeps): each gets the events of its own quarter.
      expect(await counter({ kind: 'session', units: unitsAt([T0, T0 + 900], 900) })).toEqual([
        { start: T0, count: 2, quantity: 2, revenue: 0 },
        { start: T0 + 900, count: 1, quantity: 1, revenue: 0 },
      ]);
      // One 45-minute unit takes all three.
      expect(await counter({ kind: 'session', units: unitsAt([T0], 2700) })).toEqual([{ start: T0, count: 3, quantity: 3, revenue: 0 }]);
      expect(await counter({ kind: 'session', appId: 'app-b', units: unitsAt([T0, T0 + 900], 900) })).toEqual([
        { start: T0, count: 1, quantity: 1, revenue: 0 },
      ]);
      // 2 EUR at 1.5 USD per EUR, quantity 1 (Currents purchases carry no quantity).
      expect(await counter({ kind: 'purchase', name: 'gem', units: unitsAt([T0], 900) })).toEqual([
        { start: T0, count: 1, quantity: 1, revenue: 3 },
      ]);
      expect(await data.names('purchase', 0, 10)).toEqual(['coin', 'gem']);
      expect(await data.hasName('purchase', 'gem')).toBe(true);
      expect(await data.hasName('purchase', 'ruby')).toBe(false);
    });

    it('keeps counter sums right across many buckets and later updates to old ones', async () => {
      const tick = (i: number, id = `t${i}`) => ({ id, event_type: 'users.behaviors.CustomEvent', user_id: `u${i % 50}`, time: T0 + i * 900, name: 'tick' });
      await ingest(Array.from({ length: 52_000 }, (_, i) => tick(i)));
      await ingest(Array.from({ length: 100 }, (_, i) => tick(i, `again-${i}`)));
      const first = await counter({ kind: 'custom_event', name: 'tick', units: unitsAt(Array.from({ length: 200 }, (_, i) => T0 + i * 900), 900) });
      // Buckets 0-99 hold two events each, 100-199 one each.
      expect(first.length).toBe(200);
      expect(first.reduce((sum, b) => sum + b.count, 0)).toBe(300);
      expect(first.find((b) => b.start === T0 + 99 * 900)?.count).toBe(2);
      expect(first.find((b) => b.start === T0 + 100 * 900)?.count).toBe(1);
      const [all] = await data.counterSeries({ kind: 'custom_event', units: unitsAt([T0], 52_000 * 900) });
      expect(all.count).toBe(52_100);
    });

    it('keeps users by every identity and folds attribute updates', async () => {
      const user = { external_id: 'ext-1' };
      await data.track({
        attributes: [{ user, time: T0, values: { first_name: 'Ann', email: 'ann@example.com' }, increments: { visits: 2 } }],
        events: [],
        purchases: [],
      });
      await data.track({
        attributes: [
          { user: { email: 'ann@example.com' }, time: T0 + 10, values: { first_name: 'Anna' }, increments: { visits: 3 }, arrayEdits: { tags: { add: ['a', 'b'] } } },
          { user: { alias: { alias_name: 'nobody', alias_label: 'crm' } }, time: T0, values: { first_name: 'X' }, updateExistingOnly: true },
        ],
        events: [{ id: 'ev-1', eventType: 'users.behaviors.CustomEvent', time: T0 + 20, user: { external_id: 'ext-1' }, name: 'Opened', payload: { name: 'Opened' } }],
        purchases: [],
      });
      await data.track({
        attributes: [{ user, time: T0 + 30, values: {}, arrayEdits: { tags: { remove: ['a'], add: ['c'] } } }],
        events: [],
        purchases: [],
      });
      expect(await profileOf('external_id', 'ext-1', ['first_name', 'email', 'custom_attributes'])).toEqual({
        first_name: 'Anna', email: 'ann@example.com', custom_attributes: { tags: ['b', 'c'], visits: 5 },
      });
      expect(await profileOf('alias', 'nobody\u001fcrm', ['first_name'])).toBeUndefined();
      const iso = new Date((T0 + 20) * 1000).toISOString();
      expect(await profileOf('email', 'ann@example.com', ['custom_events'])).toEqual({ custom_events: [{ name: 'Opened', first: iso, last: iso, count: 1 }] });
    });

    it('links a Currents user_id and external_user_id to the same user', async () => {
      await data.track({ attributes: [{ user: { external_id: 'E' }, time: T0, values: { country: 'FR' } }], events: [], purchases: [] });
      await ingest([{ ...session('s1', 'B', T0 + H), external_user_id: 'E' }, session('s2', 'B', T0 + 2 * H)]);
      const linked = await profileOf('braze_id', 'B', ['external_id', 'braze_id', 'country', 'apps']);
      expect(linked).toMatchObject({ external_id: 'E', country: 'FR', apps: [{ sessions: 2 }] });
      // One user, known by both ids: the one it was made with is its braze_id.
      expect(await everyone()).toEqual([linked!.braze_id]);
      expect(await profileOf('external_id', 'E', ['braze_id'])).toEqual({ braze_id: linked!.braze_id });
    });

    it('maintains DAU, MAU and new users equal to a brute-force count, whatever the arrival order', async () => {
      const rand = prng(7);
      const sessions: Session[] = [];
      const records: Array<Record<string, unknown>> = [];
      for (let i = 0; i < 400; i++) {
        const user = `u${Math.floor(rand() * 25)}`;
        const app = rand() < 0.5 ? 'app-a' : 'app-b';
        const time = T0 + Math.floor(rand() * 120) * D + Math.floor(rand() * D);
        sessions.push({ user, app, day: new Date(time * 1000).toISOString().slice(0, 10) });
        records.push(session(`r${i}`, user, time, app));
      }
      // Arrival out of time order, in several batches.
      for (let i = 0; i < records.length; i += 57) await ingest(records.slice(i, i + 57));
      for (const metric of ['dau', 'mau', 'new_users'] as const) {
        for (const app of [undefined, 'app-a']) {
          const got = await daily(metric, '2024-01-01', 136, app);
          for (let d = 0; d < 136; d++) {
            const day = new Date((T0 + d * D) * 1000).toISOString().slice(0, 10);
            expect([metric, app, day, got.get(day) ?? 0]).toEqual([metric, app, day, naiveDaily(sessions, metric, day, app)]);
          }
        }
      }
    });

    it('recomputes day figures in a new workspace time zone', async () => {
      // 03:00 UTC on Jan 2 is Jan 1 in New York.
      await ingest([session('s1', 'u1', T0 + D + 3 * H)]);
      expect((await daily('dau', '2024-01-01', 2)).get('2024-01-02')).toBe(1);
      await catalog.putWorkspace({ time_zone: 'America/New_York', apps: [], campaigns: [], canvases: [], segments: [], cards: [] });
      const ny = await daily('dau', '2024-01-01', 2);
      expect([ny.get('2024-01-01'), ny.get('2024-01-02') ?? 0]).toEqual([1, 0]);
      await ingest([session('s2', 'u1', T0 + D + 6 * H)]);
      const after = await daily('dau', '2024-01-01', 2);
      expect([after.get('2024-01-01'), after.get('2024-01-02')]).toEqual([1, 1]);
    });

    it('answers day units from daily totals in the workspace time zone, before and after it changes', async () => {
      // Purchases at 02:00 and 06:00 UTC on Jan 2: in New York (UTC-5) the first is on Jan 1.
      const buy = (id: string, time: number, price: number, quantity: number) =>
        ({ id, event_type: 'users.behaviors.Purchase', user_id: 'u1', time, product_id: 'p', price, quantity, currency: 'USD', app_id: 'a' });
      await ingest([buy('p1', T0 + D + 2 * H, 2, 3), buy('p2', T0 + D + 6 * H, 5, 1)]);
      // Many small batches of other events: the logs are compacted along the way.
      for (let b = 0; b < 30; b++) {
        await ingest(Array.from({ length: 1_000 }, (_, i) => ({
          id: `e${b}-${i}`, event_type: 'users.behaviors.CustomEvent', user_id: `u${i}`, time: T0 + ((b * 1_000 + i) % 96) * 900, name: `n${i % 40}`,
        })));
      }
      const utc = await counter({ kind: 'purchase', units: dayUnits(2, T0 + D) });
      expect(utc.map((b) => [b.start, b.count, b.quantity, b.revenue])).toEqual([[T0 + D, 2, 4, 11]]);
      // 30,000 events over the 96 buckets of Jan 1, 40 names: 750 of each name.
      const named = await counter({ kind: 'custom_event', name: 'n7', units: dayUnits(2, T0 + D) });
      expect(named.map((b) => [b.start, b.count])).toEqual([[T0, 750]]);
      expect((await data.counterSeries({ kind: 'custom_event', units: dayUnits(1, T0) }))[0].count).toBe(30_000);

      await catalog.putWorkspace({ time_zone: 'America/New_York', apps: [], campaigns: [], canvases: [], segments: [], cards: [] });
      const nyStarts = [T0 + 5 * H, T0 + D + 5 * H];
      const ny = await counter({ kind: 'purchase', appId: 'a', units: dayUnits(2, T0 + D + 5 * H, 'America/New_York') });
      expect(ny.map((b) => [b.start, b.count, b.revenue])).toEqual([[nyStarts[0], 1, 6], [nyStarts[1], 1, 5]]);
      // Days asked in a zone the store does not keep are answered from the 15-minute buckets.
      const paris = await counter({ kind: 'purchase', units: dayUnits(2, T0 + D, 'Europe/Paris') });
      expect(paris.map((b) => [b.start, b.count])).toEqual([[T0 + D - H, 2]]);
    });

    it('keeps API keys hashed and the workspace document', async () => {
      const key: ApiKeyRecord = { name: 'k', workspace: 'default', hash: 'ab'.repeat(32), permissions: ['events.list'], createdAt: '2024-01-01T00:00:00.000Z' };
      await store.keys.addApiKey(key);
      await store.keys.addApiKey({ ...key, name: 'j', hash: 'ef'.repeat(32), createdAt: '2024-01-02T00:00:00.000Z' });
      expect(await store.keys.findApiKey('ab'.repeat(32))).toEqual(key);
      expect(await store.keys.findApiKey('cd'.repeat(32))).toBeUndefined();
      expect((await store.keys.listApiKeys('default')).map((k) => k.name)).toEqual(['k', 'j']);
      await store.keys.addApiKey({ ...key, name: 'earlier', hash: '01'.repeat(32), permissions: [], createdAt: '2023-12-31T00:00:00.000Z' });
      expect((await store.keys.listApiKeys('default')).map((k) => [k.name, k.createdAt])).toEqual([
        ['earlier', '2023-12-31T00:00:00.000Z'], ['k', '2024-01-01T00:00:00.000Z'], ['j', '2024-01-02T00:00:00.000Z'],
      ]);
      expect(await store.keys.listApiKeys('elsewhere')).toEqual([]);
      const ws = { time_zone: 'Europe/Paris', apps: [{ id: 'a', name: 'A' }], campaigns: [{ id: 'c', name: 'C' }], canvases: [], segments: [], cards: [] };
      await catalog.putWorkspace(ws);
      expect(await catalog.getWorkspace()).toEqual(ws);
      // A secret is made once and kept.
      const secret = await catalog.secret('export_url');
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect(await catalog.secret('export_url')).toBe(secret);
      expect(await catalog.secret('other')).not.toBe(secret);
    });

    it('finds everything again after reopening', async () => {
      await ingest([session('s1', 'u1', T0), session('s2', 'u2', T0 + D)]);
      await store.close();
      await open();
      expect(await data.recordCount()).toBe(2);
      const mau = await daily('mau', '2024-01-01', 2);
      expect([...mau.values()]).toEqual([1, 2]);
      // The activity index is rebuilt: a repeat day adds nothing, a new one counts.
      await ingest([session('s3', 'u1', T0 + 3600), session('s4', 'u3', T0 + D)]);
      const dau = await daily('dau', '2024-01-01', 2);
      expect([...dau.values()]).toEqual([1, 2]);
    });

    it('keeps each app apart in the activity index it rebuilds on reopening', async () => {
      await ingest([session('s1', 'u1', T0, 'app-a'), session('s2', 'u2', T0, 'app-b')]);
      await store.close();
      await open();
      // u1 again on app-a the same day (nothing new), and for the first time on app-b.
      await ingest([session('s3', 'u1', T0 + 3600, 'app-a'), session('s4', 'u1', T0 + 7200, 'app-b')]);
      expect([...(await daily('dau', '2024-01-01', 1, 'app-a')).values()]).toEqual([1]);
      expect([...(await daily('dau', '2024-01-01', 1, 'app-b')).values()]).toEqual([2]);
      expect([...(await daily('dau', '2024-01-01', 1)).values()]).toEqual([2]);
    });

    it('exports kept profiles that follow every kind of write, equal to profiles computed from the events', async () => {
      const fields = ['external_id', 'user_aliases', 'braze_id', 'first_name', 'email', 'custom_attributes', 'custom_events', 'apps', 'campaigns_received'];
      const exportText = async (job: string, only: readonly string[] = fields) => {
        const users = await data.snapshotExportMembers(job, undefined, T0 + 10 * D);
        const reader = await data.openExportProfiles(job, { fields: only });
        try {
          const pieces = await reader.read(0, users, 5_000);
          expect(pieces).toHaveLength(1);
          const [piece] = pieces;
          return await pieceText(piece);
        } finally {
          reader.close();
        }
      };
      const exportLines = async (job: string, only: readonly string[] = fields) =>
        (await exportText(job, only)).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const computed = async (only: readonly string[] = fields) =>
        (await data.userProfiles(['u1', 'u2', 'u3', 'u4', 'u5'], { fields: only, fromEvents: true })).map((l) => JSON.parse(l) as Record<string, unknown>);
      const played = (id: string, user: string, time: number) => ({ id, event_type: 'users.behaviors.CustomEvent', user_id: user, time, name: 'Played', app_id: 'app-a' });
      const iso = (t: number) => new Date(t * 1000).toISOString();
      const others = ['u3', 'u4', 'u5'].map((u, i) => session(`o${i}`, u, T0 + 3 * D));

      await ingest([session('s1', 'u1', T0), played('p1', 'u1', T0 + H), session('s2', 'u2', T0 + D), ...others]);
      await data.track({ attributes: [{ user: { braze_id: 'u1' }, time: T0, values: { first_name: 'Ann', plan: 'grün ☕' } }], events: [], purchases: [] });
      // No profile is kept yet: the export computes them from the events. Then all five are kept.
      const first = await exportLines('job-1');
      expect(first).toEqual(await computed());
      expect(first[0]).toEqual({
        braze_id: 'u1', first_name: 'Ann', custom_attributes: { plan: 'grün ☕' },
        custom_events: [{ name: 'Played', first: iso(T0 + H), last: iso(T0 + H), count: 1 }],
        apps: [{ sessions: 1, first_used: iso(T0), last_used: iso(T0) }],
      });
      expect(first[1]).toEqual({ braze_id: 'u2', apps: [{ sessions: 1, first_used: iso(T0 + D), last_used: iso(T0 + D) }] });
      expect(await kept!.refresh()).toBe(5);
      expect(await kept!.refresh()).toBe(0);

      // A Currents event, an attribute, an identity: each makes its user's kept profile stale.
      await ingest([played('p2', 'u1', T0 + 2 * D)]);
      expect(await kept!.refresh()).toBe(1);
      await data.track({
        attributes: [{ user: { braze_id: 'u2' }, time: T0 + D, values: { first_name: 'Bob', email: 'bob@example.com' } }],
        events: [], purchases: [],
      });
      await data.track({ attributes: [{ user: { braze_id: 'u1', external_id: 'ext-1', alias: { alias_name: 'ann', alias_label: 'crm' } }, time: T0 + D, values: {} }], events: [], purchases: [] });
      // Two of five are stale: the export computes those two again and reads the kept five.
      const second = await exportLines('job-2');
      expect(await kept!.refresh()).toBe(0);
      expect(second).toEqual(await computed());
      expect(second[0]).toEqual({
        external_id: 'ext-1', user_aliases: [{ alias_name: 'ann', alias_label: 'crm' }], braze_id: 'u1', first_name: 'Ann', custom_attributes: { plan: 'grün ☕' },
        custom_events: [{ name: 'Played', first: iso(T0 + H), last: iso(T0 + 2 * D), count: 2 }],
        apps: [{ sessions: 1, first_used: iso(T0), last_used: iso(T0) }],
      });
      expect(second[1]).toEqual({ braze_id: 'u2', first_name: 'Bob', email: 'bob@example.com', apps: [{ sessions: 1, first_used: iso(T0 + D), last_used: iso(T0 + D) }] });
      // New names in the workspace: every kept profile is dropped, to be computed again.
      await catalog.putWorkspace({ apps: [{ id: 'app-a', name: 'App A' }], campaigns: [], canvases: [], segments: [], cards: [] });
      expect(await kept!.refresh()).toBe(5);
      const third = await exportLines('job-3');
      expect(third).toEqual(await computed());
      expect(third.slice(0, 2).map((u) => u.apps)).toEqual([
        [{ name: 'App A', sessions: 1, first_used: iso(T0), last_used: iso(T0) }],
        [{ name: 'App A', sessions: 1, first_used: iso(T0 + D), last_used: iso(T0 + D) }],
      ]);
      // Kept profiles survive a reopen.
      await store.close();
      await open();
      expect(await kept!.refresh()).toBe(0);
      expect(await exportLines('job-4')).toEqual(third);
      // Every field (an export's default), in the fields' order.
      const text = await exportText('job-5', USER_EXPORT_FIELDS);
      // Byte for byte: one line per user, each ending in a newline, nothing quoted or escaped.
      expect(text).toBe(`${(await data.userProfiles(['u1', 'u2', 'u3', 'u4', 'u5'], { fields: USER_EXPORT_FIELDS, fromEvents: true })).join('\n')}\n`);
      const everything = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(everything).toEqual(await computed(USER_EXPORT_FIELDS));
      expect(Object.keys(everything[0])).toEqual(['created_at', 'external_id', 'user_aliases', 'braze_id', 'random_bucket', 'first_name', 'custom_attributes', 'custom_events', 'apps']);
    });

    it('keeps profiles right when writes land while a refresh runs beside them', async () => {
      const users = Array.from({ length: 400 }, (_, i) => `r${i}`);
      await ingest(users.map((u, i) => session(`rs-${i}`, u, T0 + i)));
      const played = (round: number) => users.slice(0, 60).map((u, i) => ({
        id: `rp-${round}-${i}`, event_type: 'users.behaviors.CustomEvent', user_id: u, time: T0 + D + round * H + i, name: `Round ${round}`,
      }));
      // Twenty small batches of refresh, and three ingestion batches in between.
      const refresh = kept!.refresh({ batchUsers: 20 });
      for (let round = 0; round < 3; round++) await ingest(played(round));
      expect(await refresh).toBe(400);
      await kept!.refresh();
      const n = await data.snapshotExportMembers('job-r', undefined, T0 + 10 * D);
      const fields = ['braze_id', 'custom_events'];
      const reader = await data.openExportProfiles('job-r', { fields });
      try {
        const [piece] = await reader.read(0, n, 5_000);
        const text = await pieceText(piece);
        const computed = await data.userProfiles(users.toSorted(), { fields, fromEvents: true });
        expect(text).toBe(`${computed.join('\n')}\n`);
        expect(JSON.parse(computed[0])).toMatchObject({ braze_id: 'r0', custom_events: [{ name: 'Round 0', count: 1 }, { name: 'Round 1', count: 1 }, { name: 'Round 2', count: 1 }] });
      } finally {
        reader.close();
      }
    });

    it('names a campaign, variation and Canvas step the workspace does not define from the events, computed or kept', async () => {
      await ingest([
        { id: 'x1', event_type: 'users.messages.email.Send', user_id: 'n1', time: T0, campaign_id: 'cx', campaign_name: 'From events',
          message_variation_id: 'vx', message_variation_name: 'Variant X', email_address: 'n1@example.com' },
        { id: 'x2', event_type: 'users.messages.pushnotification.Send', user_id: 'n1', time: T0 + H, canvas_id: 'kx', canvas_name: 'Journey',
          canvas_variation_id: 'kvx', canvas_step_id: 'sx', canvas_step_name: 'Step X', platform: 'ios' },
        { id: 'x3', event_type: 'users.messages.email.Send', user_id: 'n2', time: T0, campaign_id: 'cy', message_variation_id: 'vy', email_address: 'n2@example.com' },
      ]);
      await catalog.putWorkspace({ apps: [], campaigns: [{ id: 'cy', name: 'Defined', messages: { vy: { name: 'Defined variant' } } }], canvases: [], segments: [], cards: [] });
      const fields = ['campaigns_received', 'canvases_received'];
      const computed = (await data.userProfiles(['n1', 'n2'], { fields, fromEvents: true })).map((l) => JSON.parse(l) as Record<string, Array<Record<string, unknown>>>);
      expect(computed[0].campaigns_received[0]).toMatchObject({ name: 'From events', api_campaign_id: 'cx', variation_name: 'Variant X' });
      expect(computed[0].canvases_received[0]).toMatchObject({ name: 'Journey', steps_received: [{ name: 'Step X', api_canvas_step_id: 'sx', last_received: new Date((T0 + H) * 1000).toISOString() }] });
      expect(computed[1].campaigns_received[0]).toMatchObject({ name: 'Defined', variation_name: 'Defined variant' });
      expect(await kept!.refresh()).toBe(2);
      expect((await data.userProfiles(['n1', 'n2'], { fields })).map((l) => JSON.parse(l) as unknown)).toEqual(computed);
    });
  });
}

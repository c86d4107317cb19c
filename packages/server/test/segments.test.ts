import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, currents, ndjson, startHarness, type Harness } from './harness.ts';

const NDJSON = { 'content-type': 'application/x-ndjson' };
const SESSION = 'users.behaviors.app.SessionStart';
const EVENT = 'users.behaviors.CustomEvent';
const PURCHASE = 'users.behaviors.Purchase';
const EMAIL_SEND = 'users.messages.email.Send';

/** Size of a tracked segment now: the last entry of a one-day series ending now. */
async function sizeNow(h: Harness, id: string): Promise<number> {
  const res = await h.get('/segments/data_series', { segment_id: id, length: 1 });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data[0].size;
}

async function series(h: Harness, id: string, length: number, endingAt: string): Promise<Array<[string, number]>> {
  const res = await h.get('/segments/data_series', { segment_id: id, length, ending_at: endingAt });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data.map((d: { time: string; size: number }) => [d.time, d.size]);
}

describe('segment filters, evaluated now', () => {
  // now: 2024-03-31 12:00 UTC. Random buckets (first 8 hex digits of md5(braze_id) mod 10000), worked
  // out with md5sum: b1 edbab455 → 6053, b2 fbfba2e4 → 2452, b3 7a6f150b → 235, b4 3dfe5631 → 8385.
  let h: Harness;
  const SEGMENTS: Array<[string, unknown, number]> = [
    ['country US', { attribute: 'country', op: 'eq', value: 'US' }, 2], // b1 b3
    ['country not US', { attribute: 'country', op: 'ne', value: 'US' }, 2], // b2, and b4 who has no country
    ['age over 26', { attribute: 'age', op: 'gt', value: 26 }, 1], // b1 (30)
    ['age at most 25', { attribute: 'age', op: 'lte', value: 25 }, 1], // b2 (25)
    ['age at least 25', { attribute: 'age', op: 'gte', value: 25 }, 2],
    ['age under 30', { attribute: 'age', op: 'lt', value: 30 }, 1],
    ['US or CA', { attribute: 'country', op: 'in', value: ['US', 'CA'] }, 3],
    ['vip', { attribute: 'tags', op: 'contains', value: 'vip' }, 1],
    ['name contains nn', { attribute: 'first_name', op: 'contains', value: 'nn' }, 1], // Ann
    ['has age', { attribute: 'age', op: 'exists' }, 2],
    ['no age', { attribute: 'age', op: 'not_exists' }, 2],
    ['newsletter', { attribute: 'newsletter', op: 'eq', value: true }, 1], // b2
    ['played 3 in 30 days', { custom_event: 'Played', op: 'gte', count: 3, within_days: 30 }, 1], // b1
    // b2 played at now − 30 days exactly (in) and one second before (out).
    ['played in 30 days', { custom_event: 'Played', op: 'gte', count: 1, within_days: 30 }, 2],
    ['played once in 30 days', { custom_event: 'Played', op: 'eq', count: 1, within_days: 30 }, 1],
    ['played twice ever', { custom_event: 'Played', op: 'eq', count: 2 }, 1], // b2
    ['never played', { custom_event: 'Played', op: 'lt', count: 1 }, 2], // b3 b4
    ['bought anything', { purchased: null, op: 'gte', count: 1 }, 2],
    ['bought A', { purchased: 'Product A', op: 'gte', count: 1 }, 1],
    ['bought in 7 days', { purchased: null, op: 'gte', count: 1, within_days: 7 }, 1], // b1 (b2 bought 03-10)
    ['session today', { last_session_within_days: 1 }, 1], // b4 at 10:00
    ['session in 2 days', { last_session_within_days: 2 }, 2], // b4, b1 (03-30 08:00)
    ['2+ sessions', { session_count: { op: 'gte', value: 2 } }, 1], // b1
    ['1 session', { session_count: { op: 'eq', value: 1 } }, 3],
    ['got c1', { received_campaign: 'c1' }, 1],
    ['got c1 this week', { received_campaign: 'c1', within_days: 1 }, 0], // sent 03-29 09:00
    ['bucket 0-2999', { random_bucket: { gte: 0, lte: 2999 } }, 2], // b2 b3
    ['bucket 6053+', { random_bucket: { gte: 6053 } }, 2], // b1 b4
    ['US and not played', { and: [{ attribute: 'country', op: 'eq', value: 'US' }, { not: { custom_event: 'Played' } }] }, 1], // b3
    ['bucket 8000+ or young', { or: [{ random_bucket: { gte: 8000 } }, { attribute: 'age', op: 'lt', value: 26 }] }, 2], // b4 b2
    ['neither US nor CA', { not: { or: [{ attribute: 'country', op: 'eq', value: 'US' }, { attribute: 'country', op: 'eq', value: 'CA' }] } }, 1], // b4
    ['nested', { or: [{ and: [{ attribute: 'country', op: 'eq', value: 'US' }, { session_count: { op: 'gte', value: 2 } }] }, { last_session_within_days: 1 }] }, 2], // b1 b4
  ];

  beforeAll(async () => {
    h = await startHarness({ now: Date.UTC(2024, 2, 31, 12) });
    const u = (n: number) => ({ external_user_id: `u${n}` });
    const records = [
      currents(SESSION, 'b1', at('2024-03-29T08:00:00'), u(1)),
      currents(SESSION, 'b1', at('2024-03-30T08:00:00'), u(1)),
      currents(EVENT, 'b1', at('2024-03-20T10:00:00'), { ...u(1), name: 'Played' }),
      currents(EVENT, 'b1', at('2024-03-25T10:00:00'), { ...u(1), name: 'Played' }),
      currents(EVENT, 'b1', at('2024-03-30T10:00:00'), { ...u(1), name: 'Played' }),
      currents(PURCHASE, 'b1', at('2024-03-30T11:00:00'), { ...u(1), product_id: 'Product A', price: 10, currency: 'USD' }),
      currents(EMAIL_SEND, 'b1', at('2024-03-29T09:00:00'), { ...u(1), campaign_id: 'c1', email_address: 'ann@example.com' }),
      currents(SESSION, 'b2', at('2024-03-15T08:00:00'), u(2)),
      currents(EVENT, 'b2', at('2024-03-01T12:00:00'), { ...u(2), name: 'Played' }),
      currents(EVENT, 'b2', at('2024-03-01T11:59:59'), { ...u(2), name: 'Played' }),
      currents(PURCHASE, 'b2', at('2024-03-10T11:00:00'), { ...u(2), product_id: 'Product B', price: 5, currency: 'USD' }),
      currents(SESSION, 'b3', at('2024-01-01T08:00:00'), u(3)),
      currents(SESSION, 'b4', at('2024-03-31T10:00:00'), u(4)),
    ];
    expect((await h.post('/currents', ndjson(records), NDJSON)).statusCode).toBe(201);
    const track = await h.post('/users/track', {
      attributes: [
        { external_id: 'u1', country: 'US', age: 30, tags: ['vip', 'beta'], first_name: 'Ann' },
        { external_id: 'u2', country: 'CA', age: 25, first_name: 'Bob', newsletter: true },
        { external_id: 'u3', country: 'US', first_name: 'Cy', newsletter: false },
      ],
    });
    expect(track.statusCode, track.body).toBe(201);
    const put = await h.put('/admin/workspace', {
      campaigns: [{ id: 'c1', name: 'Spring Sale' }],
      segments: SEGMENTS.map(([name, filter], i) => ({ id: `s${i}`, name, filter, analytics_tracking_enabled: true })),
    });
    expect(put.statusCode, put.body).toBe(200);
  });
  afterAll(() => h.close());

  it('sizes every leaf kind and their nesting as worked out by hand', async () => {
    const got: Array<[string, number]> = [];
    for (let i = 0; i < SEGMENTS.length; i++) got.push([SEGMENTS[i][0], await sizeNow(h, `s${i}`)]);
    expect(got).toEqual(SEGMENTS.map(([name, , size]) => [name, size]));
  });

  it('describes each filter in words', async () => {
    const description = async (i: number) => (await h.get('/segments/details', { segment_id: `s${i}` })).json().description;
    expect(await description(0)).toBe('country is "US"');
    expect(await description(12)).toBe('performed custom event "Played" at least 3 times in the last 30 days');
    expect(await description(19)).toBe('purchased any product at least 1 time in the last 7 days');
    expect(await description(24)).toBe('received campaign "Spring Sale" (c1)');
    expect(await description(26)).toBe('random bucket number is between 0 and 2999');
    expect(await description(28)).toBe('country is "US" and not (performed custom event "Played" at least 1 time)');
    expect(await description(31)).toBe('(country is "US" and has had at least 2 sessions) or had a session in the last 1 day');
  });

  it('restricts the sessions and events series to the users in a segment now', async () => {
    const sessions = (q: Record<string, string | number>) => h.get('/sessions/data_series', { length: 3, ending_at: '2024-03-31', ...q });
    const all = await sessions({});
    expect(all.json().data.map((d: { sessions: number }) => d.sessions)).toEqual([1, 1, 1]);
    const us = await sessions({ segment_id: 's0' }); // b1 on 03-29 and 03-30; b3's session is in January
    expect(us.json().data).toEqual([
      { time: '2024-03-29', sessions: 1 }, { time: '2024-03-30', sessions: 1 }, { time: '2024-03-31', sessions: 0 },
    ]);
    const hours = await h.get('/sessions/data_series', { length: 3, unit: 'hour', ending_at: '2024-03-30T09:00:00Z', segment_id: 's0' });
    expect(hours.json().data.map((d: { sessions: number }) => d.sessions)).toEqual([0, 1, 0]);
    const played = await h.get('/events/data_series', { event: 'Played', length: 31, ending_at: '2024-03-31', segment_id: 's1' });
    // Not US: b2 (played twice on 03-01) and b4 (never).
    const counts = played.json().data.map((d: { count: number }) => d.count);
    expect(counts[0]).toBe(2);
    expect(counts.slice(1).every((c: number) => c === 0)).toBe(true);
    const unknown = await h.get('/events/data_series', { event: 'Played', length: 1, segment_id: 'nope' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toContain('segment_id nope');
  });

  it('lists segments 100 a page, archived excluded, oldest first or newest first', async () => {
    await h.put('/admin/workspace', {
      segments: [
        { id: 'old', name: 'Old', created_at: '2020-01-01T00:00:00Z', tags: ['t'] },
        { id: 'gone', name: 'Gone', archived: true, created_at: '2020-01-02T00:00:00Z' },
      ],
    });
    const first = (await h.get('/segments/list')).json().segments;
    expect(first).toHaveLength(33);
    expect(first.some((s: { id: string }) => s.id === 'gone')).toBe(false);
    expect(first[0]).toEqual({ id: 's0', name: 'country US', analytics_tracking_enabled: true, tags: [] });
    expect(first[32]).toEqual({ id: 'old', name: 'Old', analytics_tracking_enabled: false, tags: ['t'] });
    expect((await h.get('/segments/list', { page: 1 })).json().segments).toEqual([]);
    expect((await h.get('/segments/list', { sort_direction: 'desc' })).json().segments[0].id).toBe('old');
  });

  it('refuses untracked and unknown segments with a 4xx naming segment_id', async () => {
    const untracked = await h.get('/segments/data_series', { segment_id: 'old', length: 3 });
    expect(untracked.statusCode).toBe(400);
    expect(untracked.json().message).toBe('segment_id old does not have analytics tracking enabled, so it has no size series');
    const unknown = await h.get('/segments/details', { segment_id: 'nope' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toBe('segment_id nope does not name a segment of this workspace');
  });

  it('refuses a bad filter on PUT /admin/workspace, naming its path, and stores nothing', async () => {
    const bad = await h.put('/admin/workspace', {
      segments: [
        { id: 'fine', name: 'Fine' },
        { id: 'bad', filter: { and: [{ attribute: 'country', op: 'eq', value: 'US' }, { attribute: 'age', op: 'about', value: 3 }] } },
      ],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('segments[1].filter.and[1].op must be one of eq, ne, gt, gte, lt, lte, in, contains, exists, not_exists');
    const leaf = await h.put('/admin/workspace', { segments: [{ id: 'bad', filter: { custom_event: 'Played', within_days: 0 } }] });
    expect(leaf.json().message).toBe('segments[0].filter.within_days must be an integer number of days between 1 and 3650');
    const two = await h.put('/admin/workspace', { segments: [{ id: 'bad', filter: { not: { attribute: 'a', op: 'exists', custom_event: 'x' } } }] });
    expect(two.json().message).toBe('segments[0].filter.not must have only one of the keys attribute, custom_event');
    const ids = (await h.get('/admin/workspace')).json().segments.map((s: { id: string }) => s.id);
    expect(ids).not.toContain('fine');
    expect(ids).not.toContain('bad');
  });
});

describe('segment sizes over days', () => {
  it('counts a custom event within 30 days at the edges of the window, day by day', async () => {
    const h = await startHarness({ now: Date.UTC(2024, 3, 2, 12) });
    try {
      await h.post('/currents', ndjson([
        currents(EVENT, 'e1', at('2024-03-01T00:00:00'), { name: 'Played' }),
        currents(EVENT, 'e2', at('2024-02-29T23:59:59'), { name: 'Played' }),
      ]), NDJSON);
      await h.put('/admin/workspace', {
        segments: [{ id: 'p30', filter: { custom_event: 'Played', within_days: 30 }, analytics_tracking_enabled: true }],
      });
      const got = await series(h, 'p30', 33, '2024-03-31');
      // e2 (02-29 23:59:59) counts from the end of 02-29 to the end of 03-29 (window [end − 30 days, end));
      // e1 (03-01 00:00:00) from the end of 03-01 to the end of 03-30.
      const expected: Array<[string, number]> = [['2024-02-28', 0], ['2024-02-29', 1]];
      for (let d = 1; d <= 31; d++) expected.push([`2024-03-${String(d).padStart(2, '0')}`, d <= 29 ? 2 : d === 30 ? 1 : 0]);
      expect(got).toEqual(expected);
    } finally {
      await h.close();
    }
  });

  it('follows attribute changes to the day they happened, and counts users only once they exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brazen-segdays-'));
    try {
      const at = async (iso: string, work: (h: Harness) => Promise<void>) => {
        const h = await startHarness({ now: Date.parse(iso), dataDir: dir });
        try {
          await work(h);
        } finally {
          await h.close();
        }
      };
      const set = (h: Harness, id: string, country: string) =>
        h.post('/users/track', { attributes: [{ external_id: id, country }] }).then((r) => expect(r.statusCode).toBe(201));
      await at('2024-03-02T09:00:00Z', async (h) => {
        await set(h, 'x', 'FR');
        await set(h, 'y', 'US');
      });
      await at('2024-03-03T15:00:00Z', (h) => set(h, 'x', 'US'));
      await at('2024-03-05T15:00:00Z', (h) => set(h, 'y', 'DE'));
      await at('2024-03-07T12:00:00Z', async (h) => {
        await h.put('/admin/workspace', {
          segments: [
            { id: 'us', filter: { attribute: 'country', op: 'eq', value: 'US' }, analytics_tracking_enabled: true },
            { id: 'not-us', filter: { not: { attribute: 'country', op: 'eq', value: 'US' } }, analytics_tracking_enabled: true },
          ],
        });
        expect(await series(h, 'us', 6, '2024-03-06')).toEqual([
          ['2024-03-01', 0], ['2024-03-02', 1], ['2024-03-03', 2], ['2024-03-04', 2], ['2024-03-05', 1], ['2024-03-06', 1],
        ]);
        // Nobody exists on 03-01; x is FR on 03-02, then US; y becomes DE on 03-05.
        expect(await series(h, 'not-us', 6, '2024-03-06')).toEqual([
          ['2024-03-01', 0], ['2024-03-02', 1], ['2024-03-03', 0], ['2024-03-04', 0], ['2024-03-05', 1], ['2024-03-06', 1],
        ]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

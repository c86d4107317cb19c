import { expect } from 'vitest';
import type { AnalyticsData } from '@brazen/store';
import type { SegmentFilter } from '@brazen/analytics';
import type { ConcernSuite } from './index.ts';
import { at, customEvent, dayLabels, dayUnits, hourUnits, ingest, purchase, record, session } from './support.ts';

export const NOW = at('2024-03-31T12:00:00Z');

/**
 * Four users b1..b4 (external ids u1..u4). Random buckets (first 8 hex digits of md5(braze_id) mod
 * 10,000), worked out with md5sum: b1 edbab455 → 6053, b2 fbfba2e4 → 2452, b3 7a6f150b → 235,
 * b4 3dfe5631 → 8385.
 */
export async function loadUsers(data: AnalyticsData): Promise<void> {
  const u = (n: number) => ({ external_user_id: `u${n}` });
  await ingest(data, [
    session('s1', 'b1', at('2024-03-29T08:00:00Z'), 'app-a', u(1)),
    session('s2', 'b1', at('2024-03-30T08:00:00Z'), 'app-a', u(1)),
    customEvent('e1', 'b1', at('2024-03-20T10:00:00Z'), 'Played', u(1)),
    customEvent('e2', 'b1', at('2024-03-25T10:00:00Z'), 'Played', u(1)),
    customEvent('e3', 'b1', at('2024-03-30T10:00:00Z'), 'Played', u(1)),
    purchase('p1', 'b1', at('2024-03-30T11:00:00Z'), 'Product A', 10, u(1)),
    record('m1', 'users.messages.email.Send', 'b1', at('2024-03-29T09:00:00Z'), { ...u(1), campaign_id: 'c1' }),
    session('s3', 'b2', at('2024-03-15T08:00:00Z'), 'app-a', u(2)),
    customEvent('e4', 'b2', at('2024-03-01T12:00:00Z'), 'Played', u(2)), // now − 30 days exactly
    customEvent('e5', 'b2', at('2024-03-01T11:59:59Z'), 'Played', u(2)), // one second before
    purchase('p2', 'b2', at('2024-03-10T11:00:00Z'), 'Product B', 5, u(2)),
    record('m2', 'users.campaigns.EnrollInControl', 'b2', at('2024-03-29T09:00:00Z'), { ...u(2), campaign_id: 'c2' }),
    session('s4', 'b3', at('2024-01-01T08:00:00Z'), 'app-a', u(3)),
    session('s5', 'b4', at('2024-03-31T10:00:00Z'), 'app-a', u(4)),
    record('m3', 'users.messages.inappmessage.Impression', 'b4', at('2024-03-30T09:00:00Z'), { ...u(4), campaign_id: 'c2' }),
  ]);
  const time = at('2024-03-01T00:00:00Z');
  await data.track({
    attributes: [
      { user: { external_id: 'u1' }, time, values: { country: 'US', age: 30, tags: ['vip', 'beta'], first_name: 'Ann' } },
      { user: { external_id: 'u2' }, time, values: { country: 'CA', age: 25, first_name: 'Bob', newsletter: true } },
      { user: { external_id: 'u3' }, time, values: { country: 'US', first_name: 'Cy', newsletter: false } },
    ],
    events: [],
    purchases: [],
  });
}

export const SEGMENTS: Array<[string, SegmentFilter, number]> = [
  ['country US', { attribute: 'country', op: 'eq', value: 'US' }, 2], // b1 b3
  ['country not US', { attribute: 'country', op: 'ne', value: 'US' }, 2], // b2, and b4 who has no country
  ['country after M', { attribute: 'country', op: 'gt', value: 'M' }, 2], // "US" > "M" > "CA"
  ['age over 26', { attribute: 'age', op: 'gt', value: 26 }, 1], // b1 (30)
  ['age at most 25', { attribute: 'age', op: 'lte', value: 25 }, 1], // b2 (25)
  ['age at least 25', { attribute: 'age', op: 'gte', value: 25 }, 2],
  ['age under 30', { attribute: 'age', op: 'lt', value: 30 }, 1],
  ['age is the text 30', { attribute: 'age', op: 'eq', value: '30' }, 0], // a number is not a text
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
  ['got c1 in a day', { received_campaign: 'c1', within_days: 1 }, 0], // sent 03-29 09:00
  ['got c2', { received_campaign: 'c2' }, 1], // b4's in-app impression; b2's control enrolment is no receipt
  ['bucket 0-2999', { random_bucket: { gte: 0, lte: 2999 } }, 2], // b2 b3
  ['bucket 6053+', { random_bucket: { gte: 6053 } }, 2], // b1 b4
  ['US and not played', { and: [{ attribute: 'country', op: 'eq', value: 'US' }, { not: { custom_event: 'Played', op: 'gte', count: 1 } }] }, 1], // b3
  ['bucket 8000+ or young', { or: [{ random_bucket: { gte: 8000 } }, { attribute: 'age', op: 'lt', value: 26 }] }, 2], // b4 b2
  ['neither US nor CA', { not: { or: [{ attribute: 'country', op: 'eq', value: 'US' }, { attribute: 'country', op: 'eq', value: 'CA' }] } }, 1], // b4
  ['nested', {
    or: [{ and: [{ attribute: 'country', op: 'eq', value: 'US' }, { session_count: { op: 'gte', value: 2 } }] }, { last_session_within_days: 1 }],
  }, 2], // b1 b4
];

/** n1..n4 hold `level` as a number, a text, a boolean and a list. */
export async function loadMixedTypes(data: AnalyticsData): Promise<void> {
  const time = at('2024-03-01T00:00:00Z');
  const values: unknown[] = [3, 'high', true, [3]];
  await data.track({ attributes: values.map((level, i) => ({ user: { braze_id: `n${i + 1}` }, time, values: { level } })), events: [], purchases: [] });
}
const level = (op: 'eq' | 'ne' | 'gt' | 'lt' | 'in', value: string | number | boolean | Array<string | number>) => ({ attribute: 'level', op, value }) as SegmentFilter;
/** A number matches numbers only, a text texts only (in code-point order for gt and lt). */
export const MIXED_TYPES: Array<[string, SegmentFilter, number]> = [
  ['level 3', level('eq', 3), 1], // n1
  ['level over 2', level('gt', 2), 1], // n1
  ['level not 3', level('ne', 3), 3], // n2 n3 n4
  ['level high', level('eq', 'high'), 1], // n2
  ['level before z', level('lt', 'z'), 1], // n2: "high" < "z"
  ['level true', level('eq', true), 1], // n3
  ['level 3 or high', level('in', [3, 'high']), 2], // n1 n2
  ['levels hold 3', { attribute: 'level', op: 'contains', value: 3 }, 1], // n4's list holds 3
];

/** Segments (SPEC §5): sizes at instants, and series restricted to a segment's members. */
export const segmentsContract: ConcernSuite = (it) => {
  it('sizes every leaf kind and their nesting as worked out by hand', async ({ data }) => {
    await loadUsers(data);
    const got: Array<[string, number]> = [];
    for (const [name, filter] of SEGMENTS) got.push([name, (await data.segmentSizes(filter, [{ at: NOW, inclusive: true }]))[0]]);
    expect(got).toEqual(SEGMENTS.map(([name, , size]) => [name, size]));
  });

  it('compares an attribute with a number, a text or a boolean whatever type each user holds', async ({ data }) => {
    await loadMixedTypes(data);
    for (const [name, filter, size] of MIXED_TYPES) expect([name, (await data.segmentSizes(filter, [{ at: NOW, inclusive: true }]))[0]]).toEqual([name, size]);
  });

  it('counts only users seen by the instant, data stamped at it only when inclusive', async ({ data }) => {
    await loadUsers(data);
    const mar1 = at('2024-03-01T00:00:00Z');
    // b3 from Jan 1 08:00; b1..b3 have attributes from Mar 1 00:00; b2 events from Mar 1 11:59:59; b4 Mar 31.
    expect(await data.segmentSizes(undefined, [
      { at: at('2024-01-01T08:00:00Z'), inclusive: false },
      { at: at('2024-01-01T08:00:00Z'), inclusive: true },
      { at: mar1, inclusive: false },
      { at: mar1, inclusive: true },
      { at: NOW, inclusive: true },
    ])).toEqual([0, 1, 1, 3, 4]);
    // Attributes as of the instant: none were set before Mar 1.
    expect(await data.segmentSizes({ attribute: 'country', op: 'eq', value: 'US' }, [{ at: mar1, inclusive: false }, { at: mar1, inclusive: true }])).toEqual([0, 2]);
    expect(await data.segmentSizes(undefined, [])).toEqual([]);
  });

  it('sizes a custom event within 30 days at the end of each day, at the edges of the window', async ({ data }) => {
    await ingest(data, [
      customEvent('x1', 'e1', at('2024-03-01T00:00:00Z'), 'Played'),
      customEvent('x2', 'e2', at('2024-02-29T23:59:59Z'), 'Played'),
    ]);
    const days = dayLabels('2024-02-28', 33);
    const ends = days.map((d) => ({ at: Date.parse(`${d}T00:00:00Z`) / 1000 + 86_400, inclusive: false }));
    const got = await data.segmentSizes({ custom_event: 'Played', op: 'gte', count: 1, within_days: 30 }, ends);
    // x2 (02-29 23:59:59) counts from the end of 02-29 to the end of 03-29 (window [end − 30 days, end));
    // x1 (03-01 00:00:00) from the end of 03-01 to the end of 03-30.
    expect(days.map((d, i) => [d, got[i]])).toEqual(days.map((d, i) => [d, i === 0 ? 0 : i === 1 ? 1 : i <= 30 ? 2 : i === 31 ? 1 : 0]));
    expect(await data.segmentSizes({ custom_event: 'Played', op: 'gte', count: 1, within_days: 30 }, [{ at: at('2024-03-01T00:00:00Z'), inclusive: true }])).toEqual([2]);
  });

  it("restricts counter series to the segment's members as of an instant", async ({ data }) => {
    await loadUsers(data);
    const us: SegmentFilter = { attribute: 'country', op: 'eq', value: 'US' };
    // Sessions: b1 on 03-29 and 03-30 (US), b2 on 03-15, b3 on Jan 1 (US), b4 on 03-31.
    const days = dayUnits(3, at('2024-03-31T00:00:00Z'));
    expect((await data.counterSeries({ kind: 'session', units: days })).map((t) => t.count)).toEqual([1, 1, 1]);
    expect((await data.segmentCounterSeries({ kind: 'session', units: days }, us, NOW)).map((t) => t.count)).toEqual([1, 1, 0]);
    const hours = hourUnits(3, at('2024-03-30T09:00:00Z'));
    expect((await data.segmentCounterSeries({ kind: 'session', appId: 'app-a', units: hours }, us, NOW)).map((t) => t.count)).toEqual([0, 1, 0]);
    // Not US: b2 (played twice on 03-01) and b4 (never).
    const played = await data.segmentCounterSeries({ kind: 'custom_event', name: 'Played', units: dayUnits(31, NOW) }, { not: us }, NOW);
    expect(played.map((t) => t.count)).toEqual([2, ...new Array<number>(30).fill(0)]);
    // Purchases of the US members: b1's Product A, $10.
    expect(await data.segmentCounterSeries({ kind: 'purchase', units: dayUnits(1, at('2024-03-30T00:00:00Z')) }, us, NOW)).toEqual([{ count: 1, quantity: 1, revenue: 10 }]);
    // Members as of Mar 1 00:00 (inclusive): the attributes set then count; the whole population without a filter.
    expect((await data.segmentCounterSeries({ kind: 'session', units: days }, us, at('2024-03-01T00:00:00Z'))).map((t) => t.count)).toEqual([1, 1, 0]);
    expect((await data.segmentCounterSeries({ kind: 'session', units: days }, undefined, NOW)).map((t) => t.count)).toEqual([1, 1, 1]);
  });
};

import { describe, expect, it } from 'vitest';
import type { AttributeEntry } from '../records.ts';
import { at, event, recorded } from '../records.fixture.ts';
import { seriesUnits } from '../time.ts';
import { parseSegmentFilter } from './filter.ts';
import { randomBucket } from '../identity/keys.ts';
import { segmentCounterTotals, segmentMembers, segmentSizes, type SegmentInstant } from './evaluate.ts';

let seq = 0;
const attr = (user: string, name: string, value: unknown, iso: string): AttributeEntry => ({ user, name, value, time: at(iso), seq: ++seq });
const ev = (type: string, user: string, iso: string, fields: Parameters<typeof event>[3] = {}) =>
  event(`users.${type}`, user, at(iso), fields);

// u1: made 03-01; u2: made 03-03; u3: first seen 03-10 08:00 (its session).
const DATA = recorded(
  [
    ev('behaviors.CustomEvent', 'u1', '2024-03-02T12:00:00Z', { name: 'Played' }),
    ev('behaviors.CustomEvent', 'u1', '2024-03-03T12:00:00Z', { name: 'Played' }),
    ev('behaviors.CustomEvent', 'u1', '2024-03-04T12:00:00Z', { name: 'Played' }),
    ev('behaviors.Purchase', 'u1', '2024-03-03T12:00:00Z', { name: 'gold', revenue: 1 }),
    ev('behaviors.app.SessionStart', 'u1', '2024-03-01T10:00:00Z'),
    ev('behaviors.app.SessionStart', 'u1', '2024-03-04T10:00:00Z'),
    ev('messages.email.Send', 'u1', '2024-03-02T09:00:00Z', { campaignId: 'c1' }),
    ev('behaviors.CustomEvent', 'u2', '2024-03-04T12:00:00Z', { name: 'Played' }),
    ev('campaigns.EnrollInControl', 'u2', '2024-03-04T12:00:00Z', { campaignId: 'c1' }), // in control: received nothing
    ev('messages.inappmessage.Impression', 'u2', '2024-03-04T13:00:00Z', { campaignId: 'c2' }),
    ev('behaviors.app.SessionStart', 'u2', '2024-03-06T10:00:00Z'),
    ev('behaviors.app.SessionStart', 'u3', '2024-03-10T08:00:00Z'),
  ],
  [
    attr('u1', 'country', 'US', '2024-03-01T01:00:00Z'),
    attr('u1', 'age', 30, '2024-03-01T01:00:00Z'),
    attr('u1', 'tags', ['vip', 5], '2024-03-01T01:00:00Z'),
    attr('u1', 'name', "O'Brien", '2024-03-01T01:00:00Z'),
    attr('u1', 'country', 'CA', '2024-03-05T00:00:00Z'), // exactly at the end of 03-04
    attr('u2', 'country', 'US', '2024-03-03T00:00:00Z'),
    attr('u2', 'age', '30', '2024-03-03T00:00:00Z'), // text, not a number
    attr('u2', 'country', null, '2024-03-06T00:00:00Z'), // unset
  ],
  [{ brazeId: 'u1', createdAt: at('2024-03-01T00:00:00Z') }, { brazeId: 'u2', createdAt: at('2024-03-03T00:00:00Z') }],
);

/** The end of 03-04 (data stamped 03-05 00:00 is after it), the instant 03-05 00:00 itself, and now. */
const END_0304: SegmentInstant = { at: at('2024-03-05T00:00:00Z'), inclusive: false };
const AT_0305: SegmentInstant = { at: at('2024-03-05T00:00:00Z'), inclusive: true };
const NOW: SegmentInstant = { at: at('2024-03-10T12:00:00Z'), inclusive: true };

/** Sizes of a filter at the three instants. */
const sizes = (filter: unknown) => segmentSizes(DATA, parseSegmentFilter(filter), [END_0304, AT_0305, NOW]);

describe('segment filters evaluated from the records', () => {
  it('counts the users that existed by each instant', () => {
    // u1 (03-01) and u2 (03-03) by 03-05; u3 too by now.
    expect(segmentSizes(DATA, undefined, [END_0304, NOW])).toEqual([2, 3]);
    // Members now are every user, even one first seen after the instant: u3 has no country.
    expect(segmentMembers(DATA, parseSegmentFilter({ attribute: 'country', op: 'not_exists' }), END_0304).sort()).toEqual(['u3']);
    expect(segmentSizes(DATA, parseSegmentFilter({ attribute: 'country', op: 'not_exists' }), [END_0304])).toEqual([0]);
  });

  it('reads an attribute as it was at the instant: inclusive or not, a null unsets', () => {
    // End of 03-04: u1 US (CA comes at 03-05 00:00, not before), u2 US. At 03-05 00:00 inclusive: u1 CA.
    // Now: u1 CA, u2 unset, u3 never set.
    expect(sizes({ attribute: 'country', op: 'eq', value: 'US' })).toEqual([2, 1, 0]);
    expect(sizes({ attribute: 'country', op: 'exists' })).toEqual([2, 2, 1]);
    expect(sizes({ attribute: 'country', op: 'ne', value: 'US' })).toEqual([0, 1, 3]);
    expect(sizes({ attribute: 'country', op: 'in', value: ['CA', 'MX'] })).toEqual([0, 1, 1]);
    expect(sizes({ not: { attribute: 'country', op: 'eq', value: 'US' } })).toEqual([0, 1, 3]);
  });

  it('compares numbers with numbers and text with text', () => {
    // u1's age is the number 30, u2's the text "30".
    expect(sizes({ attribute: 'age', op: 'eq', value: 30 })).toEqual([1, 1, 1]);
    expect(sizes({ attribute: 'age', op: 'eq', value: '30' })).toEqual([1, 1, 1]);
    expect(sizes({ attribute: 'age', op: 'gt', value: 29 })).toEqual([1, 1, 1]); // u1 only
    expect(segmentMembers(DATA, parseSegmentFilter({ attribute: 'age', op: 'lte', value: '30' }), NOW)).toEqual(['u2']);
    // Text in code-point order: "30" < "4"; "CA" >= "C".
    expect(segmentMembers(DATA, parseSegmentFilter({ attribute: 'age', op: 'lt', value: '4' }), NOW)).toEqual(['u2']);
    expect(segmentMembers(DATA, parseSegmentFilter({ attribute: 'country', op: 'gte', value: 'C' }), NOW)).toEqual(['u1']);
  });

  it('finds text in text and items in arrays', () => {
    expect(segmentMembers(DATA, parseSegmentFilter({ attribute: 'tags', op: 'contains', value: 'vip' }), NOW)).toEqual(['u1']);
    expect(segmentMembers(DATA, parseSegmentFilter({ attribute: 'tags', op: 'contains', value: 5 }), NOW)).toEqual(['u1']);
    expect(segmentMembers(DATA, parseSegmentFilter({ attribute: 'tags', op: 'contains', value: 'vi' }), NOW)).toEqual([]); // an item, not part of one
    expect(segmentMembers(DATA, parseSegmentFilter({ attribute: 'name', op: 'contains', value: "'B" }), NOW)).toEqual(['u1']);
  });

  it('counts events in windows of whole days before the instant', () => {
    // Played: u1 on 03-02, 03-03, 03-04 (noon); u2 on 03-04.
    expect(sizes({ custom_event: 'Played', op: 'gte', count: 3 })).toEqual([1, 1, 1]);
    // Two days before the end of 03-04 is 03-03 00:00: u1's 03-03 and 03-04. Now (03-08 12:00 on): none.
    expect(sizes({ custom_event: 'Played', op: 'gte', count: 2, within_days: 2 })).toEqual([1, 1, 0]);
    expect(sizes({ custom_event: 'Played', op: 'eq', count: 0 })).toEqual([0, 0, 1]); // u3
    expect(sizes({ purchased: 'gold' })).toEqual([1, 1, 1]);
    expect(sizes({ purchased: null, op: 'gte', count: 1, within_days: 1 })).toEqual([0, 0, 0]); // 03-03 noon is 1.5 days before
    // A session in the last day now (from 03-09 12:00): u3's at 03-10 08:00.
    expect(sizes({ last_session_within_days: 1 })).toEqual([1, 1, 1]); // u1's 03-04 10:00 at the first two
    expect(sizes({ session_count: { op: 'gte', value: 2 } })).toEqual([1, 1, 1]);
  });

  it('counts sends and in-app impressions as receiving a campaign, not a control enrolment', () => {
    expect(sizes({ received_campaign: 'c1' })).toEqual([1, 1, 1]); // u1's send; u2 is in control
    expect(segmentMembers(DATA, parseSegmentFilter({ received_campaign: 'c2' }), NOW)).toEqual(['u2']);
    expect(sizes({ received_campaign: 'c1', within_days: 2 })).toEqual([0, 0, 0]); // 03-02 09:00 is 2.6 days before 03-05
  });

  it('buckets users by md5 of their braze_id', () => {
    // md5("abc") = 90015098...: 0x90015098 = 2416005272, % 10000 = 5272. u1: e4774cdd → 3709,
    // u2: 270c1b08 → 4776, u3: 532a7b8e → 3070.
    expect(['abc', 'u1', 'u2', 'u3'].map(randomBucket)).toEqual([5272, 3709, 4776, 3070]);
    expect(sizes({ random_bucket: { gte: 3500, lte: 4000 } })).toEqual([1, 1, 1]);
    expect(sizes({ or: [{ random_bucket: { lte: 3500 } }, { random_bucket: { gte: 4500 } }] })).toEqual([1, 1, 2]);
    expect(sizes({ and: [{ random_bucket: { gte: 3000 } }, { session_count: { op: 'gte', value: 1 } }] })).toEqual([1, 1, 3]);
  });

  it('counts the events of the members now', () => {
    // Received c1: u1, whose sessions are on 03-01 and 03-04.
    const units = { unit: 'day' as const, zone: 'UTC', list: seriesUnits('day', 5, at('2024-03-05T00:00:00Z'), 'UTC') };
    const totals = segmentCounterTotals(DATA, { kind: 'session', units }, parseSegmentFilter({ received_campaign: 'c1' }), NOW.at);
    expect(totals.map((t) => t.count)).toEqual([1, 0, 0, 1, 0]);
  });
});

import { describe, expect, it } from 'vitest';
import { describeFilter, parseSegmentFilter } from '@brazen/analytics';

describe('segment filters', () => {
  it('fills in the defaults of counted leaves: at least once, ever', () => {
    expect(parseSegmentFilter({ custom_event: 'Played' })).toEqual({ custom_event: 'Played', op: 'gte', count: 1 });
    expect(parseSegmentFilter({ purchased: null, within_days: 90 })).toEqual({ purchased: null, op: 'gte', count: 1, within_days: 90 });
  });

  it('names the path of what is wrong', () => {
    const error = (f: unknown) => {
      try {
        parseSegmentFilter(f, 'segments[2].filter');
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(error({ or: [] })).toBe('segments[2].filter.or must be a non-empty array of filters');
    expect(error({ and: [{ attribute: 'a', op: 'in', value: [] }] })).toBe(
      'segments[2].filter.and[0].value must be a non-empty array of strings, numbers or booleans with op in',
    );
    expect(error({ not: { attribute: 'a', op: 'exists', value: 1 } })).toBe('segments[2].filter.not.value must be left out with op exists');
    expect(error({ random_bucket: { gte: 5000, lte: 10 } })).toBe('segments[2].filter.random_bucket.gte must not be greater than lte');
    expect(error({ session_count: { op: 'gte', value: -1 } })).toBe('segments[2].filter.session_count.value must be an integer of at least 0');
    expect(error({ received_campaign: 'c', extra: 1 })).toBe('segments[2].filter.extra is not a known field here (allowed: received_campaign, within_days)');
    expect(error('US')).toBe('segments[2].filter must be an object such as {"and": [...]} or a leaf such as {"attribute": ...}');
  });

  it('says a filter in words', () => {
    expect(describeFilter(undefined)).toBe('All users');
    expect(describeFilter(parseSegmentFilter({
      or: [
        { attribute: 'country', op: 'in', value: ['US', 'CA'] },
        { and: [{ last_session_within_days: 7 }, { not: { purchased: 'Gold', op: 'gt', count: 2 } }] },
      ],
    }))).toBe('country is one of "US", "CA" or (had a session in the last 7 days and not (purchased product "Gold" more than 2 times))');
    expect(describeFilter(parseSegmentFilter({ session_count: { op: 'eq', value: 1 } }))).toBe('has had exactly 1 session');
    expect(describeFilter(parseSegmentFilter({ random_bucket: { lte: 499 } }))).toBe('random bucket number is at most 499');
  });
});

import { describe, expect, it } from 'vitest';
import { channelFigures, hasFigures, stepsOf } from '../src/app/messages.ts';
import { parseMetrics } from '../src/app/pages/ingestion.ts';
import { addDays, daysBetween, endingAt, periodFrom, rollUp, splitPeriods } from '../src/app/period.ts';
import { href, parseRoute } from '../src/app/route.ts';

describe('periods', () => {
  it('reads days and the last day from the address, 30 days ending today by default', () => {
    expect(periodFrom(new URLSearchParams(''))).toEqual({ days: 30 });
    expect(periodFrom(new URLSearchParams('days=7&to=2024-03-31'))).toEqual({ days: 7, to: '2024-03-31' });
    expect(periodFrom(new URLSearchParams('days=0&to=yesterday'))).toEqual({ days: 30 });
    expect(endingAt({ days: 7 })).toEqual({});
    expect(endingAt({ days: 7, to: '2024-03-31' })).toEqual({ ending_at: '2024-03-31' });
  });
  it('counts calendar days across months, leap days and DST changes', () => {
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2024-03-09', 2)).toBe('2024-03-11');
    expect(daysBetween('2024-02-01', '2024-03-01')).toBe(30);
    expect(daysBetween('2024-03-31', '2024-03-31')).toBe(1);
  });
  it('splits 2n days into the previous period and this one, and rolls each up', () => {
    expect(splitPeriods([1, 2, 3, 4, 5, 6], 3)).toEqual({ previous: [1, 2, 3], current: [4, 5, 6] });
    expect(rollUp([2, 4, 9], 'average')).toBe(5);
    expect(rollUp([2, 4, 9], 'last')).toBe(9);
    expect(rollUp([2, 4, 9], 'sum')).toBe(15);
    expect(rollUp([], 'average')).toBe(0);
  });
});

describe('routes', () => {
  it('keeps the period and the app from page to page', () => {
    const route = parseRoute('#/campaigns/c%201?days=7&to=2024-03-31&app=ios&archived=1');
    expect(route.parts).toEqual(['campaigns', 'c 1']);
    expect(href(['segments'], route.params)).toBe('#/segments?days=7&to=2024-03-31&app=ios');
    expect(parseRoute('#/').parts).toEqual([]);
  });
});

describe("a campaign's figures", () => {
  const day = (a: number, b: number) => ({
    messages: {
      email: [
        { variation_name: 'A', variation_api_id: 'va', sent: a, delivered: a - 1, unique_opens: 1, unique_clicks: 0, conversions: 0, revenue: 2.5 },
        { variation_name: 'B', variation_api_id: 'vb', sent: b, delivered: b, unique_opens: 0, unique_clicks: 0, conversions: 1, revenue: 0 },
      ],
      webhook: [{ variation_name: 'W', variation_api_id: 'vw', sent: 0, errors: 0 }],
    },
  });
  it('sums each variation over the days and keeps each day', () => {
    const [email, webhook] = channelFigures([day(10, 20), day(5, 0)]);
    expect(email.variations.map((v) => [v.id, v.counters.sent, v.counters.delivered, v.counters.revenue])).toEqual([['va', 15, 13, 5], ['vb', 20, 20, 0]]);
    expect(email.daily.get('vb')?.get('sent')).toEqual([20, 0]);
    expect(stepsOf(email)).toEqual(['sent', 'delivered', 'unique_opens', 'unique_clicks', 'conversions']);
    expect([hasFigures(email), hasFigures(webhook)]).toEqual([true, false]);
  });
});

describe('/metrics', () => {
  it('reads samples with their labels', () => {
    const text = [
      '# HELP brazen_rejected_records_total Records rejected',
      '# TYPE brazen_rejected_records_total counter',
      'brazen_rejected_records_total{endpoint="/currents",reason="unknown event_type"} 3',
      'brazen_ingested_records_total{endpoint="/users/track"} 12',
      'brazen_process_resident_memory_bytes 1234',
    ].join('\n');
    expect(parseMetrics(text)).toEqual([
      { name: 'brazen_rejected_records_total', labels: { endpoint: '/currents', reason: 'unknown event_type' }, value: 3 },
      { name: 'brazen_ingested_records_total', labels: { endpoint: '/users/track' }, value: 12 },
      { name: 'brazen_process_resident_memory_bytes', labels: {}, value: 1234 },
    ]);
  });
});

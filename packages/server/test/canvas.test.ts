import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, currents, ndjson, startHarness, type Harness } from './harness.ts';

const NDJSON = { 'content-type': 'application/x-ndjson' };
const DAY = 86_400;

/** Two variants (A starts at st-1, B at st-2), both leading to st-3; st-old was deleted from the Canvas. */
const CANVAS = {
  id: 'cv-1',
  name: 'Welcome journey',
  created_at: '2024-02-01T00:00:00+00:00',
  updated_at: '2024-02-10T00:00:00+00:00',
  schedule_type: 'action_based',
  tags: ['onboarding'],
  variants: [
    { id: 'var-a', name: 'Variant A', first_step_ids: ['st-1'] },
    { id: 'var-b', name: 'Variant B', first_step_ids: ['st-2'] },
  ],
  steps: [
    { id: 'st-1', name: 'Welcome email', next_step_ids: ['st-3'], channels: ['email'], messages: { 'm-email': { channel: 'email', name: 'Welcome' } } },
    { id: 'st-2', name: 'Welcome push', next_step_ids: ['st-3'], channels: ['ios_push'], messages: { 'm-push': { channel: 'ios_push', name: 'Hello' } } },
    { id: 'st-3', name: 'Follow-up', next_step_ids: [], channels: ['webhook'], messages: { 'm-hook': { channel: 'webhook', name: 'Hook' } } },
    { id: 'st-old', name: 'Old SMS', deleted: true, next_step_ids: [], channels: ['sms'], messages: { 'm-sms': { channel: 'sms', name: 'Old' } } },
  ],
  conversion_behaviors: [{ type: 'Makes Any Purchase', window: DAY }],
};

const entry = (user: string, time: string, variant: string, step: string) =>
  currents('users.canvas.Entry', user, at(time), { canvas_id: 'cv-1', canvas_variation_id: variant, canvas_step_id: step });
const step = (user: string, type: string, time: string, variant: string, stepId: string, variation: string, extra = {}) =>
  currents(type, user, at(time), {
    canvas_id: 'cv-1', canvas_variation_id: variant, canvas_step_id: stepId, canvas_step_message_variation_id: variation, ...extra,
  });
const buy = (user: string, time: string, price: number) =>
  currents('users.behaviors.Purchase', user, at(time), { product_id: 'sku', price, currency: 'USD' });

const RECORDS = [
  entry('u1', '2024-03-10T08:00:00', 'var-a', 'st-1'),
  entry('u2', '2024-03-10T09:00:00', 'var-a', 'st-1'),
  entry('u3', '2024-03-11T08:00:00', 'var-b', 'st-2'),
  step('u1', 'users.messages.email.Send', '2024-03-10T08:00:00', 'var-a', 'st-1', 'm-email'),
  step('u1', 'users.messages.email.Open', '2024-03-10T08:30:00', 'var-a', 'st-1', 'm-email'),
  step('u3', 'users.messages.pushnotification.Send', '2024-03-11T08:00:00', 'var-b', 'st-2', 'm-push', { platform: 'ios' }),
  step('u2', 'users.messages.sms.Send', '2024-03-10T09:00:00', 'var-a', 'st-old', 'm-sms'),
  buy('u1', '2024-03-10T20:00:00', 30), // inside u1's entry and email windows
  buy('u3', '2024-03-12T07:00:00', 12), // 23 hours after u3's entry: converts on Mar 12, by entry on Mar 11
  buy('u2', '2024-03-11T09:00:01', 5), // one second after u2's window
];

const email = (figures: Record<string, number> = {}) => ({
  variation_name: 'Welcome', variation_api_id: 'm-email', sent: 0, opens: 0, unique_opens: 0, machine_opens: 0, clicks: 0,
  unique_clicks: 0, unsubscribes: 0, bounces: 0, delivered: 0, reported_spam: 0, unique_recipients: 0, revenue: 0,
  conversions: 0, conversions_by_send_time: 0, ...figures,
});
const push = (figures: Record<string, number> = {}) => ({
  variation_name: 'Hello', variation_api_id: 'm-push', sent: 0, direct_opens: 0, total_opens: 0, bounces: 0, body_clicks: 0,
  unique_recipients: 0, revenue: 0, conversions: 0, conversions_by_send_time: 0, ...figures,
});
const hook = { variation_name: 'Hook', variation_api_id: 'm-hook', sent: 0, errors: 0, unique_recipients: 0, revenue: 0, conversions: 0, conversions_by_send_time: 0 };
const zero = { revenue: 0, conversions: 0, conversions_by_entry_time: 0 };

describe('Canvas', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: Date.UTC(2024, 2, 31, 12) });
    const res = await h.post('/currents', ndjson(RECORDS), NDJSON);
    expect(res.statusCode, res.body).toBe(201);
    // definitions after the data: the rollups are rebuilt for them
    expect((await h.put('/admin/workspace', { canvases: [CANVAS] })).statusCode).toBe(200);
  });
  afterAll(() => h.close());

  const get = async (path: string, query: Record<string, string | number | boolean>) => {
    const res = await h.get(path, query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('answers entries, conversions by day and by entry day, and revenue, with variant breakdown', async () => {
    const body = await get('/canvas/data_series', { canvas_id: 'cv-1', length: 3, ending_at: '2024-03-12T23:00:00Z', include_variant_breakdown: true });
    expect(body).toEqual({
      message: 'success',
      data: {
        name: 'Welcome journey',
        stats: [
          {
            time: '2024-03-10',
            total_stats: { entries: 2, revenue: 30, conversions: 1, conversions_by_entry_time: 1 },
            variant_stats: {
              'var-a': { name: 'Variant A', entries: 2, revenue: 30, conversions: 1, conversions_by_entry_time: 1 },
              'var-b': { name: 'Variant B', entries: 0, ...zero },
            },
          },
          {
            time: '2024-03-11',
            total_stats: { entries: 1, revenue: 0, conversions: 0, conversions_by_entry_time: 1 },
            variant_stats: {
              'var-a': { name: 'Variant A', entries: 0, ...zero },
              'var-b': { name: 'Variant B', entries: 1, revenue: 0, conversions: 0, conversions_by_entry_time: 1 },
            },
          },
          {
            time: '2024-03-12',
            total_stats: { entries: 0, revenue: 12, conversions: 1, conversions_by_entry_time: 0 },
            variant_stats: {
              'var-a': { name: 'Variant A', entries: 0, ...zero },
              'var-b': { name: 'Variant B', entries: 0, revenue: 12, conversions: 1, conversions_by_entry_time: 0 },
            },
          },
        ],
      },
    });
  });

  it('breaks down by step with per-channel message stats, deleted steps only when asked', async () => {
    const q = { canvas_id: 'cv-1', length: 1, ending_at: '2024-03-10', include_step_breakdown: true };
    const body = await get('/canvas/data_series', q);
    expect(body.data.stats[0].step_stats).toEqual({
      'st-1': {
        name: 'Welcome email', revenue: 30, conversions: 1, conversions_by_entry_time: 1,
        messages: { email: [email({ sent: 1, opens: 1, unique_opens: 1, unique_recipients: 1, revenue: 30, conversions: 1, conversions_by_send_time: 1 })] },
      },
      'st-2': { name: 'Welcome push', ...zero, messages: { ios_push: [push()] } },
      'st-3': { name: 'Follow-up', ...zero, messages: { webhook: [hook] } },
    });
    expect(body.data.stats[0].variant_stats).toBeUndefined();
    const withDeleted = await get('/canvas/data_series', { ...q, include_deleted_step_data: true });
    expect(withDeleted.data.stats[0].step_stats['st-old']).toEqual({
      name: 'Old SMS', ...zero,
      messages: {
        sms: [{
          variation_name: 'Old', variation_api_id: 'm-sms', sent: 1, sent_to_carrier: 0, delivered: 0, undelivered: 0, rejected: 0,
          delivery_failed: 0, clicks: 0, opt_out: 0, help: 0, unique_recipients: 1, revenue: 0, conversions: 0, conversions_by_send_time: 0,
        }],
      },
    });
  });

  it('summarises the same window, given by starting_at', async () => {
    const body = await get('/canvas/data_summary', {
      canvas_id: 'cv-1', starting_at: '2024-03-10T00:00:00Z', ending_at: '2024-03-12T23:00:00Z', include_variant_breakdown: true,
      include_step_breakdown: true,
    });
    expect(body.data.name).toBe('Welcome journey');
    expect(body.data.total_stats).toEqual({ entries: 3, revenue: 42, conversions: 2, conversions_by_entry_time: 2 });
    expect(body.data.variant_stats).toEqual({
      'var-a': { name: 'Variant A', entries: 2, revenue: 30, conversions: 1, conversions_by_entry_time: 1 },
      'var-b': { name: 'Variant B', entries: 1, revenue: 12, conversions: 1, conversions_by_entry_time: 1 },
    });
    expect(body.data.step_stats['st-2']).toEqual({
      name: 'Welcome push', revenue: 12, conversions: 1, conversions_by_entry_time: 1,
      messages: { ios_push: [push({ sent: 1, unique_recipients: 1, revenue: 12, conversions: 1, conversions_by_send_time: 1 })] },
    });
    // two days from starting_at to ending_at
    const two = await get('/canvas/data_series', { canvas_id: 'cv-1', starting_at: '2024-03-11', ending_at: '2024-03-12T10:00:00Z' });
    expect(two.data.stats.map((s: { time: string; total_stats: { entries: number } }) => [s.time, s.total_stats.entries])).toEqual([
      ['2024-03-11', 1], ['2024-03-12', 0],
    ]);
  });

  it('describes the Canvas: variants, the steps graph without deleted steps, first and last entry', async () => {
    const body = await get('/canvas/details', { canvas_id: 'cv-1' });
    expect(body).toEqual({
      message: 'success',
      name: 'Welcome journey',
      created_at: '2024-02-01T00:00:00+00:00',
      updated_at: '2024-02-10T00:00:00+00:00',
      archived: false,
      draft: false,
      schedule_type: 'action_based',
      first_entry: '2024-03-10T08:00:00+00:00',
      last_entry: '2024-03-11T08:00:00+00:00',
      channels: ['email', 'ios_push', 'webhook'],
      variants: [
        { id: 'var-a', name: 'Variant A', first_step_ids: ['st-1'], first_step_id: 'st-1' },
        { id: 'var-b', name: 'Variant B', first_step_ids: ['st-2'], first_step_id: 'st-2' },
      ],
      tags: ['onboarding'],
      steps: CANVAS.steps.slice(0, 3),
    });
  });

  it('lists Canvases', async () => {
    const body = await get('/canvas/list', {});
    expect(body).toEqual({
      message: 'success',
      canvases: [{ id: 'cv-1', last_edited: '2024-02-10T00:00:00+00:00', name: 'Welcome journey', tags: ['onboarding'] }],
    });
  });

  it('rejects bad input with a 4xx naming the parameter', async () => {
    const cases: Array<[string, Record<string, string | number>, string]> = [
      ['/canvas/data_series', { canvas_id: 'nope', length: 3 }, 'canvas_id nope does not name a Canvas of this workspace'],
      ['/canvas/data_series', { canvas_id: 'cv-1', length: 15 }, 'length must be an integer between 1 and 14'],
      ['/canvas/data_series', { canvas_id: 'cv-1', length: 0 }, 'length must be an integer between 1 and 14'],
      ['/canvas/data_summary', { canvas_id: 'cv-1' }, 'length or starting_at is required (length must be an integer between 1 and 14)'],
      ['/canvas/data_series', { canvas_id: 'cv-1', starting_at: '2024-03-12', ending_at: '2024-03-11' }, 'starting_at must not be after ending_at'],
      ['/canvas/data_series', { canvas_id: 'cv-1', starting_at: 'yesterday' }, 'starting_at must be an ISO 8601 date or date-time (e.g. 2024-03-01T23:59:59-05:00)'],
      ['/canvas/details', { canvas_id: 'nope' }, 'canvas_id nope does not name a Canvas of this workspace'],
    ];
    for (const [path, query, message] of cases) {
      const res = await h.get(path, query);
      expect([path, res.statusCode, res.json().message]).toEqual([path, 400, message]);
    }
  });
});

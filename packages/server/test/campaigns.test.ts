import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { onClickHouse } from './test-store.ts';
import { at, currents, ndjson, startHarness, type Harness } from './harness.ts';

const NDJSON = { 'content-type': 'application/x-ndjson' };
const EMAIL = 'users.messages.email.';
const PUSH = 'users.messages.pushnotification.';
const SMS = 'users.messages.sms.';
const WEBHOOK = 'users.messages.webhook.';
const IAM = 'users.messages.inappmessage.';
const CARD = 'users.messages.contentcard.';
const WA = 'users.messages.whatsapp.';
const PURCHASE = 'users.behaviors.Purchase';
const CONTROL = 'users.campaigns.EnrollInControl';

const H = 3600;
const DAY = 86_400;

/**
 * Campaign A: multichannel (2 email variations, Android push, SMS, webhook) with an email control.
 * Campaign B: multivariate in-app (2 variations and a control), a Content Card and WhatsApp.
 * Between them the seven conversion behaviour types of the seeds.
 * Campaign API: an API campaign with two send ids.
 */
const WORKSPACE = {
  campaigns: [
    {
      id: 'cmp-a',
      name: 'Spring sale',
      created_at: '2024-02-01T10:00:00+00:00',
      updated_at: '2024-02-05T10:00:00+00:00',
      schedule_type: 'time_based',
      tags: ['sale'],
      messages: {
        'a-email-1': { channel: 'email', name: 'Email A', subject: 'Hi', body: '<p>Hi</p>', from: 'Shop <shop@example.com>' },
        'a-email-2': { channel: 'email', name: 'Email B', subject: 'Hello' },
        'a-push': { channel: 'android_push', name: 'Push', alert: 'Sale!' },
        'a-sms': { channel: 'sms', name: 'SMS', body: 'Sale', from: '+15550000000', subscription_group_id: 'sg-1' },
        'a-webhook': { channel: 'webhook', name: 'Hook', url: 'https://example.com/hook', method: 'POST' },
        'a-control': { channel: 'email', name: 'Control', type: 'control' },
      },
      conversion_behaviors: [
        { type: 'Makes Specific Purchase', window: DAY, product: 'sku-1' },
        { type: 'Opens Email', window: H },
        { type: 'Clicks Email', window: DAY },
      ],
    },
    {
      id: 'cmp-b',
      name: 'Onboarding',
      created_at: '2024-02-02T10:00:00+00:00',
      updated_at: '2024-02-02T10:00:00+00:00',
      messages: {
        'b-iam-1': { channel: 'trigger_in_app_message', name: 'Modal 1' },
        'b-iam-2': { channel: 'trigger_in_app_message', name: 'Modal 2' },
        'b-control': { channel: 'trigger_in_app_message', name: 'Control', type: 'control' },
        'b-cc': { channel: 'content_cards', name: 'Card' },
        'b-wa': { channel: 'whats_app', name: 'WhatsApp' },
      },
      conversion_behaviors: [
        { type: 'Performs Custom Event', window: 2 * H, custom_event_name: 'played' },
        { type: 'Starts Session', window: DAY, app_ids: ['app-1'] },
        { type: 'Upgrades App', window: DAY, app_ids: null },
        { type: 'Makes Any Purchase', window: DAY },
      ],
    },
    {
      id: 'cmp-api',
      name: 'Transactional',
      is_api_campaign: true,
      created_at: '2024-02-03T10:00:00+00:00',
      updated_at: '2024-02-03T10:00:00+00:00',
      messages: { 'api-push': { channel: 'ios_push', name: 'Receipt' } },
      conversion_behaviors: [{ type: 'Makes Any Purchase', window: DAY }],
    },
  ],
};

const a = (user: string, type: string, time: string, variation: string, extra: Record<string, unknown> = {}) =>
  currents(type, user, at(time), { campaign_id: 'cmp-a', message_variation_id: variation, ...extra });
const b = (user: string, type: string, time: string, variation: string, extra: Record<string, unknown> = {}) =>
  currents(type, user, at(time), { campaign_id: 'cmp-b', message_variation_id: variation, ...extra });
const api = (user: string, type: string, time: string, send: string) =>
  currents(type, user, at(time), { campaign_id: 'cmp-api', message_variation_id: 'api-push', send_id: send, platform: 'ios' });
const buy = (user: string, time: string, product: string, price: number) =>
  currents(PURCHASE, user, at(time), { product_id: product, price, currency: 'USD' });

const RECORDS = [
  // ---- campaign A, 2024-03-10
  a('u1', `${EMAIL}Send`, '2024-03-10T09:00:00', 'a-email-1'),
  a('u2', `${EMAIL}Send`, '2024-03-10T09:00:00', 'a-email-1'),
  a('u3', `${EMAIL}Send`, '2024-03-10T09:00:00', 'a-email-2'),
  a('u4', `${EMAIL}Send`, '2024-03-10T09:00:00', 'a-email-2'),
  a('u1', `${EMAIL}Delivery`, '2024-03-10T09:01:00', 'a-email-1'),
  a('u2', `${EMAIL}Delivery`, '2024-03-10T09:01:00', 'a-email-1'),
  a('u3', `${EMAIL}Delivery`, '2024-03-10T09:01:00', 'a-email-2'),
  a('u4', `${EMAIL}Bounce`, '2024-03-10T09:02:00', 'a-email-2'),
  a('u1', `${EMAIL}Open`, '2024-03-10T09:30:00', 'a-email-1'),
  a('u1', `${EMAIL}Open`, '2024-03-10T09:50:00', 'a-email-1'),
  a('u2', `${EMAIL}Open`, '2024-03-10T11:00:00', 'a-email-1', { machine_open: 'true' }),
  a('u1', `${EMAIL}Click`, '2024-03-10T09:40:00', 'a-email-1'),
  a('u3', `${EMAIL}Click`, '2024-03-10T12:00:00', 'a-email-2'),
  a('u3', `${EMAIL}Click`, '2024-03-10T12:00:30', 'a-email-2'),
  a('u2', `${EMAIL}Unsubscribe`, '2024-03-10T11:30:00', 'a-email-1'),
  a('u3', `${EMAIL}MarkAsSpam`, '2024-03-10T13:00:00', 'a-email-2'),
  a('u1', `${PUSH}Send`, '2024-03-10T10:00:00', 'a-push', { platform: 'android' }),
  a('u5', `${PUSH}Send`, '2024-03-10T10:00:00', 'a-push', { platform: 'ios' }),
  a('u1', `${PUSH}Open`, '2024-03-10T10:05:00', 'a-push', { platform: 'android' }),
  a('u1', `${PUSH}Open`, '2024-03-10T10:06:00', 'a-push', { platform: 'android', button_string: 'Buy' }),
  a('u5', `${PUSH}InfluencedOpen`, '2024-03-10T10:30:00', 'a-push', { platform: 'ios' }),
  a('u6', `${SMS}Send`, '2024-03-10T10:00:00', 'a-sms'),
  a('u2', `${SMS}Send`, '2024-03-10T10:00:00', 'a-sms'),
  a('u6', `${SMS}CarrierSend`, '2024-03-10T10:00:01', 'a-sms'),
  a('u6', `${SMS}Delivery`, '2024-03-10T10:00:02', 'a-sms'),
  a('u2', `${SMS}Rejection`, '2024-03-10T10:00:01', 'a-sms'),
  a('u6', `${SMS}ShortLinkClick`, '2024-03-10T10:10:00', 'a-sms'),
  a('u6', `${SMS}InboundReceive`, '2024-03-10T10:20:00', 'a-sms', { action: 'Unsubscribed', message_body: 'STOP' }),
  a('u6', `${SMS}InboundReceive`, '2024-03-10T10:21:00', 'a-sms', { action: 'None', message_body: ' help ' }),
  a('u1', `${WEBHOOK}Send`, '2024-03-10T10:00:00', 'a-webhook'),
  a('u1', `${WEBHOOK}Failure`, '2024-03-10T10:00:00', 'a-webhook'),
  a('u7', CONTROL, '2024-03-10T09:00:00', 'a-control'),
  a('u8', CONTROL, '2024-03-10T09:00:00', 'a-control'),
  // u1's second receipt, an hour before midnight
  a('u1', `${EMAIL}Send`, '2024-03-11T23:00:00', 'a-email-1'),
  // purchases: exactly at the end of u1's first email window (and inside push and webhook windows)
  buy('u1', '2024-03-11T09:00:00', 'sku-1', 10),
  // after midnight, inside u1's second email window; then a second purchase in the same window
  buy('u1', '2024-03-12T01:00:00', 'sku-1', 5),
  buy('u1', '2024-03-12T02:00:00', 'sku-1', 7),
  buy('u3', '2024-03-11T09:00:01', 'sku-1', 8), // one second after u3's window
  buy('u4', '2024-03-10T12:00:00', 'sku-1', 20),
  buy('u4', '2024-03-10T13:00:00', 'sku-2', 3), // not the product, but revenue
  buy('u7', '2024-03-10T15:00:00', 'sku-1', 4), // control
  buy('u6', '2024-03-10T09:59:00', 'sku-1', 2), // before u6's SMS

  // ---- campaign B, 2024-03-10
  b('u1', `${IAM}Impression`, '2024-03-10T08:00:00', 'b-iam-1'),
  b('u1', `${IAM}Impression`, '2024-03-10T08:30:00', 'b-iam-1'),
  b('u2', `${IAM}Impression`, '2024-03-10T08:00:00', 'b-iam-1'),
  b('u3', `${IAM}Impression`, '2024-03-10T08:00:00', 'b-iam-2'),
  b('u1', `${IAM}Click`, '2024-03-10T08:01:00', 'b-iam-1'),
  b('u2', `${IAM}Click`, '2024-03-10T08:02:00', 'b-iam-1', { button_id: '0' }),
  b('u2', `${IAM}Click`, '2024-03-10T08:03:00', 'b-iam-1', { button_id: '1' }),
  b('u4', `${CARD}Send`, '2024-03-10T08:00:00', 'b-cc', { content_card_id: 'cc-1' }),
  b('u4', `${CARD}Impression`, '2024-03-10T08:10:00', 'b-cc', { content_card_id: 'cc-1' }),
  b('u4', `${CARD}Impression`, '2024-03-10T08:20:00', 'b-cc', { content_card_id: 'cc-1' }),
  b('u4', `${CARD}Click`, '2024-03-10T08:21:00', 'b-cc', { content_card_id: 'cc-1' }),
  b('u4', `${CARD}Dismiss`, '2024-03-10T08:22:00', 'b-cc', { content_card_id: 'cc-1' }),
  b('u4', `${CARD}Click`, '2024-03-10T08:23:00', 'b-cc', { content_card_id: 'cc-1' }), // again: a click, not a unique click
  b('u5', `${WA}Send`, '2024-03-10T08:00:00', 'b-wa'),
  b('u5', `${WA}Delivery`, '2024-03-10T08:00:05', 'b-wa'),
  b('u5', `${WA}Read`, '2024-03-10T08:05:00', 'b-wa'),
  b('u6', `${WA}Send`, '2024-03-10T08:00:00', 'b-wa'),
  b('u6', `${WA}Failure`, '2024-03-10T08:00:05', 'b-wa'),
  b('u8', CONTROL, '2024-03-10T08:00:00', 'b-control'),
  currents('users.behaviors.CustomEvent', 'u1', at('2024-03-10T09:00:00'), { name: 'played' }),
  currents('users.behaviors.CustomEvent', 'u1', at('2024-03-10T09:10:00'), { name: 'played' }),
  currents('users.behaviors.CustomEvent', 'u3', at('2024-03-10T10:00:01'), { name: 'played' }),
  currents('users.behaviors.CustomEvent', 'u8', at('2024-03-10T09:00:00'), { name: 'played' }),
  currents('users.behaviors.app.SessionStart', 'u2', at('2024-03-10T09:00:00'), { app_id: 'app-1' }),
  currents('users.behaviors.app.SessionStart', 'u3', at('2024-03-10T09:00:00'), { app_id: 'app-2' }),
  currents('users.behaviors.UpgradedApp', 'u5', at('2024-03-10T12:00:00'), { app_id: 'app-1' }),
  buy('u4', '2024-03-10T09:00:00', 'sku-9', 15),

  // ---- API campaign: send-1 on 2024-03-01, send-2 on 2024-03-10
  api('u1', `${PUSH}Send`, '2024-03-01T10:00:00', 'send-1'),
  api('u2', `${PUSH}Send`, '2024-03-01T10:00:00', 'send-1'),
  api('u1', `${PUSH}Open`, '2024-03-14T10:00:00', 'send-1'), // day 13 after the send: kept
  api('u2', `${PUSH}Open`, '2024-03-16T10:00:00', 'send-1'), // day 15: past the default retention
  api('u3', `${PUSH}Send`, '2024-03-10T10:00:00', 'send-2'),
  buy('u1', '2024-03-01T12:00:00', 'sku-3', 9),
];

// Entries with every counter of their channel; the figures a test names are the ones that differ from 0.
const conv = (n: number) =>
  Object.fromEntries(
    ['', '1', '2', '3'].slice(0, n).flatMap((i) => [[`conversions${i}`, 0], [`conversions${i}_by_send_time`, 0]]),
  );
const email = (id: string, name: string, figures: Record<string, number> = {}) => ({
  variation_name: name, variation_api_id: id,
  sent: 0, opens: 0, unique_opens: 0, machine_opens: 0, clicks: 0, unique_clicks: 0, unsubscribes: 0, bounces: 0,
  delivered: 0, reported_spam: 0, unique_recipients: 0, revenue: 0, ...conv(3), ...figures,
});
const push = (id: string, name: string, n: number, figures: Record<string, number> = {}) => ({
  variation_name: name, variation_api_id: id,
  sent: 0, direct_opens: 0, total_opens: 0, bounces: 0, body_clicks: 0, unique_recipients: 0, revenue: 0, ...conv(n), ...figures,
});
const sms = (figures: Record<string, number> = {}) => ({
  variation_name: 'SMS', variation_api_id: 'a-sms',
  sent: 0, sent_to_carrier: 0, delivered: 0, undelivered: 0, rejected: 0, delivery_failed: 0, clicks: 0, opt_out: 0, help: 0,
  unique_recipients: 0, revenue: 0, ...conv(3), ...figures,
});
const webhook = (figures: Record<string, number> = {}) => ({
  variation_name: 'Hook', variation_api_id: 'a-webhook', sent: 0, errors: 0, unique_recipients: 0, revenue: 0, ...conv(3), ...figures,
});
const control = (id: string, n: number, figures: Record<string, number> = {}) => ({
  variation_name: 'Control', variation_api_id: id, enrolled: 0, unique_recipients: 0, revenue: 0, ...conv(n), ...figures,
});
const inApp = (id: string, name: string, figures: Record<string, number> = {}) => ({
  variation_name: name, variation_api_id: id,
  impressions: 0, clicks: 0, first_button_clicks: 0, second_button_clicks: 0, unique_recipients: 0, revenue: 0, ...conv(4), ...figures,
});

// The same figures whether the data comes in one batch, or one record a request in reverse time order
// (every conversion then found incrementally, receipts arriving after the purchases they convert),
// also when the conversion tables are rewritten in time order as they grow (from 8 rows, not 1M).
const MODES = ['in one batch', 'one record at a time, newest first', 'one record at a time, newest first, conversion tables sorted as they grow'];
// The third mode is DuckDB's own (its conversion tables' layout).
describe.each(onClickHouse ? MODES.slice(0, 2) : MODES)('campaigns and sends, data %s', (mode) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: Date.UTC(2024, 2, 31, 12), sortConversionsAt: mode === MODES[2] ? 8 : undefined });
    expect((await h.put('/admin/workspace', WORKSPACE)).statusCode).toBe(200);
    const batches = mode === MODES[0] ? [RECORDS] : [...RECORDS].sort((x, y) => Number(y.time) - Number(x.time)).map((r) => [r]);
    for (const records of batches) {
      const res = await h.post('/currents', ndjson(records), NDJSON);
      expect(res.statusCode, res.body).toBe(201);
    }
    if (mode === MODES[2]) {
      // Each was rewritten at least once, the last time at its size now or at least half of it.
      const raw = await (h.store as unknown as { db: { connect(): Promise<DuckDBConnection> } }).db.connect();
      const sorted = (await raw.runAndReadAll(
        `SELECT m.key, m.value::INTEGER, (SELECT count(*) FROM conv_receipts)::INTEGER, (SELECT count(*) FROM conv_events)::INTEGER,
           (SELECT count(*) FROM conv_matches)::INTEGER FROM meta m WHERE m.key LIKE 'conv_%_sorted' ORDER BY m.key`,
      )).getRowsJS();
      raw.closeSync();
      const size = { conv_events: 3, conv_matches: 4, conv_receipts: 2 } as const;
      expect(sorted.map((r) => r[0])).toEqual(['conv_events_sorted', 'conv_matches_sorted', 'conv_receipts_sorted']);
      for (const r of sorted) {
        const n = r[size[String(r[0]).replace('_sorted', '') as keyof typeof size]] as number;
        expect(r[1]).toBeGreaterThanOrEqual(8);
        expect(n).toBeLessThan(2 * (r[1] as number));
      }
    }
  });
  afterAll(() => h.close());

  const get = async (path: string, query: Record<string, string | number | boolean>) => {
    const res = await h.get(path, query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ message: string; data: Array<Record<string, unknown>> }>();
  };

  it('counts every channel per day and variation, with unique counts, conversions at the window edges and revenue', async () => {
    const body = await get('/campaigns/data_series', { campaign_id: 'cmp-a', length: 3, ending_at: '2024-03-12T12:00:00Z' });
    expect(body.data[0]).toEqual({
      time: '2024-03-10',
      messages: {
        email: [
          // u1 opened twice, u2 once (a machine open); u1's $10 purchase on Mar 11 09:00 is exactly at the
          // end of the window of his 09:00 send: it counts on Mar 11, and by send time here.
          email('a-email-1', 'Email A', {
            sent: 2, opens: 3, unique_opens: 2, machine_opens: 1, clicks: 1, unique_clicks: 1, unsubscribes: 1, delivered: 2,
            unique_recipients: 2, conversions_by_send_time: 1, conversions1: 1, conversions1_by_send_time: 1,
            conversions2: 1, conversions2_by_send_time: 1,
          }),
          // u4 bought sku-9 at the second of the send ($15), sku-1 ($20, converts) and sku-2 ($3): revenue 38;
          // u3 clicked twice: one conversion.
          email('a-email-2', 'Email B', {
            sent: 2, clicks: 2, unique_clicks: 1, bounces: 1, delivered: 1, reported_spam: 1, unique_recipients: 2,
            revenue: 38, conversions: 1, conversions_by_send_time: 1, conversions2: 1, conversions2_by_send_time: 1,
          }),
          control('a-control', 3, { enrolled: 2, unique_recipients: 2, revenue: 4, conversions: 1, conversions_by_send_time: 1 }),
        ],
        android_push: [
          push('a-push', 'Push', 3, { sent: 1, direct_opens: 2, total_opens: 2, body_clicks: 1, unique_recipients: 1, conversions_by_send_time: 1 }),
        ],
        ios_push: [push('a-push', 'Push', 3, { sent: 1, total_opens: 1, unique_recipients: 1 })],
        sms: [
          sms({
            sent: 2, sent_to_carrier: 1, delivered: 1, undelivered: 1, rejected: 1, clicks: 1, opt_out: 1, help: 1, unique_recipients: 2,
            // u2's email open at 11:00 is exactly one hour after his SMS at 10:00: inside the Opens Email window
            conversions1: 1, conversions1_by_send_time: 1,
          }),
        ],
        webhook: [webhook({ sent: 1, errors: 1, unique_recipients: 1, conversions_by_send_time: 1 })],
      },
      // the control group's conversions and revenue stay out of the campaign's totals
      conversions: 1, conversions_by_send_time: 4, conversions1: 2, conversions1_by_send_time: 2,
      conversions2: 2, conversions2_by_send_time: 2, unique_recipients: 6, revenue: 38,
    });
    // Mar 11: u1's purchase converts the email, push and webhook receipts of Mar 10; its $10 goes to the
    // latest receipt (push and webhook at 10:00; push first by id). u1's 23:00 send converts after midnight.
    expect(body.data[1]).toMatchObject({
      time: '2024-03-11', conversions: 3, conversions_by_send_time: 1, conversions1: 0, conversions2: 0, unique_recipients: 1, revenue: 10,
    });
    const m11 = body.data[1].messages as Record<string, Array<Record<string, unknown>>>;
    expect(m11.email[0]).toEqual(email('a-email-1', 'Email A', { sent: 1, unique_recipients: 1, conversions: 1, conversions_by_send_time: 1 }));
    expect(m11.android_push[0]).toEqual(push('a-push', 'Push', 3, { revenue: 10, conversions: 1 }));
    expect(m11.ios_push[0]).toEqual(push('a-push', 'Push', 3));
    expect(m11.webhook[0]).toEqual(webhook({ conversions: 1 }));
    // Mar 12: the 01:00 purchase converts the second receipt once; the 02:00 one adds revenue only.
    expect(body.data[2]).toMatchObject({ time: '2024-03-12', conversions: 1, conversions_by_send_time: 0, unique_recipients: 0, revenue: 12 });
    const m12 = body.data[2].messages as Record<string, Array<Record<string, unknown>>>;
    expect(m12.email[0]).toEqual(email('a-email-1', 'Email A', { revenue: 12, conversions: 1 }));
  });

  it('answers the multivariate in-app shape with button clicks, control enrolment and all conversion types', async () => {
    const body = await get('/campaigns/data_series', { campaign_id: 'cmp-b', length: 1, ending_at: '2024-03-10' });
    expect(body.data).toEqual([
      {
        time: '2024-03-10',
        messages: {
          trigger_in_app_message: [
            // u1's two impressions are two receipts: 'played' at 09:00 converts both (and 09:10 neither again)
            inApp('b-iam-1', 'Modal 1', {
              impressions: 3, clicks: 1, first_button_clicks: 1, second_button_clicks: 1, unique_recipients: 2,
              conversions: 2, conversions_by_send_time: 2, conversions1: 1, conversions1_by_send_time: 1,
            }),
            // u3 played one second after the 2-hour window; his session was in another app
            inApp('b-iam-2', 'Modal 2', { impressions: 1, unique_recipients: 1 }),
            control('b-control', 4, { enrolled: 1, unique_recipients: 1, conversions: 1, conversions_by_send_time: 1 }),
          ],
          content_cards: [
            {
              variation_name: 'Card', variation_api_id: 'b-cc', sent: 1, total_clicks: 2, total_dismissals: 1, total_impressions: 2,
              unique_clicks: 1, unique_dismissals: 1, unique_impressions: 1, unique_recipients: 1, revenue: 15,
              ...conv(4), conversions3: 1, conversions3_by_send_time: 1,
            },
          ],
          whats_app: [
            {
              // u5 upgraded at 12:00; u6 bought ($2) at 09:59, after his 08:00 send
              variation_name: 'WhatsApp', variation_api_id: 'b-wa', sent: 2, delivered: 1, failed: 1, read: 1, unique_recipients: 2,
              revenue: 2, ...conv(4), conversions2: 1, conversions2_by_send_time: 1, conversions3: 1, conversions3_by_send_time: 1,
            },
          ],
        },
        conversions: 2, conversions_by_send_time: 2, conversions1: 1, conversions1_by_send_time: 1, conversions2: 1,
        conversions2_by_send_time: 1, conversions3: 2, conversions3_by_send_time: 2, unique_recipients: 6, revenue: 17,
      },
    ]);
  });

  it('answers send series per send id, cut after the retention period unless it is 0', async () => {
    const send1 = await get('/sends/data_series', { campaign_id: 'cmp-api', send_id: 'send-1', length: 1, ending_at: '2024-03-01' });
    expect(send1.data).toEqual([
      {
        time: '2024-03-01',
        messages: { ios_push: [push('api-push', 'Receipt', 1, { sent: 2, unique_recipients: 2, revenue: 9, conversions: 1, conversions_by_send_time: 1 })] },
        conversions: 1, conversions_by_send_time: 1, unique_recipients: 2, revenue: 9,
      },
    ]);
    const late = await get('/sends/data_series', { campaign_id: 'cmp-api', send_id: 'send-1', length: 3, ending_at: '2024-03-16' });
    const opens = (d: Record<string, unknown>) => (d.messages as { ios_push: Array<{ direct_opens: number }> }).ios_push[0].direct_opens;
    // the send was on Mar 1: Mar 14 is its 14th day (kept), Mar 15 and 16 are past 14 days
    expect(late.data.map((d) => [d.time, opens(d)])).toEqual([['2024-03-14', 1], ['2024-03-15', 0], ['2024-03-16', 0]]);
    const campaign = await get('/campaigns/data_series', { campaign_id: 'cmp-api', length: 1, ending_at: '2024-03-16' });
    expect(opens(campaign.data[0])).toBe(1);

    const send2 = await get('/sends/data_series', { campaign_id: 'cmp-api', send_id: 'send-2', length: 1, ending_at: '2024-03-10' });
    // u3 bought ($8) on Mar 11 at 09:00:01, inside a day of send-2: a conversion by send time on Mar 10
    expect(send2.data[0]).toEqual({
      time: '2024-03-10',
      messages: { ios_push: [push('api-push', 'Receipt', 1, { sent: 1, unique_recipients: 1, conversions_by_send_time: 1 })] },
      conversions: 0, conversions_by_send_time: 1, unique_recipients: 1, revenue: 0,
    });
    const send2Next = await get('/sends/data_series', { campaign_id: 'cmp-api', send_id: 'send-2', length: 1, ending_at: '2024-03-11' });
    expect(send2Next.data[0]).toMatchObject({ time: '2024-03-11', conversions: 1, conversions_by_send_time: 0, revenue: 8 });

    expect((await h.put('/admin/workspace', { send_retention_days: 0 })).statusCode).toBe(200);
    const kept = await get('/sends/data_series', { campaign_id: 'cmp-api', send_id: 'send-1', length: 1, ending_at: '2024-03-16' });
    expect(opens(kept.data[0])).toBe(1);
    expect((await h.put('/admin/workspace', { send_retention_days: 14 })).statusCode).toBe(200);
  });

  it('describes a campaign with its messages, conversion behaviours and first and last send from the data', async () => {
    const res = await h.get('/campaigns/details', { campaign_id: 'cmp-a' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      message: 'success',
      created_at: '2024-02-01T10:00:00+00:00',
      updated_at: '2024-02-05T10:00:00+00:00',
      archived: false,
      draft: false,
      name: 'Spring sale',
      schedule_type: 'time_based',
      channels: ['email', 'android_push', 'sms', 'webhook'],
      first_sent: '2024-03-10T09:00:00+00:00',
      last_sent: '2024-03-11T23:00:00+00:00',
      tags: ['sale'],
      messages: WORKSPACE.campaigns[0].messages,
      conversion_behaviors: WORKSPACE.campaigns[0].conversion_behaviors,
    });
    const b = (await h.get('/campaigns/details', { campaign_id: 'cmp-b' })).json();
    expect(b.conversion_behaviors).toEqual(WORKSPACE.campaigns[1].conversion_behaviors); // app_ids: null stays null
    const apiDetails = (await h.get('/campaigns/details', { campaign_id: 'cmp-api' })).json();
    expect([apiDetails.schedule_type, apiDetails.channels, apiDetails.first_sent]).toEqual([
      'api_triggered', ['ios_push'], '2024-03-01T10:00:00+00:00',
    ]);
  });

  it('recomputes conversions when the conversion behaviours change', async () => {
    const window = (w: number) => ({
      campaigns: [{ ...WORKSPACE.campaigns[2], conversion_behaviors: [{ type: 'Makes Any Purchase', window: w }] }],
    });
    // u1 bought 2 hours after send-1: a 1-hour window misses it
    expect((await h.put('/admin/workspace', window(H))).statusCode).toBe(200);
    const short = await get('/campaigns/data_series', { campaign_id: 'cmp-api', length: 1, ending_at: '2024-03-01' });
    expect([short.data[0].conversions, short.data[0].revenue]).toEqual([0, 0]);
    expect((await h.put('/admin/workspace', window(DAY))).statusCode).toBe(200);
    const back = await get('/campaigns/data_series', { campaign_id: 'cmp-api', length: 1, ending_at: '2024-03-01' });
    expect([back.data[0].conversions, back.data[0].revenue]).toEqual([1, 9]);
  });

  it('rejects bad input with a 4xx naming the parameter', async () => {
    const cases: Array<[string, Record<string, string | number>, number, string]> = [
      ['/campaigns/data_series', { campaign_id: 'nope', length: 3 }, 400, 'campaign_id nope does not name a campaign of this workspace'],
      ['/campaigns/data_series', { campaign_id: 'cmp-a', length: 0 }, 400, 'length must be an integer between 1 and 100'],
      ['/campaigns/data_series', { campaign_id: 'cmp-a', length: 101 }, 400, 'length must be an integer between 1 and 100'],
      ['/campaigns/data_series', { campaign_id: 'cmp-a' }, 400, 'length is required'],
      ['/campaigns/details', { campaign_id: 'nope' }, 400, 'campaign_id nope does not name a campaign of this workspace'],
      ['/sends/data_series', { campaign_id: 'cmp-api', send_id: 'send-9', length: 3 }, 400, 'send_id send-9 names no send of campaign cmp-api'],
      ['/sends/data_series', { campaign_id: 'cmp-a', send_id: 'send-1', length: 3 }, 400,
        'campaign_id cmp-a is not an API campaign: sends are tracked for API campaigns only'],
      ['/sends/data_series', { campaign_id: 'cmp-api', send_id: 'send-1', length: 101 }, 400, 'length must be an integer between 1 and 100'],
    ];
    for (const [path, query, status, message] of cases) {
      const res = await h.get(path, query);
      expect([path, res.statusCode, res.json().message]).toEqual([path, status, message]);
    }
  });
});

describe('campaign list', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    // 250 campaigns created a day apart; every tenth archived; the last 50 edited in June.
    const campaigns = Array.from({ length: 250 }, (_, i) => ({
      id: `c-${String(i).padStart(3, '0')}`,
      name: `Campaign ${i}`,
      created_at: new Date(Date.UTC(2023, 0, 1 + i)).toISOString(),
      last_edited: i >= 200 ? '2024-06-01T00:00:00Z' : '2024-01-01T00:00:00Z',
      archived: i % 10 === 0,
      is_api_campaign: i === 1,
      tags: i === 1 ? ['api'] : [],
    }));
    // sent in reverse order: the list sorts by creation, not by position in the document
    expect((await h.put('/admin/workspace', { campaigns: campaigns.reverse() })).statusCode).toBe(200);
  });
  afterAll(() => h.close());

  const ids = async (query: Record<string, string | number | boolean>) => {
    const res = await h.get('/campaigns/list', query);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().campaigns as Array<{ id: string }>).map((c) => c.id);
  };
  const range = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, k) => from + k).filter((i) => i % 10 !== 0).map((i) => `c-${String(i).padStart(3, '0')}`);

  it('pages 100 at a time, oldest first, archived left out', async () => {
    // 225 unarchived: c-001..c-111 (100 of them) on page 0, c-112..c-223 on page 1, 25 on page 2
    expect(await ids({})).toEqual(range(0, 112));
    expect(await ids({ page: 1 })).toEqual(range(112, 223));
    expect(await ids({ page: 2 })).toEqual(range(223, 250));
    expect(await ids({ page: 3 })).toEqual([]);
  });

  it('sorts newest first, includes archived when asked, and filters on last edit', async () => {
    expect((await ids({ sort_direction: 'desc' })).slice(0, 3)).toEqual(['c-249', 'c-248', 'c-247']);
    const all = await ids({ include_archived: true, page: 2 });
    expect(all).toHaveLength(50);
    expect(all[0]).toBe('c-200');
    expect(await ids({ 'last_edit.time[gt]': '2024-05-01T00:00:00Z' })).toEqual(range(200, 250));
    const first = (await h.get('/campaigns/list', { page: 0 })).json().campaigns[0];
    expect(first).toEqual({ id: 'c-001', last_edited: '2024-01-01T00:00:00Z', name: 'Campaign 1', is_api_campaign: true, tags: ['api'] });
  });
});

describe('campaign days in the workspace time zone', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const campaign = {
      id: 'tz', name: 'Zone', messages: { 'tz-email': { channel: 'email', name: 'E' } },
      conversion_behaviors: [{ type: 'Makes Any Purchase', window: DAY }],
    };
    expect((await h.put('/admin/workspace', { campaigns: [campaign] })).statusCode).toBe(200);
    const records = [
      // 03:00 UTC on Mar 11 is 23:00 on Mar 10 in New York (EDT, UTC-4); the purchase is 01:00 on Mar 11 there
      currents(`${EMAIL}Send`, 'z1', at('2024-03-11T03:00:00'), { campaign_id: 'tz', message_variation_id: 'tz-email' }),
      buy('z1', '2024-03-11T05:00:00', 'sku', 6),
    ];
    expect((await h.post('/currents', ndjson(records), NDJSON)).statusCode).toBe(201);
  });
  afterAll(() => h.close());

  const days = async () => {
    const res = await h.get('/campaigns/data_series', { campaign_id: 'tz', length: 2, ending_at: '2024-03-11T12:00:00' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data.map((d: Record<string, unknown>) => [d.time, d.unique_recipients, d.conversions, d.conversions_by_send_time, d.revenue]);
  };

  it('moves sends and conversions to local days when the zone changes, and back', async () => {
    expect(await days()).toEqual([['2024-03-10', 0, 0, 0, 0], ['2024-03-11', 1, 1, 1, 6]]);
    expect((await h.put('/admin/workspace', { time_zone: 'America/New_York' })).statusCode).toBe(200);
    expect(await days()).toEqual([['2024-03-10', 1, 0, 1, 0], ['2024-03-11', 0, 1, 0, 6]]);
    expect((await h.put('/admin/workspace', { time_zone: 'UTC' })).statusCode).toBe(200);
    expect(await days()).toEqual([['2024-03-10', 0, 0, 0, 0], ['2024-03-11', 1, 1, 1, 6]]);
  });
});

describe('conversions by purchases sent through /users/track', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const campaign = {
      id: 'trk', name: 'Track', messages: { 'trk-email': { channel: 'email', name: 'E' } },
      conversion_behaviors: [{ type: 'Makes Any Purchase', window: DAY }],
    };
    expect((await h.put('/admin/workspace', { campaigns: [campaign] })).statusCode).toBe(200);
  });
  afterAll(() => h.close());

  const track = async (user: string, iso: string, price: number) => {
    const res = await h.post('/users/track', JSON.stringify({
      purchases: [{ braze_id: user, product_id: 'sku', price, currency: 'USD', time: `${iso}Z` }],
    }), { 'content-type': 'application/json' });
    expect(res.statusCode, res.body).toBe(201);
  };
  const send = async (user: string, iso: string) => {
    const res = await h.post('/currents', ndjson([currents(`${EMAIL}Send`, user, at(iso), { campaign_id: 'trk', message_variation_id: 'trk-email' })]), NDJSON);
    expect(res.statusCode, res.body).toBe(201);
  };
  const days = async () => {
    const res = await h.get('/campaigns/data_series', { campaign_id: 'trk', length: 3, ending_at: '2024-03-12T12:00:00' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data.map((d: Record<string, unknown>) => [d.time, d.unique_recipients, d.conversions, d.conversions_by_send_time, d.revenue]);
  };

  it('counts them as it counts purchases from Currents, whichever arrives first', async () => {
    // t1 buys ($5) before any message exists in the store, then gets the email an hour before the
    // purchase's time: converted. t2 gets the email, then buys ($7) the next day within the window.
    await track('t1', '2024-03-10T10:00:00', 5);
    await send('t1', '2024-03-10T09:00:00');
    await send('t2', '2024-03-10T12:00:00');
    await track('t2', '2024-03-11T11:00:00', 7);
    // t2 buys again 2 days later: outside the window, no conversion and no revenue.
    await track('t2', '2024-03-12T13:00:00', 9);
    expect(await days()).toEqual([
      ['2024-03-10', 2, 1, 2, 5],
      ['2024-03-11', 0, 1, 0, 7],
      ['2024-03-12', 0, 0, 0, 0],
    ]);
  });
});

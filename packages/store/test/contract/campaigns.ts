import { expect } from 'vitest';
import type { AnalyticsData, CardStatRow } from '@brazen/store';
import type { ConcernSuite } from './index.ts';
import { at, day, H, ingest, messageTotals, record, T0, workspaceDoc, type CurrentsRecord } from './support.ts';

const EMAIL = 'users.messages.email.';
const PUSH = 'users.messages.pushnotification.';
const IAM = 'users.messages.inappmessage.';
const SMS = 'users.messages.sms.';
const CARD = 'users.messages.contentcard.';
const FEED = 'users.messages.newsfeedcard.';

/**
 * Campaign c1 and Canvas k1 in Kolkata (UTC+05:30): 04:00 UTC on Mar 10 is 09:30 there, 19:00 UTC
 * is 00:30 on Mar 11. One record of each kind that feeds a different counter.
 */
const c1 = (n: number, type: string, user: string, iso: string, variation: string | undefined, extra: CurrentsRecord = {}) =>
  record(`c1-${n}`, type, user, at(iso), { campaign_id: 'c1', ...(variation ? { message_variation_id: variation } : {}), ...extra });
const k1 = (n: number, type: string, user: string, iso: string, extra: CurrentsRecord) => record(`k1-${n}`, type, user, at(iso), { canvas_id: 'k1', ...extra });
const RECORDS = [
  c1(1, `${EMAIL}Send`, 'u1', '2024-03-10T04:00:00Z', 'v-mail'),
  c1(2, `${EMAIL}Send`, 'u2', '2024-03-10T04:00:00Z', 'v-mail'),
  c1(3, `${EMAIL}Send`, 'u1', '2024-03-10T19:00:00Z', 'v-mail'), // Mar 11 in Kolkata
  c1(4, `${EMAIL}Open`, 'u1', '2024-03-10T04:30:00Z', 'v-mail'),
  c1(5, `${EMAIL}Open`, 'u1', '2024-03-10T05:00:00Z', 'v-mail', { machine_open: 'true' }),
  c1(6, `${EMAIL}Open`, 'u2', '2024-03-10T05:00:00Z', 'v-mail'),
  c1(7, `${EMAIL}Click`, 'u1', '2024-03-10T05:10:00Z', 'v-mail'),
  c1(8, `${EMAIL}Click`, 'u1', '2024-03-10T05:11:00Z', 'v-mail'),
  c1(9, `${PUSH}Send`, 'u3', '2024-03-10T04:00:00Z', 'v-push', { platform: 'ios' }),
  c1(10, `${PUSH}Send`, 'u4', '2024-03-10T04:00:00Z', 'v-push', { platform: 'Android' }),
  c1(11, `${PUSH}Open`, 'u3', '2024-03-10T04:05:00Z', 'v-push', { platform: 'ios', button_string: 'Buy' }),
  c1(12, `${PUSH}Open`, 'u3', '2024-03-10T04:06:00Z', 'v-push', { platform: 'ios' }),
  c1(13, `${PUSH}Send`, 'u5', '2024-03-10T04:00:00Z', 'v-push'), // no platform
  c1(14, 'users.campaigns.EnrollInControl', 'u6', '2024-03-10T03:00:00Z', 'v-ctl'),
  c1(15, `${IAM}Impression`, 'u1', '2024-03-10T04:00:00Z', 'v-iam'),
  c1(16, `${IAM}Click`, 'u1', '2024-03-10T04:01:00Z', 'v-iam', { button_id: '1' }),
  c1(17, `${IAM}Click`, 'u1', '2024-03-10T04:02:00Z', 'v-iam'),
  c1(18, `${SMS}InboundReceive`, 'u2', '2024-03-10T06:00:00Z', 'v-sms', { action: 'Unsubscribed', message_body: 'STOP' }),
  c1(19, `${SMS}InboundReceive`, 'u2', '2024-03-10T06:01:00Z', 'v-sms', { message_body: ' help ' }),
  c1(20, `${SMS}InboundReceive`, 'u2', '2024-03-10T06:02:00Z', 'v-sms', { message_body: 'hi' }),
  c1(21, 'users.messages.webhook.Send', 'u2', '2024-03-10T04:00:00Z', 'v-hook'),
  c1(22, `${CARD}Send`, 'u3', '2024-03-10T04:00:00Z', 'v-cc'),
  c1(23, `${CARD}Impression`, 'u3', '2024-03-10T04:10:00Z', 'v-cc'),
  c1(24, `${CARD}Impression`, 'u3', '2024-03-10T04:11:00Z', 'v-cc'),
  c1(25, `${CARD}Click`, 'u3', '2024-03-10T04:12:00Z', 'v-cc'),
  c1(28, `${CARD}Click`, 'u3', '2024-03-10T04:13:00Z', 'v-cc'),
  c1(26, `${EMAIL}Send`, 'u7', '2024-03-10T04:00:00Z', undefined), // no variation
  c1(27, `${EMAIL}Send`, 'u8', '2024-03-10T04:00:00Z', 'v-mail', { send_id: 'send-1' }),
  k1(1, 'users.canvas.Entry', 'u1', '2024-03-10T04:00:00Z', { canvas_variation_id: 'kv1' }),
  k1(2, 'users.canvas.Entry', 'u2', '2024-03-10T04:20:00Z', { canvas_variation_id: 'kv2' }),
  k1(3, `${PUSH}Send`, 'u1', '2024-03-10T04:30:00Z', { canvas_variation_id: 'kv1', canvas_step_id: 'st1', canvas_step_message_variation_id: 'sv1', platform: 'ios' }),
  k1(4, `${EMAIL}Send`, 'u2', '2024-03-10T04:30:00Z', { canvas_variation_id: 'kv2', canvas_step_id: 'st2', message_variation_id: 'mv2' }),
  k1(5, `${EMAIL}Open`, 'u2', '2024-03-10T04:40:00Z', { canvas_variation_id: 'kv2', canvas_step_id: 'st2', message_variation_id: 'mv2' }),
];

/** Campaign, send, Canvas and step engagement (SPEC §3), and News Feed cards. */
export const campaignsContract: ConcernSuite = (it) => {
  const IN = 'Asia/Kolkata';
  const mar10 = day('2024-03-10');
  const mar11 = day('2024-03-11');
  const load = async (data: AnalyticsData, zone = IN) => {
    await ingest(data, RECORDS.toReversed());
    return zone;
  };

  it('counts message events per local day, variation, channel and action, with distinct users where tracked', async ({ data, catalog }) => {
    await catalog.putWorkspace(workspaceDoc({ time_zone: IN }));
    await load(data);
    const q = { src: 'campaign' as const, obj: 'c1', fromDay: mar10, toDay: mar11 };
    const [all] = await data.messageStats([q]);
    // [day, part, variation, channel, action, events, distinct users]. Distinct users are kept for
    // receipts (send; in-app impression; control enrolment), email opens and clicks and Content Card
    // impressions, clicks and dismissals; 0 elsewhere. `recipient` (channel ''): every receipt but a
    // control enrolment, distinct users of the day.
    expect(messageTotals(all)).toEqual([
      // Mar 10 receipts: 3 v-mail sends, 3 pushes, the in-app impression, the webhook, the card, u7's send: 10 of 7 users.
      [mar10, '', '', '', 'recipient', 10, 7],
      [mar10, '', '', 'email', 'send', 1, 1],
      [mar10, '', 'v-cc', 'content_cards', 'click', 2, 1],
      [mar10, '', 'v-cc', 'content_cards', 'impression', 2, 1],
      [mar10, '', 'v-cc', 'content_cards', 'send', 1, 1],
      [mar10, '', 'v-ctl', 'control', 'enrolled', 1, 1],
      [mar10, '', 'v-hook', 'webhook', 'send', 1, 1],
      [mar10, '', 'v-iam', 'trigger_in_app_message', 'button_1', 1, 0],
      [mar10, '', 'v-iam', 'trigger_in_app_message', 'click', 1, 0],
      [mar10, '', 'v-iam', 'trigger_in_app_message', 'impression', 1, 1],
      [mar10, '', 'v-mail', 'email', 'click', 2, 1],
      [mar10, '', 'v-mail', 'email', 'machine_open', 1, 0], // an open with machine_open "true" is also an open
      [mar10, '', 'v-mail', 'email', 'open', 3, 2],
      [mar10, '', 'v-mail', 'email', 'send', 3, 3], // u1, u2 and u8 (of send-1)
      [mar10, '', 'v-push', 'android_push', 'send', 1, 1], // platform "Android"
      [mar10, '', 'v-push', 'ios_push', 'open', 1, 0],
      [mar10, '', 'v-push', 'ios_push', 'open_button', 1, 0],
      [mar10, '', 'v-push', 'ios_push', 'send', 1, 1],
      [mar10, '', 'v-push', 'unknown_push', 'send', 1, 1],
      [mar10, '', 'v-sms', 'sms', 'help', 1, 0], // " help "
      [mar10, '', 'v-sms', 'sms', 'inbound_receive', 1, 0],
      [mar10, '', 'v-sms', 'sms', 'opt_out', 1, 0], // action Unsubscribed
      [mar11, '', '', '', 'recipient', 1, 1],
      [mar11, '', 'v-mail', 'email', 'send', 1, 1],
    ]);
    // One send id; Mar 10 alone; an unknown campaign.
    const [send, oneDay, none] = await data.messageStats([{ ...q, scope: 'send-1' }, { ...q, toDay: mar10 }, { ...q, obj: 'c9' }]);
    expect(messageTotals(send)).toEqual([[mar10, '', '', '', 'recipient', 1, 1], [mar10, '', 'v-mail', 'email', 'send', 1, 1]]);
    expect(messageTotals(oneDay)).toEqual(messageTotals(all).filter((r) => r[0] === mar10));
    expect(messageTotals(none)).toEqual([]);
  });

  it('counts Canvas entries by variant and step messages by step and message variation', async ({ data, catalog }) => {
    await catalog.putWorkspace(workspaceDoc({ time_zone: IN }));
    await load(data);
    const [entries, steps] = await data.messageStats([
      { src: 'canvas', obj: 'k1', fromDay: mar10, toDay: mar11 },
      { src: 'step', obj: 'k1', fromDay: mar10, toDay: mar11 },
    ]);
    expect(messageTotals(entries)).toEqual([[mar10, '', 'kv1', 'canvas', 'entry', 1, 0], [mar10, '', 'kv2', 'canvas', 'entry', 1, 0]]);
    // A step's message variation is canvas_step_message_variation_id, else message_variation_id.
    expect(messageTotals(steps)).toEqual([
      [mar10, 'st1', 'sv1', 'ios_push', 'send', 1, 1],
      [mar10, 'st2', 'mv2', 'email', 'open', 1, 1],
      [mar10, 'st2', 'mv2', 'email', 'send', 1, 1],
    ]);
  });

  it('gives the first and last receipt, of every send or one, and of Canvas entries', async ({ data, catalog }) => {
    await catalog.putWorkspace(workspaceDoc({ time_zone: IN }));
    await load(data);
    // Receipts of c1: sends, the in-app impression and the control enrolment (03:00, the first).
    expect(await data.receiptSpan('campaign', 'c1')).toEqual({ first: at('2024-03-10T03:00:00Z'), last: at('2024-03-10T19:00:00Z') });
    expect(await data.receiptSpan('campaign', 'c1', 'send-1')).toEqual({ first: at('2024-03-10T04:00:00Z'), last: at('2024-03-10T04:00:00Z') });
    // Entries only: the step sends at 04:30 are not entries.
    expect(await data.receiptSpan('canvas', 'k1')).toEqual({ first: at('2024-03-10T04:00:00Z'), last: at('2024-03-10T04:20:00Z') });
    expect(await data.receiptSpan('campaign', 'c9')).toEqual({ first: null, last: null });
    expect(await data.receiptSpan('campaign', 'c1', 'send-9')).toEqual({ first: null, last: null });
  });

  it('gives the first and last local day with message events, and moves them with the time zone', async ({ data, catalog }) => {
    await catalog.putWorkspace(workspaceDoc({ time_zone: IN }));
    await load(data);
    expect(await data.seriesDays('campaign', 'c1', '')).toEqual({ first: mar10, last: mar11 });
    expect(await data.seriesDays('campaign', 'c1', 'send-1')).toEqual({ first: mar10, last: mar10 });
    expect(await data.seriesDays('canvas', 'k1', '')).toEqual({ first: mar10, last: mar10 });
    expect(await data.seriesDays('campaign', 'c1', 'send-9')).toEqual({ first: null, last: null });
    // In UTC u1's 19:00 send is on Mar 10: four sends (u1 twice) and 11 receipts that day.
    await catalog.putWorkspace(workspaceDoc());
    expect(await data.seriesDays('campaign', 'c1', '')).toEqual({ first: mar10, last: mar10 });
    const [all] = await data.messageStats([{ src: 'campaign', obj: 'c1', fromDay: mar10, toDay: mar11 }]);
    const totals = messageTotals(all);
    expect(totals.find((r) => r[2] === 'v-mail' && r[4] === 'send')).toEqual([mar10, '', 'v-mail', 'email', 'send', 4, 3]);
    expect(totals.find((r) => r[4] === 'recipient')).toEqual([mar10, '', '', '', 'recipient', 11, 7]);
    expect(totals.filter((r) => r[0] === mar11)).toEqual([]);
  });

  it('counts News Feed card impressions and clicks per unit, total and unique, by the card API id', async ({ data }) => {
    const T = T0;
    const feed = (id: string, action: 'Impression' | 'Click', user: string, time: number, extra: CurrentsRecord = { card_id: 'card-1' }) =>
      record(id, `${FEED}${action}`, user, time, extra);
    await ingest(data, [
      feed('f1', 'Impression', 'u1', T + 10),
      feed('f2', 'Impression', 'u1', T + 20),
      feed('f3', 'Click', 'u1', T + 30),
      feed('f4', 'Impression', 'u2', T + H + 5),
      // The old sample form: an internal card_id, and the API id in card_api_id.
      feed('f5', 'Click', 'u2', T + H + 10, { card_id: '5e4f0c0f', card_api_id: 'card-1' }),
      feed('f6', 'Click', 'u2', T + H + 20),
      feed('f7', 'Impression', 'u3', T + 15, { card_id: 'card-2' }), // another card
      feed('f8', 'Impression', 'u3', T - 1), // before the first unit
      feed('f9', 'Impression', 'u3', T + 3 * H), // at the end of the last unit: out
    ]);
    const rows = (await data.cardStats({ cardId: 'card-1', bounds: [T, T + H, T + 2 * H, T + 3 * H] }))
      .filter((r) => r.impressions + r.clicks + r.uniqueImpressions + r.uniqueClicks > 0)
      .sort((a, b) => a.unit - b.unit);
    expect(rows).toEqual([
      { unit: 0, impressions: 2, clicks: 1, uniqueImpressions: 1, uniqueClicks: 1 },
      { unit: 1, impressions: 1, clicks: 2, uniqueImpressions: 1, uniqueClicks: 1 },
    ] satisfies CardStatRow[]);
    expect(await data.cardStats({ cardId: 'card-1', bounds: [T] })).toEqual([]);
    expect((await data.cardStats({ cardId: 'card-9', bounds: [T, T + H] })).filter((r) => r.impressions + r.clicks > 0)).toEqual([]);
  });
};

import { expect } from 'vitest';
import type { AnalyticsData, MessageStatsQuery } from '@brazen/store';
import type { ConcernSuite } from './index.ts';
import { at, conversionTotals, day, ingest, record, session, workspaceDoc, type CurrentsRecord } from './support.ts';

/**
 * Conversions (SPEC §3) of campaign cv and Canvas kc in New York, in February (EST, UTC-5): a local
 * time `Feb 10 23:00` is 04:00 UTC on Feb 11, so a day by UTC would be wrong.
 */
const NY = 'America/New_York';
const est = (local: string) => at(`2024-02-${local}-05:00`);
const DAY = 86_400;
const BEHAVIORS = [
  { type: 'Makes Specific Purchase', window: DAY, product: 'sku-1' }, // conversions
  { type: 'Performs Custom Event', window: 7200, custom_event_name: 'played' }, // conversions1
  { type: 'Opens Email', window: 3600 }, // conversions2
  { type: 'Starts Session', window: DAY, app_ids: ['app-1'] }, // conversions3
];
const workspace = (behaviors: unknown[] = BEHAVIORS) => workspaceDoc({
  time_zone: NY,
  campaigns: [{
    id: 'cv', name: 'Conversions', conversion_behaviors: behaviors,
    messages: { m1: { channel: 'email' }, m2: { channel: 'email' }, p1: { channel: 'android_push' }, ctl: { channel: 'email', type: 'control' } },
  }],
  canvases: [{ id: 'kc', name: 'Journey', conversion_behaviors: [{ type: 'Makes Any Purchase', window: 3600 }], variants: [{ id: 'kv1' }], steps: [{ id: 'st1' }] }],
});

let n = 0;
const id = () => `r${++n}`;
const send = (user: string, local: string, variation: string, extra: CurrentsRecord = {}) =>
  record(id(), 'users.messages.email.Send', user, est(local), { campaign_id: 'cv', message_variation_id: variation, ...extra });
const buy = (user: string, local: string, product: string, price: number) =>
  record(id(), 'users.behaviors.Purchase', user, est(local), { product_id: product, price, currency: 'USD' });
const RECORDS = [
  send('u1', '10T10:00:00', 'm1'), // R1
  send('u2', '10T22:30:00', 'm2'), // R2
  send('u1', '10T23:00:00', 'm1'), // R3: u1's second receipt (04:00 UTC on Feb 11)
  record(id(), 'users.campaigns.EnrollInControl', 'u3', est('10T10:00:00'), { campaign_id: 'cv', message_variation_id: 'ctl' }), // R4
  send('u4', '10T12:00:00', 'm1', { send_id: 's-1' }), // R5
  send('u5', '12T10:00:00', 'm2'), // R6 and R7 at the same second
  record(id(), 'users.messages.pushnotification.Send', 'u5', est('12T10:00:00'), { campaign_id: 'cv', message_variation_id: 'p1', platform: 'android' }),
  // E1: exactly at the end of R1's window (inclusive), and inside R3's: converts both.
  buy('u1', '11T10:00:00', 'sku-1', 10),
  buy('u1', '11T11:00:00', 'sku-2', 5), // E2: not the product; revenue of R3
  // u2 plays at 23:30 (the first, Feb 10) and 00:10 (Feb 11): one conversion, on Feb 10.
  record(id(), 'users.behaviors.CustomEvent', 'u2', est('10T23:30:00'), { name: 'played' }),
  record(id(), 'users.behaviors.CustomEvent', 'u2', est('11T00:10:00'), { name: 'played' }),
  record(id(), 'users.messages.email.Open', 'u1', est('10T10:30:00'), { campaign_id: 'cv', message_variation_id: 'm1' }), // E5: R1's open
  record(id(), 'users.messages.email.Open', 'u1', est('10T23:10:00'), { campaign_id: 'other' }), // another campaign's open
  session(id(), 'u4', est('10T13:00:00'), 'app-2'), // not an app of the behaviour
  session(id(), 'u4', est('11T12:00:00'), 'app-1'), // R5 + 24 h exactly
  buy('u3', '10T11:00:00', 'sku-1', 4), // E8: the control converts
  buy('u2', '10T22:00:00', 'sku-1', 7), // E9: before R2: nothing
  buy('u4', '10T12:00:00', 'sku-1', 3), // E10: at R5's second
  buy('u5', '12T11:00:00', 'sku-9', 6), // R6 and R7 tie: the revenue goes to variation m2 (before p1)
  // Canvas kc: u6 enters (variant kv1), gets step st1's push, buys within the hour.
  record(id(), 'users.canvas.Entry', 'u6', est('10T10:00:00'), { canvas_id: 'kc', canvas_variation_id: 'kv1' }),
  record(id(), 'users.messages.pushnotification.Send', 'u6', est('10T10:05:00'), {
    canvas_id: 'kc', canvas_variation_id: 'kv1', canvas_step_id: 'st1', canvas_step_message_variation_id: 'sv1', platform: 'ios',
  }),
  buy('u6', '10T10:30:00', 'anything', 8),
];

const f10 = day('2024-02-10');
const f11 = day('2024-02-11');
const f12 = day('2024-02-12');
const campaign: MessageStatsQuery = { src: 'campaign', obj: 'cv', fromDay: f10, toDay: f12 };

/**
 * [day, part, variation, channel, behaviour index (-1: revenue), conversions on the day, conversions
 * of receipts of the day, revenue]. Conversions per receipt and behaviour:
 * - R1 m1 idx 0 by E1 (receipt Feb 10, conversion Feb 11), idx 2 by E5 (Feb 10);
 * - R3 m1 idx 0 by E1 (Feb 10 → Feb 11); R2 m2 idx 1 by the 23:30 play (Feb 10);
 * - R4 control idx 0 by E8 (Feb 10); R5 m1 idx 0 by E10 (Feb 10), idx 3 by the app-1 session (Feb 10 → Feb 11).
 * Revenue, each purchase to the latest receipt whose primary (24 h) window holds it: E1 $10 and E2 $5
 * to R3 (Feb 11); E8 $4 to R4; E10 $3 to R5 (Feb 10); u5's $6 to R6 (m2, Feb 12).
 */
const EXPECTED = [
  [f10, '', 'ctl', 'control', -1, 0, 0, 4],
  [f10, '', 'ctl', 'control', 0, 1, 1, 0],
  [f10, '', 'm1', 'email', -1, 0, 0, 3],
  [f10, '', 'm1', 'email', 0, 1, 3, 0],
  [f10, '', 'm1', 'email', 2, 1, 1, 0],
  [f10, '', 'm1', 'email', 3, 0, 1, 0],
  [f10, '', 'm2', 'email', 1, 1, 1, 0],
  [f11, '', 'm1', 'email', -1, 0, 0, 15],
  [f11, '', 'm1', 'email', 0, 2, 0, 0],
  [f11, '', 'm1', 'email', 3, 1, 0, 0],
  [f12, '', 'm2', 'email', -1, 0, 0, 6],
];

export const conversionsContract: ConcernSuite = (it) => {
  const check = async (data: AnalyticsData) => {
    const [all, send, canvas, steps] = await data.conversionStats([
      campaign,
      { ...campaign, scope: 's-1' },
      { src: 'canvas', obj: 'kc', fromDay: f10, toDay: f12 },
      { src: 'step', obj: 'kc', fromDay: f10, toDay: f12 },
    ]);
    expect(conversionTotals(all)).toEqual(EXPECTED);
    // Send s-1 holds R5 alone.
    expect(conversionTotals(send)).toEqual([
      [f10, '', 'm1', 'email', -1, 0, 0, 3],
      [f10, '', 'm1', 'email', 0, 1, 1, 0],
      [f10, '', 'm1', 'email', 3, 0, 1, 0],
      [f11, '', 'm1', 'email', 3, 1, 0, 0],
    ]);
    // The Canvas's behaviour applies to its entries and, apart, to its steps' receipts: each gets the $8.
    expect(conversionTotals(canvas)).toEqual([[f10, '', 'kv1', 'canvas', -1, 0, 0, 8], [f10, '', 'kv1', 'canvas', 0, 1, 1, 0]]);
    expect(conversionTotals(steps)).toEqual([[f10, 'st1', 'sv1', 'ios_push', -1, 0, 0, 8], [f10, 'st1', 'sv1', 'ios_push', 0, 1, 1, 0]]);
  };

  it('converts each receipt once per behaviour on the first matching event in its window, and credits revenue to the latest receipt', async ({ data, catalog }) => {
    // Records first, definitions after: every conversion computed from the stored data.
    await ingest(data, RECORDS);
    await catalog.putWorkspace(workspace());
    await check(data);
    // A day at a time: Feb 11 alone.
    const [feb11] = await data.conversionStats([{ ...campaign, fromDay: f11, toDay: f11 }]);
    expect(conversionTotals(feb11)).toEqual(EXPECTED.filter((r) => r[0] === f11));
    expect(await data.conversionStats([{ ...campaign, obj: 'nope' }])).toEqual([[]]);
  });

  it('finds the same conversions when records arrive one at a time, newest first', async ({ data, catalog }) => {
    await catalog.putWorkspace(workspace());
    for (const r of RECORDS.toSorted((a, b) => Number(b.time) - Number(a.time))) await ingest(data, [r]);
    await check(data);
  });

  it('computes conversions again when the behaviours change', async ({ data, catalog }) => {
    await catalog.putWorkspace(workspace());
    await ingest(data, RECORDS);
    // A one-hour primary window: E1 is 24 h after R1 and 11 h after R3, E2 out too; E8 (R4 + 1 h
    // exactly), E10 and u5's purchase (R6 + 1 h) stay.
    await catalog.putWorkspace(workspace([{ ...BEHAVIORS[0], window: 3600 }, ...BEHAVIORS.slice(1)]));
    const [all] = await data.conversionStats([campaign]);
    expect(conversionTotals(all)).toEqual([
      [f10, '', 'ctl', 'control', -1, 0, 0, 4],
      [f10, '', 'ctl', 'control', 0, 1, 1, 0],
      [f10, '', 'm1', 'email', -1, 0, 0, 3],
      [f10, '', 'm1', 'email', 0, 1, 1, 0],
      [f10, '', 'm1', 'email', 2, 1, 1, 0],
      [f10, '', 'm1', 'email', 3, 0, 1, 0],
      [f10, '', 'm2', 'email', 1, 1, 1, 0],
      [f11, '', 'm1', 'email', 3, 1, 0, 0],
      [f12, '', 'm2', 'email', -1, 0, 0, 6],
    ]);
    // No behaviours: no conversion and no revenue.
    await catalog.putWorkspace(workspace([]));
    expect(conversionTotals((await data.conversionStats([campaign]))[0])).toEqual([]);
  });
};

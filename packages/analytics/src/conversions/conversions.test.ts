import { describe, expect, it } from 'vitest';
import { at, event, recorded } from '../records.fixture.ts';
import { dayNumber } from '../time.ts';
import { conversionStats } from './attribution.ts';
import { conversionFigures, type ConversionCount } from './figures.ts';

const B = at('2024-03-01T00:00:00Z');
const D1 = dayNumber('2024-03-01');
const D2 = dayNumber('2024-03-02');
const SEND = 'users.messages.email.Send';
const PURCHASE = 'users.behaviors.Purchase';

const WS = {
  campaigns: [{
    id: 'C',
    conversion_behaviors: [
      { type: 'Makes Any Purchase', window: 3600 },
      { type: 'Performs Custom Event', custom_event_name: 'Played', window: 86_400 },
      { type: 'Opens Email', window: 7200 },
      { type: 'Starts Session', app_ids: ['a1'], window: 600 },
    ],
  }],
  canvases: [{ id: 'K', conversion_behaviors: [{ type: 'Makes Specific Purchase', product: 'gold', window: 3600 }] }],
};

const send = (user: string, t: number, variation: string, sendId: string | null, platform?: string) =>
  event(platform ? 'users.messages.pushnotification.Send' : SEND, user, B + t, {
    campaignId: 'C', messageVariationId: variation, sendId, platform: platform ?? null,
  });
const purchase = (user: string, t: number, revenue: number, name = 'p') => event(PURCHASE, user, B + t, { name, price: revenue, revenue });

const DATA = recorded([
  // u1: receipts R1 (v1, send s1) at +1000 and R2 (v2, send s2) at +2000.
  send('u1', 1000, 'v1', 's1'),
  send('u1', 2000, 'v2', 's2'),
  purchase('u1', 2500, 10), // P1: in R1's window [1000, 4600] and R2's [2000, 5600]
  purchase('u1', 4600, 5), // P2: at the very end of R1's window (it counts), inside R2's
  purchase('u1', 5601, 100), // P3: after both windows
  event('users.behaviors.CustomEvent', 'u1', B + 87_400, { name: 'Played' }), // 03-02 00:16:40, R1's window ends exactly then
  event('users.behaviors.CustomEvent', 'u1', B + 3000, { name: 'Other' }),
  event('users.messages.email.Open', 'u1', B + 1500, { campaignId: 'other' }), // another campaign's email: not a conversion
  event('users.messages.email.Open', 'u1', B + 3000, { campaignId: 'C', messageVariationId: 'v1' }),
  event('users.behaviors.app.SessionStart', 'u1', B + 1100, { appId: 'a2' }), // an app the behaviour does not list
  event('users.behaviors.app.SessionStart', 'u1', B + 2300, { appId: 'a1' }), // in R2's window [2000, 2600] only
  // u2: three receipts at the same time; the purchase's revenue goes to variation "a" (before "b"),
  // then channel "email" (before "ios_push").
  send('u2', 100, 'b', null),
  send('u2', 100, 'a', null, 'ios'),
  send('u2', 100, 'a', null),
  purchase('u2', 200, 7),
]);

/** `dayOffset variation channel idx conversions/byReceipt/revenue`, sorted. */
const lines = (rows: ConversionCount[]) =>
  rows.map((r) => `${r.day - D1} ${r.part}|${r.variation} ${r.channel} ${r.idx} ${r.conversions}/${r.byReceipt}/${r.revenue}`).sort();

describe('conversion attribution', () => {
  it('converts each receipt once per behaviour on the first matching event, by conversion day and by receipt day', () => {
    const [rows] = conversionStats(DATA, WS, 'UTC', [{ src: 'campaign', obj: 'C', fromDay: D1, toDay: D2 }]);
    expect(lines(rows)).toEqual([
      // R1: purchase P1 (idx 0), Played at 87,400 on 03-02 (idx 1, by receipt on 03-01), its email opened (idx 2);
      // the session of a1 at +2300 is after R1's 600 s window.
      '0 |v1 email 0 1/1/0', '0 |v1 email 1 0/1/0', '1 |v1 email 1 1/0/0', '0 |v1 email 2 1/1/0',
      // R2: the same, and the a1 session (idx 3); it is the latest receipt before P1 and P2: 10 + 5 = 15.
      '0 |v2 email 0 1/1/0', '0 |v2 email 1 0/1/0', '1 |v2 email 1 1/0/0', '0 |v2 email 2 1/1/0', '0 |v2 email 3 1/1/0',
      '0 |v2 email -1 0/0/15',
      // u2: every receipt converts on the purchase; its revenue is credited once, to (a, email).
      '0 |b email 0 1/1/0', '0 |a ios_push 0 1/1/0', '0 |a email 0 1/1/0', '0 |a email -1 0/0/7',
    ].sort());
  });

  it('restricts to a send id and to the days asked (each row by its own day)', () => {
    const [s2, s1, day2] = conversionStats(DATA, WS, 'UTC', [
      { src: 'campaign', obj: 'C', scope: 's2', fromDay: D1, toDay: D2 },
      { src: 'campaign', obj: 'C', scope: 's1', fromDay: D1, toDay: D2 },
      { src: 'campaign', obj: 'C', fromDay: D2, toDay: D2 },
    ]);
    expect(lines(s2)).toEqual(
      ['0 |v2 email 0 1/1/0', '0 |v2 email 1 0/1/0', '1 |v2 email 1 1/0/0', '0 |v2 email 2 1/1/0', '0 |v2 email 3 1/1/0', '0 |v2 email -1 0/0/15'].sort(),
    );
    expect(lines(s1)).toEqual(['0 |v1 email 0 1/1/0', '0 |v1 email 1 0/1/0', '1 |v1 email 1 1/0/0', '0 |v1 email 2 1/1/0'].sort());
    // On 03-02 only the Played conversions, counted by conversion day.
    expect(lines(day2)).toEqual(['1 |v1 email 1 1/0/0', '1 |v2 email 1 1/0/0']);
  });

  it('credits a purchase between receipts equal but for their send to the first send id (code-point order)', () => {
    const data = recorded([send('u3', 0, 'v', 's2'), send('u3', 0, 'v', 's1'), purchase('u3', 10, 2)]);
    const [s1, s2] = conversionStats(data, WS, 'UTC', [
      { src: 'campaign', obj: 'C', scope: 's1', fromDay: D1, toDay: D1 },
      { src: 'campaign', obj: 'C', scope: 's2', fromDay: D1, toDay: D1 },
    ]);
    expect(lines(s1)).toEqual(['0 |v email -1 0/0/2', '0 |v email 0 1/1/0']);
    expect(lines(s2)).toEqual(['0 |v email 0 1/1/0']);
  });

  it('converts Canvas entries and steps by the Canvas behaviours; revenue is any purchase in the primary window', () => {
    const data = recorded([
      event('users.canvas.Entry', 'u5', B, { canvasId: 'K', canvasVariationId: 'kv' }),
      event(SEND, 'u5', B + 100, { canvasId: 'K', canvasStepId: 'st1', messageVariationId: 'mv' }),
      purchase('u5', 200, 3, 'silver'), // not the behaviour's product, but revenue
      purchase('u5', 300, 4, 'gold'),
    ]);
    const [canvas, steps] = conversionStats(data, WS, 'UTC', [
      { src: 'canvas', obj: 'K', fromDay: D1, toDay: D1 },
      { src: 'step', obj: 'K', fromDay: D1, toDay: D1 },
    ]);
    // The entry at +0 and the step's send at +100 each convert on gold at +300; 3 + 4 = 7 revenue to each.
    expect(lines(canvas)).toEqual(['0 |kv canvas -1 0/0/7', '0 |kv canvas 0 1/1/0']);
    expect(lines(steps)).toEqual(['0 st1|mv email -1 0/0/7', '0 st1|mv email 0 1/1/0']);
  });

  it('sums rows into the figures of a series entry, revenue rounded to the cent', () => {
    const rows: ConversionCount[] = [
      { day: 0, part: '', variation: 'v', channel: 'email', idx: 0, conversions: 2, byReceipt: 1, revenue: 0 },
      { day: 0, part: '', variation: 'v', channel: 'email', idx: 0, conversions: 1, byReceipt: 0, revenue: 0 },
      { day: 0, part: '', variation: 'v', channel: 'email', idx: 2, conversions: 4, byReceipt: 5, revenue: 0 },
      { day: 0, part: '', variation: 'v', channel: 'email', idx: -1, conversions: 0, byReceipt: 0, revenue: 0.105 },
      { day: 0, part: '', variation: 'v', channel: 'email', idx: -1, conversions: 0, byReceipt: 0, revenue: 1.2 },
    ];
    // Three behaviours: index 1 has no rows (zeros); 0.105 + 1.2 = 1.305 → 1.31.
    expect(conversionFigures(rows, 3)).toEqual({
      revenue: 1.31, conversions: 3, conversions_by_send_time: 1, conversions1: 0, conversions1_by_send_time: 0, conversions2: 4, conversions2_by_send_time: 5,
    });
    // A Canvas names them by entry time, and with no behaviour still answers the first.
    expect(conversionFigures(rows, 0, '_by_entry_time')).toEqual({ revenue: 1.31, conversions: 3, conversions_by_entry_time: 1 });
  });
});

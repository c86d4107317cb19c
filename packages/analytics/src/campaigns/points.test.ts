import { describe, expect, it } from 'vitest';
import type { ConversionCount } from '../conversions/figures.ts';
import { dayNumber } from '../time.ts';
import type { MessageCount } from './entries.ts';
import { campaignPoints } from './points.ts';

const D = dayNumber('2024-03-01');
const CAMPAIGN = {
  id: 'c1',
  messages: { v1: { channel: 'email', name: 'Mail' }, ctl: { type: 'control' } },
  conversion_behaviors: [{ type: 'Makes Any Purchase', window: 3600 }],
};
const m = (variation: string, channel: string, action: string, n: number, u: number): MessageCount => ({ day: D, part: '', variation, channel, action, n, u });
const c = (variation: string, channel: string, idx: number, conversions: number, byReceipt: number, revenue = 0): ConversionCount =>
  ({ day: D, part: '', variation, channel, idx, conversions, byReceipt, revenue });

describe('campaign series points', () => {
  it('lists each variation by channel with its counters and conversions, and the campaign figures without control', () => {
    const counts = [m('v1', 'email', 'send', 2, 2), m('v1', 'email', 'open', 1, 0), m('v1', 'email', 'open', 0, 1), m('', '', 'recipient', 2, 2), m('ctl', 'control', 'enrolled', 1, 1)];
    const conversions = [
      c('v1', 'email', 0, 1, 1), c('v1', 'email', -1, 0, 0, 2.5), c('ctl', 'control', 0, 1, 1),
      // A conversion moved away from a variation the campaign does not define: +1 then −1, no data.
      c('ghost', 'email', 0, 1, 1), c('ghost', 'email', 0, -1, -1),
    ];
    expect(campaignPoints(CAMPAIGN, ['2024-03-01', '2024-03-02'], counts, conversions)).toEqual([
      {
        time: '2024-03-01',
        messages: {
          email: [
            // The open's events and distinct users come in two rows: summed.
            {
              variation_name: 'Mail', variation_api_id: 'v1', sent: 2, opens: 1, unique_opens: 1, machine_opens: 0, clicks: 0, unique_clicks: 0,
              unsubscribes: 0, bounces: 0, delivered: 0, reported_spam: 0, unique_recipients: 2, revenue: 2.5, conversions: 1, conversions_by_send_time: 1,
            },
            // The control is listed in the campaign's channel, by its id (it has no name), with its enrolments.
            { variation_name: 'ctl', variation_api_id: 'ctl', enrolled: 1, unique_recipients: 1, revenue: 0, conversions: 1, conversions_by_send_time: 1 },
          ],
        },
        // The campaign's conversions are its recipients' (not the control's): v1's.
        revenue: 2.5, conversions: 1, conversions_by_send_time: 1, unique_recipients: 2,
      },
      {
        time: '2024-03-02',
        messages: {
          email: [
            {
              variation_name: 'Mail', variation_api_id: 'v1', sent: 0, opens: 0, unique_opens: 0, machine_opens: 0, clicks: 0, unique_clicks: 0,
              unsubscribes: 0, bounces: 0, delivered: 0, reported_spam: 0, unique_recipients: 0, revenue: 0, conversions: 0, conversions_by_send_time: 0,
            },
            { variation_name: 'ctl', variation_api_id: 'ctl', enrolled: 0, unique_recipients: 0, revenue: 0, conversions: 0, conversions_by_send_time: 0 },
          ],
        },
        revenue: 0, conversions: 0, conversions_by_send_time: 0, unique_recipients: 0,
      },
    ]);
  });
});

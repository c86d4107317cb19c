import { describe, expect, it } from 'vitest';
import type { ConversionCount } from '../conversions/figures.ts';
import type { MessageCount } from './entries.ts';
import { canvasDayStats } from './canvas.ts';

const CANVAS = {
  id: 'k1',
  variants: [{ id: 'kv1', name: 'A' }],
  steps: [{ id: 'st1', name: 'Step 1', messages: { mv: { channel: 'email', name: 'E' } } }, { id: 'st0', name: 'Gone', deleted: true }],
  conversion_behaviors: [{ type: 'Makes Any Purchase', window: 60 }],
};
const m = (part: string, variation: string, channel: string, action: string, n: number, u: number): MessageCount => ({ day: 7, part, variation, channel, action, n, u });
const c = (variation: string, idx: number, conversions: number, byReceipt: number, revenue = 0): ConversionCount =>
  ({ day: 7, part: '', variation, channel: 'canvas', idx, conversions, byReceipt, revenue });

const ROWS = {
  // Entries of the defined variant kv1 (2) and of variants the Canvas does not define, "zz" and "b".
  entries: [m('', 'kv1', 'canvas', 'entry', 2, 0), m('', 'zz', 'canvas', 'entry', 1, 0), m('', 'b', 'canvas', 'entry', 1, 0)],
  // kv1: one conversion and $3; "b" converted on the second behaviour only (a Canvas reports the first).
  conversions: [c('kv1', 0, 1, 1), c('kv1', -1, 0, 0, 3), c('b', 1, 5, 5)],
  stepCounts: [m('st1', 'mv', 'email', 'send', 1, 1), m('st9', 'x', 'email', 'send', 1, 1)],
  stepConversions: [],
};
const EMAIL_SENT_ONCE = {
  variation_name: 'E', variation_api_id: 'mv', sent: 1, opens: 0, unique_opens: 0, machine_opens: 0, clicks: 0, unique_clicks: 0, unsubscribes: 0,
  bounces: 0, delivered: 0, reported_spam: 0, unique_recipients: 1, revenue: 0, conversions: 0, conversions_by_send_time: 0,
};
const NONE = { revenue: 0, conversions: 0, conversions_by_entry_time: 0 };

describe('Canvas figures', () => {
  it('totals entries and the primary conversions, per variant (undefined ones after, in code-point order) and per step', () => {
    const stats = canvasDayStats(CANVAS, ROWS, { variants: true, steps: true })(7);
    expect(stats).toEqual({
      total_stats: { revenue: 3, conversions: 1, conversions_by_entry_time: 1, entries: 4 },
      variant_stats: {
        kv1: { name: 'A', revenue: 3, conversions: 1, conversions_by_entry_time: 1, entries: 2 },
        b: { name: 'b', ...NONE, entries: 1 },
        zz: { name: 'zz', ...NONE, entries: 1 },
      },
      // The deleted step and the undefined one are left out.
      step_stats: { st1: { name: 'Step 1', ...NONE, messages: { email: [EMAIL_SENT_ONCE] } } },
    });
    expect(Object.keys(stats.variant_stats!)).toEqual(['kv1', 'b', 'zz']);
  });

  it('lists deleted and undefined steps when asked, and answers zeros on a day without data', () => {
    const stats = canvasDayStats(CANVAS, ROWS, { steps: true, deletedSteps: true })(7);
    expect(Object.keys(stats.step_stats!)).toEqual(['st1', 'st0', 'st9']);
    expect(stats.step_stats!.st9.messages.email[0]).toMatchObject({ variation_name: 'x', variation_api_id: 'x', sent: 1 });
    expect(stats.variant_stats).toBeUndefined();
    expect(canvasDayStats(CANVAS, ROWS, {})(8)).toEqual({ total_stats: { ...NONE, entries: 0 } });
  });
});

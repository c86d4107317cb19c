import { describe, expect, it } from 'vitest';
import { at, event, recorded } from '../records.fixture.ts';
import { dayNumber } from '../time.ts';
import type { MessageCount } from './entries.ts';
import { isoInZone, messageStats, receiptSpan, seriesDays } from './stats.ts';

const EMAIL = 'users.messages.email.';
const c1 = (type: string, user: string, iso: string, fields: Parameters<typeof event>[3] = {}) =>
  event(type, user, at(iso), { campaignId: 'c1', messageVariationId: 'v1', ...fields });

// Campaign c1, variation v1 (email), and a control variation:
//   u1 sent 03-01 10:00Z (send s1), u2 sent 03-01 23:30Z (send s2);
//   u1 opens twice on 03-01 11:00Z; u2 opens 03-02 00:10Z, by a machine;
//   u3 enrolled in control 03-02 01:00Z; u1 sent again 03-02 09:00Z (send s1).
const DATA = recorded([
  c1(`${EMAIL}Send`, 'u1', '2024-03-01T10:00:00Z', { sendId: 's1' }),
  c1(`${EMAIL}Send`, 'u2', '2024-03-01T23:30:00Z', { sendId: 's2' }),
  c1(`${EMAIL}Open`, 'u1', '2024-03-01T11:00:00Z'),
  c1(`${EMAIL}Open`, 'u1', '2024-03-01T11:00:00Z'),
  c1(`${EMAIL}Open`, 'u2', '2024-03-02T00:10:00Z', { payload: { machine_open: 'true' } }),
  c1('users.campaigns.EnrollInControl', 'u3', '2024-03-02T01:00:00Z', { messageVariationId: 'ctl' }),
  c1(`${EMAIL}Send`, 'u1', '2024-03-02T09:00:00Z', { sendId: 's1' }),
  event(`${EMAIL}Send`, 'u9', at('2024-03-01T10:00:00Z'), { campaignId: 'other' }),
]);
const D1 = dayNumber('2024-03-01');
const D2 = dayNumber('2024-03-02');

/** Rows as `day part|variation channel action n/u`, sorted, for comparing sets. */
const lines = (rows: MessageCount[]) => rows.map((r) => `${r.day - D1} ${r.part}|${r.variation} ${r.channel} ${r.action} ${r.n}/${r.u}`).sort();

describe('campaign statistics from the records', () => {
  it('counts events and distinct users per day, channel and action, and the recipients of each day', () => {
    const [rows] = messageStats(DATA, 'UTC', [{ src: 'campaign', obj: 'c1', fromDay: D1, toDay: D2 }]);
    expect(lines(rows)).toEqual([
      // 03-01: two sends to two users; two opens by one user (unique-tracked); recipients u1 and u2.
      '0 |  recipient 2/2',
      '0 |v1 email open 2/1',
      '0 |v1 email send 2/2',
      // 03-02: u2's open also counts as a machine open (events only: no distinct users kept for it);
      // u3's control enrolment is a receipt but makes no recipient; u1 sent again.
      '1 |  recipient 1/1',
      '1 |ctl control enrolled 1/1',
      '1 |v1 email machine_open 1/0',
      '1 |v1 email open 1/1',
      '1 |v1 email send 1/1',
    ].sort());
  });

  it('counts days of the workspace zone', () => {
    // In New York (UTC-5 before 10 March) every event but u1's second send falls on 03-01 local:
    // 03-02 00:10Z is 03-01 19:10, 01:00Z is 03-01 20:00; 03-02 09:00Z is 03-02 04:00.
    const [rows] = messageStats(DATA, 'America/New_York', [{ src: 'campaign', obj: 'c1', fromDay: D1, toDay: D2 }]);
    expect(lines(rows)).toEqual([
      '0 |  recipient 2/2', // u1 and u2 (u1's second send is the next day)
      '0 |ctl control enrolled 1/1',
      '0 |v1 email machine_open 1/0',
      '0 |v1 email open 3/2',
      '0 |v1 email send 2/2',
      '1 |  recipient 1/1',
      '1 |v1 email send 1/1',
    ].sort());
  });

  it('restricts to one send id, and to the days asked', () => {
    // Send s1: u1's two sends (opens carry no send id).
    const [s1, day2] = messageStats(DATA, 'UTC', [
      { src: 'campaign', obj: 'c1', scope: 's1', fromDay: D1, toDay: D2 },
      { src: 'campaign', obj: 'c1', fromDay: D2, toDay: D2 },
    ]);
    expect(lines(s1)).toEqual(['0 |  recipient 1/1', '0 |v1 email send 1/1', '1 |  recipient 1/1', '1 |v1 email send 1/1'].sort());
    expect(lines(day2).every((l) => l.startsWith('1 '))).toBe(true);
  });

  it('spans the receipts (sends and control enrolments) and the days with data', () => {
    // First receipt u1's send 03-01 10:00Z; last u1's second send 03-02 09:00Z. Of send s2: u2's only.
    expect(receiptSpan(DATA, 'campaign', 'c1')).toEqual({ first: at('2024-03-01T10:00:00Z'), last: at('2024-03-02T09:00:00Z') });
    expect(receiptSpan(DATA, 'campaign', 'c1', 's2')).toEqual({ first: at('2024-03-01T23:30:00Z'), last: at('2024-03-01T23:30:00Z') });
    expect(receiptSpan(DATA, 'campaign', 'none')).toEqual({ first: null, last: null });
    expect(isoInZone(at('2024-03-01T23:30:00Z'), 'Asia/Kolkata')).toBe('2024-03-02T05:00:00+05:30');
    expect(seriesDays(DATA, 'UTC', 'campaign', 'c1', '')).toEqual({ first: D1, last: D2 });
    expect(seriesDays(DATA, 'UTC', 'campaign', 'c1', 's2')).toEqual({ first: D1, last: D1 });
    expect(seriesDays(DATA, 'UTC', 'campaign', 'c1', 's9')).toEqual({ first: null, last: null });
  });

  it('counts Canvas entries by variant and step engagement by step', () => {
    const data = recorded([
      event('users.canvas.Entry', 'u1', at('2024-03-01T10:00:00Z'), { canvasId: 'k1', canvasVariationId: 'kv1' }),
      event('users.canvas.Entry', 'u1', at('2024-03-01T12:00:00Z'), { canvasId: 'k1', canvasVariationId: 'kv1' }),
      event(`${EMAIL}Send`, 'u1', at('2024-03-01T10:05:00Z'), { canvasId: 'k1', canvasStepId: 'st1', messageVariationId: 'mv1' }),
    ]);
    const [canvas, steps] = messageStats(data, 'UTC', [
      { src: 'canvas', obj: 'k1', fromDay: D1, toDay: D1 },
      { src: 'step', obj: 'k1', fromDay: D1, toDay: D1 },
    ]);
    // Entries are not receipts of a message: no distinct users, no recipients.
    expect(lines(canvas)).toEqual(['0 |kv1 canvas entry 2/0']);
    expect(lines(steps)).toEqual(['0 st1|mv1 email send 1/1']);
    expect(receiptSpan(data, 'canvas', 'k1')).toEqual({ first: at('2024-03-01T10:00:00Z'), last: at('2024-03-01T12:00:00Z') });
  });
});

import { describe, expect, it } from 'vitest';
import { at, event, recorded } from '../records.fixture.ts';
import { dayLabel } from '../time.ts';
import { activityValues, type ActivityMetric } from './activity.ts';
import { ActivityIndex, type ActivityTuple } from './activity-index.ts';

const session = (user: string, day: string, time = '12:00:00', appId: string | null = null) =>
  event('users.behaviors.app.SessionStart', user, at(`${day}T${time}Z`), { appId });

const DATA = recorded([
  session('u1', '2024-03-01'), session('u1', '2024-03-05'), session('u1', '2024-03-31'),
  session('u2', '2024-03-05', '08:00:00', 'a1'), session('u2', '2024-03-05', '09:00:00', 'a1'),
  session('u3', '2024-03-20'),
  session('u3', '2024-02-10'), // recorded after the 03-20 one, but earlier: u3's first session moves to 02-10
  session('u4', '2024-03-31', '12:00:00', 'a1'),
  session('u5', '2024-03-01', '03:00:00'), // 02-29 22:00 in New York
  event('users.behaviors.CustomEvent', 'u6', at('2024-03-05T12:00:00Z'), { name: 'x' }), // not a session
]);
const DAYS = ['2024-03-01', '2024-03-05', '2024-03-20', '2024-03-30', '2024-03-31', '2024-04-03'];
const values = (metric: ActivityMetric, appId?: string, zone = 'UTC', days = DAYS) => activityValues(DATA, { metric, appId, days }, zone);

describe('DAU, MAU and new users', () => {
  it('counts distinct users with a session that day', () => {
    // 03-01 u1, u5; 03-05 u1, u2 (twice); 03-20 u3; 03-30 nobody; 03-31 u1, u4.
    expect(values('dau')).toEqual([2, 2, 1, 0, 2, 0]);
  });

  it('counts distinct users with a session in the 30 days ending that day', () => {
    // 03-01: 01-31..03-01 → u1, u3 (02-10), u5. 03-05: 02-05..03-05 → u1, u2, u3, u5.
    // 03-20: 02-20..03-20 → u1, u2, u3 (03-20), u5. 03-30: 03-01..03-30 → u1, u2, u3, u5.
    // 03-31: 03-02..03-31 → u1, u2, u3, u4 (u5's 03-01 has left). 04-03: 03-05..04-03 → u1, u2, u3, u4.
    expect(values('mau')).toEqual([3, 4, 4, 4, 4, 4]);
  });

  it('counts users on the day of their first session, which a late earlier session moves', () => {
    // u1 and u5 on 03-01, u2 on 03-05, u3 on 02-10 (not 03-20), u4 on 03-31.
    expect(values('new_users')).toEqual([2, 1, 0, 0, 1, 0]);
  });

  it('counts the sessions of one app only', () => {
    // a1: u2 on 03-05, u4 on 03-31.
    expect(values('dau', 'a1')).toEqual([0, 1, 0, 0, 1, 0]);
    expect(values('mau', 'a1')).toEqual([0, 1, 1, 1, 2, 2]);
    expect(values('new_users', 'a1')).toEqual([0, 1, 0, 0, 1, 0]);
  });

  it('counts local days of the zone', () => {
    // In New York u5's session is on 02-29; the others (at noon UTC, or 08:00-09:00) keep their day.
    const days = ['2024-02-29', '2024-03-01'];
    expect(values('dau', undefined, 'America/New_York', days)).toEqual([1, 1]);
    expect(values('new_users', undefined, 'America/New_York', days)).toEqual([1, 1]);
  });
});

describe('the incremental ActivityIndex (DuckDB keeps its rollup with it)', () => {
  it('gives the values computed from the records, whatever order the sessions arrive in (history only where planned)', () => {
    // A seeded shuffle of 400 sessions of 40 users over 90 days, fed in batches of 25.
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const tuples: ActivityTuple[] = Array.from({ length: 400 }, () => ({ scope: '', uid: Math.floor(random() * 40), day: 19_700 + Math.floor(random() * 90) }));
    const index = new ActivityIndex();
    const recordedDays = new Map<number, Set<number>>();
    const daily = new Map<number, { dau: number; newUsers: number; mauDiff: number }>();
    for (let i = 0; i < tuples.length; i += 25) {
      const batch = tuples.slice(i, i + 25);
      // As an engine does: the history of the users `plan` names, and of no other.
      const planned = new Set(index.plan(batch).needHistory.map((h) => h.uid));
      const change = index.change(batch, (_scope, uid) => (planned.has(uid) ? [...(recordedDays.get(uid) ?? [])].sort((a, b) => a - b) : []));
      for (const t of change.newDays) recordedDays.set(t.uid, (recordedDays.get(t.uid) ?? new Set()).add(t.day));
      for (const d of change.deltas) {
        const row = daily.get(d.day) ?? { dau: 0, newUsers: 0, mauDiff: 0 };
        daily.set(d.day, { dau: row.dau + d.dau, newUsers: row.newUsers + d.newUsers, mauDiff: row.mauDiff + d.mauDiff });
      }
      change.commit();
    }
    const data = recorded(tuples.map((t) => event('users.behaviors.app.SessionStart', `u${t.uid}`, t.day * 86_400 + 3600)));
    const days = Array.from({ length: 130 }, (_, i) => 19_690 + i);
    // MAU is the running sum of the differences: those before the first day asked, then each day's.
    let mau = [...daily].filter(([d]) => d < days[0]).reduce((s, [, row]) => s + row.mauDiff, 0);
    const fromIndex = days.map((day) => {
      mau += daily.get(day)?.mauDiff ?? 0;
      return { dau: daily.get(day)?.dau ?? 0, new_users: daily.get(day)?.newUsers ?? 0, mau };
    });
    const q = (metric: ActivityMetric) => activityValues(data, { metric, days: days.map(dayLabel) }, 'UTC');
    expect(fromIndex.map((v) => v.dau)).toEqual(q('dau'));
    expect(fromIndex.map((v) => v.new_users)).toEqual(q('new_users'));
    expect(fromIndex.map((v) => v.mau)).toEqual(q('mau'));
  });
});

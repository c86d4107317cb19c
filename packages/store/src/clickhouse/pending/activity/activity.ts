import type { RecordedData } from '../records.ts';
import { dayNumber } from '../time.ts';
import { localDayOf } from '../series/days.ts';
import { MAU_WINDOW_DAYS } from './activity-index.ts';

/**
 * DAU, MAU and new users (SPEC §3) from the session starts, by local day of the workspace zone, for
 * every app or one. The obvious computation; engines keep rollups (see ActivityIndex) that must
 * give the same numbers.
 */

export type ActivityMetric = 'dau' | 'mau' | 'new_users';

export interface ActivityQuery {
  metric: ActivityMetric;
  appId?: string;
  /** Consecutive local days of the workspace's time zone, `YYYY-MM-DD`, oldest first. */
  days: readonly string[];
}

/** The local days on which each user started a session (of the app, when given). */
export function sessionDays(data: RecordedData, zone: string, appId?: string): Map<string, Set<number>> {
  const dayOf = localDayOf(zone);
  const out = new Map<string, Set<number>>();
  for (const e of data.events) {
    if (e.category !== 'session_start' || (appId !== undefined && e.appId !== appId)) continue;
    let days = out.get(e.user);
    if (!days) out.set(e.user, (days = new Set()));
    days.add(dayOf(e.time));
  }
  return out;
}

/**
 * One value per day of `q.days`: DAU, distinct users with a session that day; MAU, distinct users
 * with a session in the 30 days ending that day; new users, users whose first session (ever, so a
 * session recorded late on an earlier day moves it) falls that day.
 */
export function activityValues(data: RecordedData, q: ActivityQuery, zone: string): number[] {
  const users = [...sessionDays(data, zone, q.appId).values()];
  const firsts = users.map((days) => Math.min(...days));
  return q.days.map((label) => {
    const day = dayNumber(label);
    if (q.metric === 'dau') return users.filter((days) => days.has(day)).length;
    if (q.metric === 'new_users') return firsts.filter((first) => first === day).length;
    return users.filter((days) => [...days].some((d) => d <= day && d > day - MAU_WINDOW_DAYS)).length;
  });
}

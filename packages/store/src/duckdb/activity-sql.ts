import { dayOf } from './campaigns-sql.ts';

/** Session starts of `source` as (scope, uid, local day) in the zone; scope '' is all apps. */
export function sessionDaysSql(source: string, zone: string): string {
  const day = dayOf('time', zone);
  return `SELECT DISTINCT scope, uid, day FROM (
      SELECT '' AS scope, uid, ${day} AS day FROM ${source} WHERE category = 'session_start'
      UNION ALL
      SELECT app_id AS scope, uid, ${day} AS day FROM ${source} WHERE category = 'session_start' AND app_id IS NOT NULL)`;
}

/**
 * The daily rollup computed from scratch from `user_days`: the same definitions as the incremental
 * ActivityIndex (used after a time-zone change, and by tests as an independent computation).
 */
export const DAILY_FROM_USER_DAYS = `
  WITH ordered AS (
    SELECT scope, uid, day,
           lag(day) OVER (PARTITION BY scope, uid ORDER BY day) AS prev,
           lead(day) OVER (PARTITION BY scope, uid ORDER BY day) AS next
    FROM user_days),
  parts AS (
    SELECT scope, day, 1 AS dau, 0 AS new_users, 0 AS mau_diff FROM user_days
    UNION ALL SELECT scope, min(day), 0, 1, 0 FROM user_days GROUP BY scope, uid
    UNION ALL SELECT scope, day, 0, 0, 1 FROM ordered WHERE prev IS NULL OR day - prev > 30
    UNION ALL SELECT scope, day + 30, 0, 0, -1 FROM ordered WHERE next IS NULL OR next - day > 30)
  SELECT scope, day, sum(dau), sum(new_users), sum(mau_diff) FROM parts GROUP BY scope, day`;

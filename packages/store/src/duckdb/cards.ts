import type { DuckDBConnection } from '@duckdb/node-api';
import { CARD_CLICK, CARD_IMPRESSION } from '@brazen/analytics';
import type { CardStatRow, CardStatsQuery } from '../campaign-types.ts';
import { literal } from './sql.ts';

/** News Feed card engagement per unit, from the stored events (analytics' `cardStats`): a user
 * clicking twice in a unit is two clicks and one unique click. */
export async function cardStats(conn: DuckDBConnection, q: CardStatsQuery): Promise<CardStatRow[]> {
  if (q.bounds.length < 2) return [];
  const list = `[${q.bounds.map((b) => Number(b)).join(', ')}]::DOUBLE[]`;
  const found = (
    await conn.runAndReadAll(
      `WITH e AS (
         SELECT time, uid, CASE WHEN event_type = ${literal(CARD_CLICK)} THEN 'click' ELSE 'impression' END AS action
         FROM events
         WHERE category = 'feed_card' AND event_type IN (${literal(CARD_CLICK)}, ${literal(CARD_IMPRESSION)})
           AND coalesce(json_extract_string(payload, '$.card_api_id'), card_id) = $card
           AND time >= $from AND time < $to),
       u AS (SELECT len(list_filter(${list}, b -> b <= e.time)) - 1 AS unit, uid, action FROM e)
       SELECT unit::INTEGER,
         count(*) FILTER (WHERE action = 'impression')::DOUBLE, count(*) FILTER (WHERE action = 'click')::DOUBLE,
         count(DISTINCT uid) FILTER (WHERE action = 'impression')::DOUBLE, count(DISTINCT uid) FILTER (WHERE action = 'click')::DOUBLE
       FROM u GROUP BY unit ORDER BY unit`,
      { card: q.cardId, from: q.bounds[0], to: q.bounds[q.bounds.length - 1] },
    )
  ).getRows() as Array<[number, number, number, number, number]>;
  return found.map(([unit, impressions, clicks, uniqueImpressions, uniqueClicks]) => ({
    unit, impressions, clicks, uniqueImpressions, uniqueClicks,
  }));
}

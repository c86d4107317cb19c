import type { RecordedData, StoredEvent } from '../records.ts';
import { payloadText } from '../engagement/index.ts';

/** News Feed card engagement (`/feed/data_series`): impressions and clicks of a card per unit. */

export interface CardStatsQuery {
  cardId: string;
  /** Start of each unit, then the end of the last one (epoch seconds). */
  bounds: number[];
}

export interface CardStatRow {
  /** Index of the unit. */
  unit: number;
  impressions: number;
  clicks: number;
  /** Distinct users with an impression in the unit. */
  uniqueImpressions: number;
  /** Distinct users who clicked in the unit (not the clicks: a user clicking twice is one). */
  uniqueClicks: number;
}

export const CARD_IMPRESSION = 'users.messages.newsfeedcard.Impression';
export const CARD_CLICK = 'users.messages.newsfeedcard.Click';

/** The card an event is about: the record's `card_api_id` (the id the API knows), else its `card_id`. */
export function cardOf(e: StoredEvent): string | null {
  return payloadText(e.payload, 'card_api_id') ?? e.cardId;
}

/** One row per unit with engagement, in unit order. */
export function cardStats(data: RecordedData, q: CardStatsQuery): CardStatRow[] {
  if (q.bounds.length < 2) return [];
  const from = q.bounds[0];
  const to = q.bounds[q.bounds.length - 1];
  const units = new Map<number, { impressions: number; clicks: number; viewers: Set<string>; clickers: Set<string> }>();
  for (const e of data.events) {
    if (e.category !== 'feed_card' || (e.eventType !== CARD_IMPRESSION && e.eventType !== CARD_CLICK)) continue;
    if (e.time < from || e.time >= to || cardOf(e) !== q.cardId) continue;
    // The unit is the last whose start is at or before the event.
    const unit = q.bounds.filter((b) => b <= e.time).length - 1;
    let u = units.get(unit);
    if (!u) units.set(unit, (u = { impressions: 0, clicks: 0, viewers: new Set(), clickers: new Set() }));
    if (e.eventType === CARD_CLICK) {
      u.clicks += 1;
      u.clickers.add(e.user);
    } else {
      u.impressions += 1;
      u.viewers.add(e.user);
    }
  }
  return [...units]
    .sort((a, b) => a[0] - b[0])
    .map(([unit, u]) => ({ unit, impressions: u.impressions, clicks: u.clicks, uniqueImpressions: u.viewers.size, uniqueClicks: u.clickers.size }));
}

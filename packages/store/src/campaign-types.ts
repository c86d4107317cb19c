/** What the store answers about campaigns, sends, Canvases and News Feed cards (SPEC §3). */

/**
 * Whose messages: a campaign (`obj` = campaign id, `variation` = message variation id), a Canvas
 * (`obj` = canvas id, entries by `variation` = canvas variant id) or the steps of a Canvas
 * (`obj` = canvas id, `part` = step id, `variation` = the step's message variation id).
 */
export type MessageSource = 'campaign' | 'canvas' | 'step';

export interface MessageStatsQuery {
  src: MessageSource;
  obj: string;
  /** A send id, or '' (default) for every send. */
  scope?: string;
  /** Local day numbers (days since 1970-01-01 in the workspace zone), inclusive. */
  fromDay: number;
  toDay: number;
}

/** Events of one (day, part, variation, channel, action), and distinct users when tracked. The same
 * key may come in several rows, to be summed. */
export interface MessageStatRow {
  day: number;
  part: string;
  variation: string;
  /** Series channel (`email`, `ios_push`, `trigger_in_app_message`, `control`, ...); '' with
   * action `recipient` for the distinct recipients of the whole campaign; `canvas` for entries. */
  channel: string;
  action: string;
  n: number;
  u: number;
}

/** Conversions of behaviour `idx` (0–3; -1 carries revenue) on one day; rows of one key are summed. */
export interface ConversionStatRow {
  day: number;
  part: string;
  variation: string;
  channel: string;
  idx: number;
  /** Conversions whose converting event fell on `day`. */
  conversions: number;
  /** Conversions whose receipt fell on `day`. */
  byReceipt: number;
  /** Revenue (USD) of purchases on `day` credited to the source. */
  revenue: number;
}

/** First and last receipt (epoch seconds), or null when nothing was received. */
export interface ReceiptSpan {
  first: number | null;
  last: number | null;
}

/** First and last local day (day numbers) with data in a series, or null when it has none. */
export interface SeriesDays {
  first: number | null;
  last: number | null;
}

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
  uniqueImpressions: number;
  uniqueClicks: number;
}

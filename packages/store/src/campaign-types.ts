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

// The rows the store answers are the shapes the campaign analytics read (one definition).
export type { MessageCount as MessageStatRow, ConversionCount as ConversionStatRow } from '@brazen/analytics';

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

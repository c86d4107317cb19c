import type { MessageSource } from '../engagement/index.ts';

/** What the campaign, send and Canvas figures are asked for (the store port answers the same). */

export type { MessageSource };

export interface MessageStatsQuery {
  src: MessageSource;
  obj: string;
  /** A send id, or '' (default) for every send. */
  scope?: string;
  /** Local day numbers (days since 1970-01-01 in the workspace zone), inclusive. */
  fromDay: number;
  toDay: number;
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

/** The channel and action of the rows counting a campaign's distinct recipients of the day (of
 * every channel but control): `unique_recipients`. */
export const RECIPIENTS = { channel: '', action: 'recipient' } as const;

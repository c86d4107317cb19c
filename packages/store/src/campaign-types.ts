/** What the store answers about campaigns, sends, Canvases and News Feed cards (SPEC §3): the
 * vocabulary of `@brazen/analytics`, whose functions compute the same answers from the records. */
export type {
  MessageSource, MessageStatsQuery, ReceiptSpan, SeriesDays, CardStatsQuery, CardStatRow,
  MessageCount as MessageStatRow, ConversionCount as ConversionStatRow,
} from '@brazen/analytics';

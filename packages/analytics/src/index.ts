/**
 * Braze's rules as pure TypeScript over the recorded data (`RecordedData`, records.ts) and the
 * workspace document. Every engine's answer must equal what these functions compute; the reference
 * engine answers the store port by calling them:
 *
 *   AnalyticsData method        rule
 *   counterSeries(q)            counterTotals(data, q)                              series/
 *   activitySeries(q)           activityValues(data, q, zone)                       activity/
 *   names(kind, offset, limit)  recordedNames(data, kind).slice(offset, offset + limit)
 *   hasName(kind, name)         recordedNames(data, kind).includes(name)
 *   messageStats(queries)       messageStats(data, zone, queries)                   campaigns/
 *   conversionStats(queries)    conversionStats(data, ws, zone, queries)            conversions/
 *   receiptSpan(src, obj, send) receiptSpan(data, src, obj, send)                   campaigns/
 *   seriesDays(src, obj, scope) seriesDays(data, zone, src, obj, scope)             campaigns/
 *   cardStats(q)                cardStats(data, q)                                  cards/
 *   segmentSizes(f, instants)   segmentSizes(data, f, instants)                     segments/
 *   segmentCounterSeries(q,f,t) segmentCounterTotals(data, q, f, t)                 segments/
 *   (export members now)        segmentMembers(data, f, { at, inclusive: true })    segments/
 *
 * `zone` is the workspace's time zone (`ws.time_zone ?? 'UTC'`). Below the port: engagementRows
 * (an event → the rows it counts as), RECEIVED_EVENT_TYPES (what "received a message" is),
 * conversionMatches, randomBucket; and what the routes build from the port's
 * answers: campaignPoints, canvasDayStats, channelEntries, conversionFigures.
 */
export * from './time.ts';
export * from './records.ts';
export * from './text-order.ts';
export * from './currents/index.ts';
export * from './identity/index.ts';
export * from './attributes/index.ts';
export * from './profiles/index.ts';
export * from './engagement/index.ts';
export * from './series/index.ts';
export * from './activity/index.ts';
export * from './campaigns/index.ts';
export * from './conversions/index.ts';
export * from './cards/index.ts';
export * from './segments/index.ts';

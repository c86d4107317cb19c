import { DateTime } from 'luxon';
import type { RecordedData } from '../records.ts';
import { CANVAS_CHANNEL, CONTROL_CHANNEL, engagementRows, type EngagementRow, type MessageSource } from '../engagement/index.ts';
import { localDayOf } from '../series/days.ts';
import type { MessageCount } from './entries.ts';
import { RECIPIENTS, type MessageStatsQuery, type ReceiptSpan, type SeriesDays } from './types.ts';

/**
 * Campaign, send, Canvas and step engagement from the records (SPEC §3): the store port's
 * `messageStats`, `receiptSpan` and `seriesDays`, computed the obvious way.
 */

/** Every engagement row of the recorded data. */
export function allEngagementRows(data: RecordedData): EngagementRow[] {
  return data.events.flatMap(engagementRows);
}

/** Whether a row belongs to the series of (src, obj) and scope: every send (''), or one send id of a campaign. */
const inSeries = (r: EngagementRow, src: MessageSource, obj: string, scope: string) =>
  r.src === src && r.obj === obj && (scope === '' || (r.src === 'campaign' && r.send === scope));

/**
 * Per query, the rows of each (local day, part, variation, channel, action): `n` events and `u`
 * distinct users (0 where distinct users are not tracked), and for a campaign the distinct
 * recipients of the day (of every channel but control) under `RECIPIENTS`.
 */
export function messageStats(data: RecordedData, zone: string, queries: readonly MessageStatsQuery[]): MessageCount[][] {
  const rows = allEngagementRows(data);
  const dayOf = localDayOf(zone);
  return queries.map((q) => {
    const scope = q.scope ?? '';
    const counts = new Map<string, { row: MessageCount; users: Set<string> }>();
    const add = (day: number, part: string, variation: string, channel: string, action: string, user: string | null) => {
      const key = JSON.stringify([day, part, variation, channel, action]);
      let c = counts.get(key);
      if (!c) counts.set(key, (c = { row: { day, part, variation, channel, action, n: 0, u: 0 }, users: new Set() }));
      c.row.n += 1;
      if (user !== null) c.users.add(user);
    };
    for (const r of rows) {
      if (!inSeries(r, q.src, q.obj, scope)) continue;
      const day = dayOf(r.time);
      if (day < q.fromDay || day > q.toDay) continue;
      add(day, r.part, r.variation, r.channel, r.action, r.unique ? r.user : null);
      if (r.src === 'campaign' && r.receipt && r.channel !== CONTROL_CHANNEL) add(day, '', '', RECIPIENTS.channel, RECIPIENTS.action, r.user);
    }
    return [...counts.values()].map(({ row, users }) => ({ ...row, u: users.size }));
  });
}

/** First and last receipt of a campaign (sends, impressions, control enrolments) or Canvas (entries),
 * optionally of one send id. */
export function receiptSpan(data: RecordedData, src: MessageSource, obj: string, send?: string): ReceiptSpan {
  let first: number | null = null;
  let last: number | null = null;
  for (const r of allEngagementRows(data)) {
    if (r.src !== src || r.obj !== obj || (send !== undefined && r.send !== send)) continue;
    if (!r.receipt && r.channel !== CANVAS_CHANNEL) continue;
    if (first === null || r.time < first) first = r.time;
    if (last === null || r.time > last) last = r.time;
  }
  return { first, last };
}

/** `2024-03-01T10:00:00+00:00`: an instant (first or last send) in the workspace zone. */
export function isoInZone(epochSeconds: number | null, zone: string): string | null {
  if (epochSeconds === null) return null;
  return DateTime.fromSeconds(Math.floor(epochSeconds), { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}

/** First and last local day with engagement of a campaign, Canvas or step series (`scope`: '' or a send id). */
export function seriesDays(data: RecordedData, zone: string, src: MessageSource, obj: string, scope: string): SeriesDays {
  const dayOf = localDayOf(zone);
  let first: number | null = null;
  let last: number | null = null;
  for (const r of allEngagementRows(data)) {
    if (!inSeries(r, src, obj, scope)) continue;
    const day = dayOf(r.time);
    if (first === null || day < first) first = day;
    if (last === null || day > last) last = day;
  }
  return { first, last };
}

import { dayNumber } from '../time.ts';
import { CONTROL_CHANNEL } from '../engagement/index.ts';
import { conversionCount } from '../conversions/behaviors.ts';
import { conversionFigures, type ConversionCount } from '../conversions/figures.ts';
import { byDay, channelEntries, definedVariations, variationsWithData, type ChannelEntries, type MessageCount } from './entries.ts';
import { RECIPIENTS } from './types.ts';

/**
 * The points of `/campaigns/data_series` and `/sends/data_series` (SPEC §3): per day, each channel's
 * entries (one per message variation, defined or seen in the data), the conversion figures of the
 * campaign (of its recipients: control users convert in their own entry only) and the distinct
 * recipients of the day.
 */

export interface CampaignPoint {
  time: string;
  messages: ChannelEntries;
  unique_recipients: number;
  /** revenue, conversions, conversions_by_send_time, conversions1, ... */
  [figure: string]: string | number | ChannelEntries;
}

/** One point per day of `days` (labels `YYYY-MM-DD`) from the rows of the campaign's query over them. */
export function campaignPoints(
  campaign: Readonly<Record<string, unknown>>, days: readonly string[], counts: MessageCount[], conversions: ConversionCount[],
): CampaignPoint[] {
  const variations = variationsWithData(definedVariations(campaign.messages), counts, conversions);
  const k = conversionCount(campaign.conversion_behaviors);
  const countsByDay = byDay(counts);
  const convByDay = byDay(conversions);
  return days.map((time) => {
    const day = dayNumber(time);
    const dayCounts = countsByDay.get(day) ?? [];
    const dayConv = convByDay.get(day) ?? [];
    const recipients = dayCounts
      .filter((r) => r.channel === RECIPIENTS.channel && r.action === RECIPIENTS.action)
      .reduce((s, r) => s + r.u, 0);
    return {
      time,
      messages: channelEntries(variations, dayCounts, dayConv, k),
      ...conversionFigures(dayConv.filter((r) => r.channel !== CONTROL_CHANNEL), k),
      unique_recipients: recipients,
    };
  });
}

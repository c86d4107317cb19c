import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Static } from 'typebox';
import { campaignsDataSeries, campaignsDetails, campaignsList, sendsDataSeries, type MessageSeriesPoint } from '@brazen/contract';
import { campaignPoints, dayNumber, isoInZone, type SeriesUnit } from '@brazen/analytics';
import type { ConversionStatRow, MessageStatRow } from '@brazen/store';
import { ApiError } from '../errors.ts';
import type { ApiContext } from '../context.ts';
import { bool, dayRange, findDefinition, lastEdited, listPage, str, strings, type Definition } from './definitions.ts';
import { route } from './route.ts';

/** Days a send's statistics are kept after the send, unless the workspace says otherwise (0: forever). */
export const DEFAULT_SEND_RETENTION_DAYS = 14;

type Point = Static<typeof MessageSeriesPoint>;

export function campaignRoutes(app: FastifyInstance): void {
  const campaign = async (ctx: ApiContext, id: string) => findDefinition((await ctx.getWorkspace()).campaigns, id, 'campaign_id', 'a campaign');

  route(app, campaignsList, async ({ query, ctx }) => {
    const ws = await ctx.getWorkspace();
    const page = listPage(ws.campaigns ?? [], query, await ctx.zone());
    return {
      message: 'success',
      campaigns: page.map((c) => ({
        id: String(c.id),
        ...(lastEdited(c) !== undefined ? { last_edited: lastEdited(c) } : {}),
        name: str(c.name),
        is_api_campaign: bool(c.is_api_campaign),
        tags: strings(c.tags),
      })),
    };
  });

  route(app, campaignsDetails, async ({ query, ctx }) => {
    const c = await campaign(ctx, query.campaign_id);
    const zone = await ctx.zone();
    const span = await ctx.data.receiptSpan('campaign', query.campaign_id);
    const messages = (typeof c.messages === 'object' && c.messages !== null ? c.messages : {}) as Record<string, Record<string, unknown>>;
    const { id: _id, is_api_campaign: _api, last_edited: _edited, ...rest } = c;
    return {
      ...rest,
      message: 'success',
      created_at: str(c.created_at, str(c.updated_at)),
      updated_at: str(c.updated_at, str(c.created_at)),
      archived: bool(c.archived),
      draft: bool(c.draft),
      name: str(c.name),
      schedule_type: str(c.schedule_type, bool(c.is_api_campaign) ? 'api_triggered' : 'time_based'),
      channels: Array.isArray(c.channels) ? strings(c.channels) : channelsOf(messages),
      first_sent: isoInZone(span.first, zone),
      last_sent: isoInZone(span.last, zone),
      tags: strings(c.tags),
      messages,
      conversion_behaviors: (Array.isArray(c.conversion_behaviors) ? c.conversion_behaviors : []) as never,
    };
  });

  route(app, campaignsDataSeries, async ({ query, reply, ctx }) => {
    plainJson(reply);
    const c = await campaign(ctx, query.campaign_id);
    const units = await ctx.units(query, 'day');
    return { message: 'success', data: await campaignSeries(ctx, c, units, '') };
  });

  route(app, sendsDataSeries, async ({ query, reply, ctx }) => {
    plainJson(reply);
    const c = await campaign(ctx, query.campaign_id);
    if (!bool(c.is_api_campaign)) {
      throw new ApiError(400, `campaign_id ${query.campaign_id} is not an API campaign: sends are tracked for API campaigns only`);
    }
    const days = await ctx.data.seriesDays('campaign', query.campaign_id, query.send_id);
    if (days.first === null) {
      throw new ApiError(400, `send_id ${query.send_id} names no send of campaign ${query.campaign_id}`);
    }
    const ws = await ctx.getWorkspace();
    const retention = typeof ws.send_retention_days === 'number' ? ws.send_retention_days : DEFAULT_SEND_RETENTION_DAYS;
    const units = await ctx.units(query, 'day');
    const data = await campaignSeries(ctx, c, units, query.send_id);
    if (retention <= 0) return { message: 'success', data };
    // Statistics are kept for `retention` days from the day of the send; later days answer zeros.
    const sendDay = days.first;
    const emptied = await campaignSeries(ctx, c, units, query.send_id, true);
    return {
      message: 'success',
      data: data.map((point, i) => (dayNumber(units[i].time) < sendDay + retention ? point : emptied[i])),
    };
  });
}

/**
 * Series of per-channel entries are built here field by field; JSON.stringify writes them 10 to 20
 * times faster than the schema's serializer, which checks every key of the open per-channel objects.
 */
export function plainJson(reply: FastifyReply): void {
  reply.serializer(JSON.stringify);
}

function channelsOf(messages: Record<string, Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const m of Object.values(messages)) {
    const ch = typeof m?.channel === 'string' ? m.channel : undefined;
    if (ch && m.type !== 'control' && !out.includes(ch)) out.push(ch);
  }
  return out;
}

/** One point per day for a campaign (every send, or one send id). `empty` answers zeros. */
export async function campaignSeries(
  ctx: ApiContext,
  c: Definition,
  units: SeriesUnit[],
  scope: string,
  empty = false,
): Promise<Point[]> {
  const q = { src: 'campaign' as const, obj: String(c.id), scope, ...dayRange(units) };
  const [[counts], [conversions]] = empty
    ? [[[] as MessageStatRow[]], [[] as ConversionStatRow[]]]
    : await Promise.all([ctx.data.messageStats([q]), ctx.data.conversionStats([q])]);
  return campaignPoints(c, units.map((u) => u.time), counts, conversions) as Point[];
}

import type { FastifyInstance } from 'fastify';
import { segmentsDataSeries, segmentsDetails, segmentsList } from '@brazen/contract';
import { describeFilter } from '@brazen/analytics';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { findSegment } from '../segment-definitions.ts';
import { route } from './route.ts';

const PAGE = 100;

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** /segments/list, /segments/details and /segments/data_series (SPEC §1, §3, §5). */
export function segmentRoutes(app: FastifyInstance): void {
  route(app, segmentsList, async ({ query, ctx }) => {
    const segments = ((await ctx.getWorkspace()).segments ?? []).filter((s) => s.archived !== true);
    // Oldest first by creation; segments without created_at keep the order they were defined in.
    const ordered = segments
      .map((s, i) => ({ s, i, t: Date.parse(text(s.created_at) ?? '') }))
      .sort((a, b) => (Number.isNaN(a.t) || Number.isNaN(b.t) ? a.i - b.i : a.t - b.t || a.i - b.i))
      .map((x) => x.s);
    if (query.sort_direction === 'desc') ordered.reverse();
    const page = query.page ?? 0;
    return {
      message: 'success',
      segments: ordered.slice(page * PAGE, (page + 1) * PAGE).map((s) => ({
        id: String(s.id),
        name: text(s.name) ?? '',
        analytics_tracking_enabled: s.analytics_tracking_enabled === true,
        tags: strings(s.tags),
      })),
    };
  });

  route(app, segmentsDetails, async ({ query, ctx }) => {
    const ws = await ctx.getWorkspace();
    const { doc, filter } = findSegment(ws, query.segment_id);
    const campaignName = (id: string) => text(ws.campaigns.find((c) => c.id === id)?.name);
    // The description is the filter in words; one written by hand is the text_description.
    const written = text(doc.text_description) ?? (filter === undefined ? undefined : text(doc.description));
    return {
      message: 'success',
      created_at: text(doc.created_at) ?? text(doc.updated_at) ?? '',
      updated_at: text(doc.updated_at) ?? text(doc.created_at) ?? '',
      name: text(doc.name) ?? '',
      description: filter === undefined && text(doc.description) ? text(doc.description)! : describeFilter(filter, { campaignName }),
      ...(written !== undefined ? { text_description: written } : {}),
      tags: strings(doc.tags),
      ...(Array.isArray(doc.teams) ? { teams: strings(doc.teams) } : {}),
      analytics_tracking_enabled: doc.analytics_tracking_enabled === true,
    };
  });

  route(app, segmentsDataSeries, async ({ query, ctx }) => {
    const { doc, filter } = findSegment(await ctx.getWorkspace(), query.segment_id);
    if (doc.analytics_tracking_enabled !== true) {
      throw new ApiError(400, `segment_id ${query.segment_id} does not have analytics tracking enabled, so it has no size series`);
    }
    const units = await ctx.units({ length: query.length, ending_at: query.ending_at }, 'day');
    // The size at the end of each day; for today (and later days) the size now.
    const now = ctx.now() / 1000;
    const sizes = await ctx.data.segmentSizes(filter, units.map((u) => (u.end <= now ? { at: u.end, inclusive: false } : { at: now, inclusive: true })));
    return { message: 'success', data: units.map((u, i) => ({ time: u.time, size: sizes[i] })) };
  });
}

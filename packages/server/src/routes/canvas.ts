import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { canvasDataSeries, canvasDataSummary, canvasDetails, canvasList, type CanvasAnalyticsQuery, type CanvasStatsPoint } from '@brazen/contract';
import { canvasDayStats, canvasQueries, dayNumber, isoInZone, localDay, parseIsoInstant, type SeriesUnit } from '@brazen/analytics';
import { badRequest } from '../errors.ts';
import type { ApiContext } from '../context.ts';
import { bool, dayRange, findDefinition, lastEdited, listPage, str, strings, type Definition } from './definitions.ts';
import { plainJson } from './campaigns.ts';
import { route } from './route.ts';

type Query = Static<typeof CanvasAnalyticsQuery>;
type Point = Static<typeof CanvasStatsPoint>;
type Stats = Omit<Point, 'time'>;

export function canvasRoutes(app: FastifyInstance): void {
  const canvas = async (ctx: ApiContext, id: string) => findDefinition((await ctx.getWorkspace()).canvases, id, 'canvas_id', 'a Canvas');

  route(app, canvasList, async ({ query, ctx }) => {
    const ws = await ctx.getWorkspace();
    const page = listPage(ws.canvases ?? [], query, await ctx.zone());
    return {
      message: 'success',
      canvases: page.map((c) => ({
        id: String(c.id),
        ...(lastEdited(c) !== undefined ? { last_edited: lastEdited(c) } : {}),
        name: str(c.name),
        tags: strings(c.tags),
      })),
    };
  });

  route(app, canvasDetails, async ({ query, ctx }) => {
    const c = await canvas(ctx, query.canvas_id);
    const zone = await ctx.zone();
    const span = await ctx.data.receiptSpan('canvas', query.canvas_id);
    const steps = definedSteps(c).filter((s) => s.deleted !== true).map(({ deleted: _d, ...s }) => ({
      ...s,
      name: str(s.name),
      id: String(s.id),
      next_step_ids: strings(s.next_step_ids),
      channels: strings(s.channels),
    }));
    const variants = definedVariants(c).map((v) => {
      const first = strings(v.first_step_ids);
      return { ...v, name: str(v.name), first_step_ids: first, ...(first.length === 1 ? { first_step_id: first[0] } : {}) };
    });
    const { id: _id, last_edited: _edited, conversion_behaviors: _conv, ...rest } = c;
    return {
      ...rest,
      message: 'success',
      created_at: str(c.created_at, str(c.updated_at)),
      updated_at: str(c.updated_at, str(c.created_at)),
      name: str(c.name),
      archived: bool(c.archived),
      draft: bool(c.draft),
      schedule_type: str(c.schedule_type, 'time_based'),
      first_entry: isoInZone(span.first, zone),
      last_entry: isoInZone(span.last, zone),
      channels: Array.isArray(c.channels) ? strings(c.channels) : [...new Set(steps.flatMap((s) => s.channels))],
      variants,
      tags: strings(c.tags),
      steps: steps as never,
    };
  });

  route(app, canvasDataSeries, async ({ query, reply, ctx }) => {
    plainJson(reply);
    const c = await canvas(ctx, query.canvas_id);
    const units = await canvasUnits(ctx, query);
    const stats = await canvasStats(ctx, c, units, query);
    return { message: 'success', data: { name: str(c.name), stats: units.map((u) => ({ time: u.time, ...stats(dayNumber(u.time)) })) } };
  });

  route(app, canvasDataSummary, async ({ query, reply, ctx }) => {
    plainJson(reply);
    const c = await canvas(ctx, query.canvas_id);
    const units = await canvasUnits(ctx, query);
    const stats = await canvasStats(ctx, c, units, query, true);
    return { message: 'success', data: { name: str(c.name), ...stats(0) } };
  });
}

const records = (v: unknown): Definition[] =>
  Array.isArray(v) ? v.filter((x): x is Definition => typeof x === 'object' && x !== null) : [];
const definedSteps = (c: Definition) => records(c.steps);
const definedVariants = (c: Definition) => records(c.variants);

/** Days of a Canvas export: `length` (1–14) days ending with `ending_at`, or `starting_at` to `ending_at`. */
async function canvasUnits(ctx: ApiContext, query: Query): Promise<SeriesUnit[]> {
  if (query.starting_at === undefined) {
    if (query.length === undefined) throw badRequest('length or starting_at is required (length must be an integer between 1 and 14)');
    return ctx.units({ length: query.length, ending_at: query.ending_at }, 'day');
  }
  const zone = await ctx.zone();
  const start = parseIsoInstant(query.starting_at, zone);
  if (start === undefined) throw badRequest('starting_at must be an ISO 8601 date or date-time');
  const end = query.ending_at === undefined ? ctx.now() / 1000 : parseIsoInstant(query.ending_at, zone);
  if (end === undefined) throw badRequest('ending_at must be an ISO 8601 date or date-time');
  if (start > end) throw badRequest('starting_at must not be after ending_at');
  const length = dayNumber(localDay(end, zone)) - dayNumber(localDay(start, zone)) + 1;
  return ctx.units({ length, ending_at: query.ending_at }, 'day');
}

/** The Canvas's figures per day (`summary`: of the whole window, as day 0), from its rows and its steps'. */
async function canvasStats(ctx: ApiContext, c: Definition, units: SeriesUnit[], query: Query, summary = false): Promise<(day: number) => Stats> {
  const steps = query.include_step_breakdown === true;
  // The Canvas's rows and its steps' in one read of each rollup.
  const queries = canvasQueries(String(c.id), dayRange(units), steps);
  const [[entries, stepCounts], [conversions, stepConversions]] = await Promise.all([ctx.data.messageStats(queries), ctx.data.conversionStats(queries)]);
  const breakdowns = { variants: query.include_variant_breakdown === true, steps, deletedSteps: query.include_deleted_step_data === true };
  return canvasDayStats(c, { entries, conversions, stepCounts, stepConversions }, breakdowns, summary) as (day: number) => Stats;
}

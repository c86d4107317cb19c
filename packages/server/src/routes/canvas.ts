import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { canvasDataSeries, canvasDataSummary, canvasDetails, canvasList, type CanvasAnalyticsQuery, type CanvasStatsPoint } from '@brazen/contract';
import {
  byDay, channelEntries, conversionCount, dayNumber, definedVariations, groupBy, variationsWithData, isoInZone, localDay, parseIsoInstant,
  type ConversionCount, type MessageCount, type SeriesUnit,
} from '@brazen/analytics';
import { badRequest } from '../errors.ts';
import type { ApiContext } from '../context.ts';
import { bool, dayRange, findDefinition, lastEdited, listPage, str, strings, type Definition } from './definitions.ts';
import { plainJson } from './campaigns.ts';
import { route } from './route.ts';

type Query = Static<typeof CanvasAnalyticsQuery>;
type Point = Static<typeof CanvasStatsPoint>;
type Stats = Omit<Point, 'time'>;

export function canvasRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const canvas = async (id: string) => findDefinition((await ctx.getWorkspace()).canvases, id, 'canvas_id', 'a Canvas');

  route(app, canvasList, async ({ query }) => {
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

  route(app, canvasDetails, async ({ query }) => {
    const c = await canvas(query.canvas_id);
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

  route(app, canvasDataSeries, async ({ query, reply }) => {
    plainJson(reply);
    const c = await canvas(query.canvas_id);
    const units = await canvasUnits(ctx, query);
    const stats = await canvasStats(ctx, c, units, query);
    return { message: 'success', data: { name: str(c.name), stats: units.map((u) => ({ time: u.time, ...stats(dayNumber(u.time)) })) } };
  });

  route(app, canvasDataSummary, async ({ query, reply }) => {
    plainJson(reply);
    const c = await canvas(query.canvas_id);
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

/**
 * Statistics of a Canvas per day (`summary`: the whole window as day 0). Conversions are those of
 * the primary conversion behaviour; entries are `users.canvas.Entry` events.
 */
async function canvasStats(
  ctx: ApiContext,
  c: Definition,
  units: SeriesUnit[],
  query: Query,
  summary = false,
): Promise<(day: number) => Stats> {
  const obj = String(c.id);
  const range = dayRange(units);
  const wantSteps = query.include_step_breakdown === true;
  // The Canvas's rows and its steps' in one read of each rollup.
  const queries = [{ src: 'canvas' as const, obj, ...range }, ...(wantSteps ? [{ src: 'step' as const, obj, ...range }] : [])];
  const [[entries, stepCounts = []], [conv, stepConv = []]] = await Promise.all([
    ctx.data.messageStats(queries),
    ctx.data.conversionStats(queries),
  ]);
  const flat = <T extends { day: number }>(rows: T[]) => byDay(summary ? rows.map((r) => ({ ...r, day: 0 })) : rows);
  const [entriesBy, convBy] = [flat(entries), flat(conv)];
  // Step rows by day, then by step.
  const byDayAndStep = <T extends { day: number; part: string }>(rows: T[]) =>
    new Map([...flat(rows)].map(([day, list]) => [day, byPart(list)]));
  const [stepCountsBy, stepConvBy] = [byDayAndStep(stepCounts), byDayAndStep(stepConv)];
  const k = conversionCount(c.conversion_behaviors);

  const variants = definedVariants(c).map((v) => ({ id: str(v.id, str(v.name)), name: str(v.name) }));
  const variantIds = new Set(variants.map((v) => v.id));
  for (const rows of [entries, conv]) {
    for (const r of rows) {
      if (variantIds.has(r.variation)) continue;
      variantIds.add(r.variation);
      variants.push({ id: r.variation, name: r.variation });
    }
  }
  const steps = definedSteps(c)
    .filter((s) => query.include_deleted_step_data === true || s.deleted !== true)
    .map((s) => ({ id: String(s.id), name: str(s.name), variations: definedVariations(s.messages) }));
  const [countsByStep, convByStep] = [byPart(stepCounts), byPart(stepConv)];
  if (query.include_deleted_step_data === true) {
    // Steps no longer defined, in the order their rows come.
    const known = new Set(steps.map((s) => s.id));
    for (const part of [...countsByStep.keys(), ...convByStep.keys()]) {
      if (known.has(part)) continue;
      known.add(part);
      steps.push({ id: part, name: part, variations: [] });
    }
  }
  for (const s of steps) s.variations = variationsWithData(s.variations, countsByStep.get(s.id) ?? [], convByStep.get(s.id) ?? []);

  return (day) => {
    const dayEntries = entriesBy.get(day) ?? [];
    const dayConv = convBy.get(day) ?? [];
    const out: Stats = { total_stats: { ...figures(dayConv), entries: entryCount(dayEntries) } };
    if (query.include_variant_breakdown === true) {
      const [entriesOf, convOf] = [byVariation(dayEntries), byVariation(dayConv)];
      out.variant_stats = Object.fromEntries(
        variants.map((v) => [
          v.id,
          { name: v.name, ...figures(convOf.get(v.id) ?? []), entries: entryCount(entriesOf.get(v.id) ?? []) },
        ]),
      );
    }
    if (wantSteps) {
      const counts = stepCountsBy.get(day);
      const stepConversions = stepConvBy.get(day);
      out.step_stats = Object.fromEntries(
        steps.map((s) => {
          const mine = stepConversions?.get(s.id) ?? [];
          return [
            s.id,
            { name: s.name, ...figures(mine), messages: channelEntries(s.variations, counts?.get(s.id) ?? [], mine, k) },
          ];
        }),
      );
    }
    return out;
  };
}

/** Rows by step, and by variation. */
const byPart = <T extends { part: string }>(rows: T[]) => groupBy(rows, 'part');
const byVariation = <T extends { variation: string }>(rows: T[]) => groupBy(rows, 'variation');

const entryCount = (rows: MessageCount[]) => rows.reduce((s, r) => s + (r.action === 'entry' ? r.n : 0), 0);

function figures(rows: ConversionCount[]): { revenue: number; conversions: number; conversions_by_entry_time: number } {
  let revenue = 0;
  let conversions = 0;
  let byEntry = 0;
  for (const r of rows) {
    if (r.idx < 0) revenue += r.revenue;
    if (r.idx === 0) {
      conversions += r.conversions;
      byEntry += r.byReceipt;
    }
  }
  return { revenue: Math.round(revenue * 100) / 100, conversions, conversions_by_entry_time: byEntry };
}

import { conversionCount } from '../conversions/behaviors.ts';
import { conversionFigures, type ConversionCount } from '../conversions/figures.ts';
import { ENTRY } from '../engagement/index.ts';
import { byCodePoint } from '../series/order.ts';
import { byDay, channelEntries, definedVariations, groupBy, variationsWithData, type ChannelEntries, type MessageCount, type VariationDef } from './entries.ts';
import type { MessageStatsQuery } from './types.ts';

/**
 * The figures of `/canvas/data_series` and `/canvas/data_summary` (SPEC §3): entries, the primary
 * conversion behaviour's conversions (by conversion day and by entry day) and revenue, in total and
 * per variant, and each step's engagement by channel, from the rows of the Canvas and of its steps.
 */

/** A Canvas as the workspace document defines it. */
export type CanvasDefinition = Readonly<Record<string, unknown>>;

export interface CanvasBreakdowns {
  variants?: boolean;
  steps?: boolean;
  /** Steps no longer defined (or marked deleted) are listed too. */
  deletedSteps?: boolean;
}

export interface CanvasFigures {
  revenue: number;
  conversions: number;
  conversions_by_entry_time: number;
}
export type CanvasTotals = CanvasFigures & { entries: number };
export type CanvasVariantStats = { name: string } & CanvasTotals;
export type CanvasStepStats = { name: string } & CanvasFigures & { messages: ChannelEntries };

export interface CanvasDayStats {
  total_stats: CanvasTotals;
  variant_stats?: Record<string, CanvasVariantStats>;
  step_stats?: Record<string, CanvasStepStats>;
}

/** The store answers of a Canvas over some days: its own rows and, when steps are asked, its steps'. */
export interface CanvasRows {
  entries: MessageCount[];
  conversions: ConversionCount[];
  stepCounts?: MessageCount[];
  stepConversions?: ConversionCount[];
}

/** The queries whose answers make `CanvasRows`: the Canvas, then its steps when asked. */
export function canvasQueries(canvasId: string, days: { fromDay: number; toDay: number }, steps: boolean): MessageStatsQuery[] {
  return [{ src: 'canvas', obj: canvasId, ...days }, ...(steps ? [{ src: 'step' as const, obj: canvasId, ...days }] : [])];
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const records = (v: unknown): Array<Record<string, unknown>> =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

/** The primary behaviour's figures, named by entry time (a Canvas has entries where a campaign has sends). */
const figures = (rows: ConversionCount[]): CanvasFigures => conversionFigures(rows, 1, '_by_entry_time') as unknown as CanvasFigures;
const entryCount = (rows: MessageCount[]) => rows.reduce((s, r) => s + (r.action === ENTRY ? r.n : 0), 0);
const byPart = <T extends { part: string }>(rows: T[]) => groupBy(rows, 'part');
const byVariation = <T extends { variation: string }>(rows: T[]) => groupBy(rows, 'variation');

/**
 * The statistics of each day (`summary`: of the whole window, asked as day 0). Variants and steps
 * with data but no definition are listed after the defined ones, in code-point order of their id.
 */
export function canvasDayStats(
  canvas: CanvasDefinition, rows: CanvasRows, breakdowns: CanvasBreakdowns, summary = false,
): (day: number) => CanvasDayStats {
  const { entries, conversions: conv } = rows;
  const stepCounts = rows.stepCounts ?? [];
  const stepConv = rows.stepConversions ?? [];
  const flat = <T extends { day: number }>(list: T[]) => byDay(summary ? list.map((r) => ({ ...r, day: 0 })) : list);
  const [entriesBy, convBy] = [flat(entries), flat(conv)];
  const byDayAndStep = <T extends { day: number; part: string }>(list: T[]) => new Map([...flat(list)].map(([day, l]) => [day, byPart(l)]));
  const [stepCountsBy, stepConvBy] = [byDayAndStep(stepCounts), byDayAndStep(stepConv)];
  const k = conversionCount(canvas.conversion_behaviors);

  const variants = records(canvas.variants).map((v) => ({ id: str(v.id, str(v.name)), name: str(v.name) }));
  const definedIds = new Set(variants.map((v) => v.id));
  const unknownVariants = new Set([...entries, ...conv].map((r) => r.variation).filter((id) => !definedIds.has(id)));
  for (const id of [...unknownVariants].sort(byCodePoint)) variants.push({ id, name: id });

  const steps = records(canvas.steps)
    .filter((s) => breakdowns.deletedSteps === true || s.deleted !== true)
    .map((s) => ({ id: String(s.id), name: str(s.name), variations: definedVariations(s.messages) as VariationDef[] }));
  const [countsByStep, convByStep] = [byPart(stepCounts), byPart(stepConv)];
  if (breakdowns.deletedSteps === true) {
    const known = new Set(steps.map((s) => s.id));
    const unknown = new Set([...countsByStep.keys(), ...convByStep.keys()].filter((part) => !known.has(part)));
    for (const id of [...unknown].sort(byCodePoint)) steps.push({ id, name: id, variations: [] });
  }
  for (const s of steps) s.variations = variationsWithData(s.variations, countsByStep.get(s.id) ?? [], convByStep.get(s.id) ?? []);

  return (day) => {
    const dayEntries = entriesBy.get(day) ?? [];
    const dayConv = convBy.get(day) ?? [];
    const out: CanvasDayStats = { total_stats: { ...figures(dayConv), entries: entryCount(dayEntries) } };
    if (breakdowns.variants === true) {
      const [entriesOf, convOf] = [byVariation(dayEntries), byVariation(dayConv)];
      out.variant_stats = Object.fromEntries(
        variants.map((v) => [v.id, { name: v.name, ...figures(convOf.get(v.id) ?? []), entries: entryCount(entriesOf.get(v.id) ?? []) }]),
      );
    }
    if (breakdowns.steps === true) {
      const counts = stepCountsBy.get(day);
      const stepConversions = stepConvBy.get(day);
      out.step_stats = Object.fromEntries(
        steps.map((s) => {
          const mine = stepConversions?.get(s.id) ?? [];
          return [s.id, { name: s.name, ...figures(mine), messages: channelEntries(s.variations, counts?.get(s.id) ?? [], mine, k) }];
        }),
      );
    }
    return out;
  };
}

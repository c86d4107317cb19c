/**
 * Segment sizes and the series of a segment's members (the rules: `segmentSizes`,
 * `segmentCounterTotals`), evaluated slice by slice of every user on each shard: membership is a
 * function of a user's own records, so the slices' answers add up.
 */
import type { SegmentFilter } from '@brazen/analytics';
import type { CounterQuery, UnitTotals } from '../ports.ts';
import type { SegmentInstant } from '../segment-types.ts';
import type { EngineContext } from './context.ts';
import { segmentCounterTotals, segmentSizes } from '@brazen/analytics';
import { mapSlices } from './slices.ts';

export async function sizes(ctx: EngineContext, ws: string, filter: SegmentFilter | undefined, instants: SegmentInstant[]): Promise<number[]> {
  const parts = await mapSlices(ctx, ws, (data) => segmentSizes(data, filter, instants));
  return instants.map((_, i) => parts.reduce((sum, p) => sum + p[i], 0));
}

export async function memberTotals(ctx: EngineContext, ws: string, q: CounterQuery, filter: SegmentFilter | undefined, at: number): Promise<UnitTotals[]> {
  const parts = await mapSlices(ctx, ws, (data) => segmentCounterTotals(data, q, filter, at));
  return q.units.list.map((_, i) => ({
    count: parts.reduce((s, p) => s + p[i].count, 0),
    quantity: parts.reduce((s, p) => s + p[i].quantity, 0),
    revenue: parts.reduce((s, p) => s + p[i].revenue, 0),
  }));
}

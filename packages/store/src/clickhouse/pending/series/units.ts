import type { SeriesUnit } from '../time.ts';

export interface Bucketed {
  /** Epoch seconds of the bucket's start. */
  start: number;
}

/**
 * Adds bucket totals into the units that contain them. Buckets outside every unit are ignored;
 * units with no bucket stay at zero (Braze answers one entry per unit, zeros included).
 */
export function binIntoUnits<B extends Bucketed>(units: readonly SeriesUnit[], buckets: B[], value: (b: B) => number): number[] {
  const totals = new Array<number>(units.length).fill(0);
  if (units.length === 0) return totals;
  for (const bucket of buckets) {
    let lo = 0;
    let hi = units.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (units[mid].start <= bucket.start) lo = mid;
      else hi = mid - 1;
    }
    const unit = units[lo];
    if (bucket.start >= unit.start && bucket.start < unit.end) totals[lo] += value(bucket);
  }
  return totals;
}

/** Money is summed in floating point; answer it rounded to the cent as Braze does. */
export function roundMoney(value: number): number {
  return Math.round(value * 100) / 100;
}

import type { SeriesUnit } from '../time.ts';

/** What the counter and activity series are asked for (the store port answers the same). */

export type CounterKind = 'session' | 'custom_event' | 'purchase' | 'uninstall';

/** The counters that have names: custom event names and product ids. */
export type CounterName = 'custom_event' | 'purchase';

/** The units of a series in the workspace's time zone: contiguous, oldest first. */
export interface SeriesUnits {
  unit: 'day' | 'hour';
  zone: string;
  list: readonly SeriesUnit[];
}

export interface CounterQuery {
  kind: CounterKind;
  /** Custom event name or product id; every name when absent. */
  name?: string;
  appId?: string;
  units: SeriesUnits;
}

/** Totals of one unit of a counter series. */
export interface UnitTotals {
  count: number;
  quantity: number;
  /** USD. */
  revenue: number;
}

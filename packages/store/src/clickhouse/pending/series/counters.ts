import type { RecordedData, StoredEvent } from '../records.ts';
import type { SeriesUnit } from '../time.ts';
import { byCodePoint } from './order.ts';
import type { CounterKind, CounterName, CounterQuery, UnitTotals } from './types.ts';

/**
 * Sessions, custom events, purchases and uninstalls per unit (SPEC §3): `/sessions/data_series`,
 * `/events/data_series`, `/purchases/revenue_series` and `quantity_series`, `/kpi/uninstalls`.
 */

/** The counter an event of a category feeds (engines generate their classification from it). */
export const COUNTER_KIND_OF_CATEGORY: Readonly<Record<string, CounterKind>> = {
  session_start: 'session',
  custom_event: 'custom_event',
  purchase: 'purchase',
  uninstall: 'uninstall',
};

export function counterKind(e: { category: string }): CounterKind | undefined {
  return Object.hasOwn(COUNTER_KIND_OF_CATEGORY, e.category) ? COUNTER_KIND_OF_CATEGORY[e.category] : undefined;
}

/** The name a counter is filtered by: a custom event's name or a purchase's product id; '' for
 * sessions and uninstalls. */
export function counterName(e: StoredEvent, kind: CounterKind): string {
  return kind === 'custom_event' || kind === 'purchase' ? (e.name ?? '') : '';
}

/** The USD value of a purchase: price × quantity (1 when absent) × the rate of its currency. */
export function purchaseRevenue(price: number, quantity: number | null, usdRate: number): number {
  return price * (quantity ?? 1) * usdRate;
}

/** Whether an event counts toward a counter query (kind, name and app; not yet its units). */
export function countsToward(e: StoredEvent, q: Omit<CounterQuery, 'units'>): boolean {
  const kind = counterKind(e);
  if (kind !== q.kind) return false;
  if (q.name !== undefined && counterName(e, kind) !== q.name) return false;
  // An event without an app is the app '' (an app filter of '' finds it).
  return q.appId === undefined || (e.appId ?? '') === q.appId;
}

/** The index of the unit holding `time` ([start, end)), or -1. */
export function unitIndex(units: readonly SeriesUnit[], time: number): number {
  let lo = 0;
  let hi = units.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (time < units[mid].start) hi = mid - 1;
    else if (time >= units[mid].end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/**
 * One total per unit of `q.units`: events, their quantity (1 each when absent: a session counts 1)
 * and revenue. `users`, when given, keeps the events of those users only (a segment's members).
 */
export function counterTotals(data: RecordedData, q: CounterQuery, users?: ReadonlySet<string>): UnitTotals[] {
  const units = q.units.list;
  const totals = units.map(() => ({ count: 0, quantity: 0, revenue: 0 }));
  for (const e of data.events) {
    if (!countsToward(e, q) || (users !== undefined && !users.has(e.user))) continue;
    const i = unitIndex(units, e.time);
    if (i < 0) continue;
    totals[i].count += 1;
    totals[i].quantity += e.quantity ?? 1;
    totals[i].revenue += e.revenue ?? 0;
  }
  return totals;
}

/** Custom event names or product ids ever recorded, each once, in code-point order. */
export function recordedNames(data: RecordedData, kind: CounterName): string[] {
  const names = new Set<string>();
  for (const e of data.events) if (counterKind(e) === kind && e.name !== null) names.add(e.name);
  return [...names].sort(byCodePoint);
}

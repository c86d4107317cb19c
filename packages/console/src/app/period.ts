/**
 * The period a page shows: `days` days ending with the day `to` (a date of the workspace's
 * calendar), or ending today when `to` is not given, which is then left to the server (it knows the
 * workspace's time zone). The previous period is the same number of days just before.
 */
export interface Period {
  days: number;
  /** `YYYY-MM-DD`, or undefined for "ending today". */
  to?: string;
}

export const PRESETS = [7, 30, 90] as const;
const MAX_DAYS = 366;

export function periodFrom(params: URLSearchParams): Period {
  const days = Number(params.get('days') ?? 30);
  const to = params.get('to') ?? undefined;
  return {
    days: Number.isInteger(days) && days >= 1 && days <= MAX_DAYS ? days : 30,
    ...(to && /^\d{4}-\d{2}-\d{2}$/.test(to) ? { to } : {}),
  };
}

/** `ending_at` for a series ending with the period's last day (none: today). */
export const endingAt = (period: Period): { ending_at?: string } => (period.to ? { ending_at: period.to } : {});

/** Adds days to a calendar date (`YYYY-MM-DD`), whatever the time zone. */
export function addDays(date: string, days: number): string {
  const t = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both counted. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** Splits a series of 2 × days points into the previous period and this one. */
export function splitPeriods<T>(points: T[], days: number): { previous: T[]; current: T[] } {
  return { previous: points.slice(0, Math.max(0, points.length - days)), current: points.slice(-days) };
}

/** A short description: "30 days to Mar 31, 2024" or "the last 30 days". */
export function describePeriod(period: Period, formatDay: (date: string) => string): string {
  const span = period.days === 1 ? '1 day' : `${period.days} days`;
  return period.to ? `${span} ending ${formatDay(period.to)}` : `the last ${span}`;
}

/** How the days of a period make its figure: DAU is averaged, MAU taken on the last day, counts summed. */
export type Roll = 'average' | 'last' | 'sum';

export function rollUp(values: number[], roll: Roll): number {
  if (values.length === 0) return 0;
  if (roll === 'last') return values[values.length - 1];
  const sum = values.reduce((a, b) => a + b, 0);
  return roll === 'average' ? sum / values.length : sum;
}

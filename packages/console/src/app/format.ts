/** Numbers, money and dates in the reader's locale (the browser's), through Intl. */

const locale = (): string | undefined => (typeof navigator === 'undefined' ? undefined : navigator.language);

const counts = new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 });
const decimals = new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 });
const compact = new Intl.NumberFormat(locale(), { notation: 'compact', maximumFractionDigits: 1 });
const usd = new Intl.NumberFormat(locale(), { style: 'currency', currency: 'USD' });
const usdCompact = new Intl.NumberFormat(locale(), { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' });
const share = new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 });
const dayLabel = new Intl.DateTimeFormat(locale(), { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayLong = new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
const dateTime = new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' });

export type Kind = 'count' | 'average' | 'usd';

/** A figure as shown on the page: whole counts, averages to one decimal, dollars to the cent. */
export function figure(value: number, kind: Kind = 'count'): string {
  if (kind === 'usd') return usd.format(value);
  return kind === 'average' ? decimals.format(value) : counts.format(value);
}

/** Short form for chart axes: 12.3K, $4.5M. */
export function axisFigure(value: number, kind: Kind = 'count'): string {
  return kind === 'usd' ? usdCompact.format(value) : compact.format(value);
}

/** The change from `before` to `now`: "+12.5%", or undefined when there is nothing to compare with. */
export function change(now: number, before: number): { text: string; direction: 'up' | 'down' | 'flat' } | undefined {
  if (before === 0) return now === 0 ? { text: percent.format(0), direction: 'flat' } : undefined;
  const ratio = (now - before) / before;
  return { text: percent.format(ratio), direction: ratio > 0 ? 'up' : ratio < 0 ? 'down' : 'flat' };
}

/** A part of a whole: "42.1%" (empty when the whole is 0). */
export function ratio(part: number, whole: number): string {
  return whole > 0 ? share.format(part / whole) : '';
}

/** A series label (`2024-03-01` or `2024-03-01T13:00:00+00:00`) for an axis or a table. */
export function timeLabel(time: string, long = false): string {
  if (time.length === 10) {
    const date = new Date(`${time}T00:00:00Z`);
    return (long ? dayLong : dayLabel).format(date);
  }
  // An hour of the workspace's clock: shown as written, not moved into the reader's zone.
  return `${(long ? dayLong : dayLabel).format(new Date(`${time.slice(0, 10)}T00:00:00Z`))} ${time.slice(11, 16)}`;
}

/** An instant (ISO 8601) in the reader's own zone. */
export function instant(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : dateTime.format(new Date(t));
}

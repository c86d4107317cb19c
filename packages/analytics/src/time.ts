import { DateTime, IANAZone } from 'luxon';

export type Unit = 'day' | 'hour';

/** One entry of a series: `[start, end)` in epoch seconds, labelled as Braze labels it. */
export interface SeriesUnit {
  readonly time: string;
  readonly start: number;
  readonly end: number;
}

const HOUR_LABEL = "yyyy-MM-dd'T'HH:mm:ssZZ";
const DAY_LABEL = 'yyyy-MM-dd';

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/**
 * Reads any ISO 8601 form Braze accepts (`2024-03-01`, `2024-03-01T23:59:59Z`,
 * `2024-03-01T23:59:59-05:00`, fractional seconds, basic format). A value without an offset is
 * taken in the workspace's time zone. Returns epoch seconds, or undefined when it is not ISO 8601.
 */
export function parseIsoInstant(value: string, zone: string): number | undefined {
  const parsed = DateTime.fromISO(value.trim(), { zone, setZone: false });
  if (!parsed.isValid) return undefined;
  return parsed.toMillis() / 1000;
}

/** Day number (days since 1970-01-01) of a `YYYY-MM-DD` label and back. */
export function dayNumber(label: string): number {
  return Math.round(Date.UTC(+label.slice(0, 4), +label.slice(5, 7) - 1, +label.slice(8, 10)) / 86_400_000);
}

export function dayLabel(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The `length` units ending with the unit that contains `endingAt`, oldest first. Days run from
 * local midnight to local midnight (23 or 25 hours across a DST change); hours are the hours of
 * the local clock, so a DST fall-back day has two entries labelled 01:00 with different offsets.
 */
export function seriesUnits(unit: Unit, length: number, endingAt: number, zone: string): SeriesUnit[] {
  // The answer depends only on the local unit holding `endingAt`: dashboards ask the same windows
  // again and again, and building them through the time-zone rules costs milliseconds.
  const local = endingAt + IANAZone.create(zone).offset(endingAt * 1000) * 60;
  const key = `${unit} ${length} ${zone} ${Math.floor(local / (unit === 'day' ? 86_400 : 3_600))}`;
  const cached = unitCache.get(key);
  if (cached) return cached.slice();
  const units = buildUnits(unit, length, endingAt, zone);
  if (unitCache.size >= UNIT_CACHE_SIZE) unitCache.delete(unitCache.keys().next().value as string);
  unitCache.set(key, units);
  return units.slice();
}

const UNIT_CACHE_SIZE = 512;
const unitCache = new Map<string, SeriesUnit[]>();

function buildUnits(unit: Unit, length: number, endingAt: number, zone: string): SeriesUnit[] {
  const end = DateTime.fromSeconds(endingAt, { zone });
  const units: SeriesUnit[] = [];
  if (unit === 'day') {
    const lastDay = end.startOf('day');
    for (let i = length - 1; i >= 0; i--) {
      const day = lastDay.minus({ days: i });
      units.push({
        time: day.toFormat(DAY_LABEL),
        start: day.toSeconds(),
        end: day.plus({ days: 1 }).startOf('day').toSeconds(),
      });
    }
    return units;
  }
  const lastHourStart = end.startOf('hour').toSeconds();
  for (let i = length - 1; i >= 0; i--) {
    const start = lastHourStart - i * 3600;
    units.push({ time: DateTime.fromSeconds(start, { zone }).toFormat(HOUR_LABEL), start, end: start + 3600 });
  }
  return units;
}

/** Local calendar day (`YYYY-MM-DD`) of an instant in a zone. */
export function localDay(epochSeconds: number, zone: string): string {
  return DateTime.fromSeconds(epochSeconds, { zone }).toFormat(DAY_LABEL);
}

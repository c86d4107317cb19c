import { dayNumber, localDay } from '../time.ts';

/** Zones whose local day is the UTC day (no time-zone rules to look up). */
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Universal', 'Zulu', 'Etc/Zulu']);

/**
 * The local day number (days since 1970-01-01) of an instant in a zone: the day a figure counts an
 * event on. Returns a function, to be made once per zone and called per event.
 */
export function localDayOf(zone: string): (epochSeconds: number) => number {
  if (UTC_ZONES.has(zone)) return (t) => Math.floor(t / 86_400);
  return (t) => dayNumber(localDay(t, zone));
}

/**
 * `localDayOf`, looked up once per 15-minute UTC bucket for as long as the function is kept (a
 * batch): a bucket lies in one local day in every zone whose offset is a multiple of 15 minutes
 * (all of today's), so its day is the day of its first and last instants when they agree. A bucket
 * that holds a local midnight (a historic offset such as Monrovia's -0:44:30 until 1972) is looked
 * up per instant.
 */
export function localDayByBucketOf(zone: string): (epochSeconds: number) => number {
  const dayOf = localDayOf(zone);
  if (UTC_ZONES.has(zone)) return dayOf;
  const days = new Map<number, number | null>();
  return (t) => {
    const bucket = Math.floor(t / 900);
    let day = days.get(bucket);
    if (day === undefined) {
      const first = dayOf(bucket * 900);
      day = first === dayOf((bucket + 1) * 900 - 0.001) ? first : null;
      days.set(bucket, day);
    }
    return day ?? dayOf(t);
  };
}

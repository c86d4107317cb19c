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

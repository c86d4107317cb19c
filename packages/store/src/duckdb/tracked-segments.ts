import { RECEIVED_EVENT_TYPES, parseSegmentFilter, type SegmentFilter } from '@brazen/analytics';
import type { Workspace } from '../types.ts';
import { compileFilter, type CompiledFilter } from './segment-changes.ts';

/** Which segments are kept (kept-segments.ts), named by the key of their filter. */

/** A filter's key: its JSON with the keys of every object in order ('null' for every user). */
export function filterKey(filter: SegmentFilter | undefined): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(canonical(filter ?? null));
}

/** The tracked segments of a workspace document by filter key (archived ones and bad filters left out). */
export function trackedFilters(ws: Workspace): Map<string, SegmentFilter | undefined> {
  const out = new Map<string, SegmentFilter | undefined>();
  for (const s of ws.segments ?? []) {
    if (s.analytics_tracking_enabled !== true || s.archived === true) continue;
    try {
      const filter = s.filter === undefined || s.filter === null ? undefined : parseSegmentFilter(s.filter);
      out.set(filterKey(filter), filter);
    } catch {
      // A bad filter answers 422 at the route; nothing to keep.
    }
  }
  return out;
}

/** A filter compiled once for the life of the process. */
const compiledCache = new Map<string, CompiledFilter>();
export function compiled(filter: SegmentFilter | undefined): CompiledFilter {
  const key = filterKey(filter);
  let c = compiledCache.get(key);
  if (!c) compiledCache.set(key, (c = compileFilter(filter, RECEIVED_EVENT_TYPES)));
  return c;
}

/** The filter a key names. */
export const parseKey = (key: string): SegmentFilter | undefined => {
  const value = JSON.parse(key) as unknown;
  return value === null ? undefined : parseSegmentFilter(value);
};

import { dayNumber, parseIsoInstant, type SeriesUnit } from '@brazen/analytics';
import { ApiError, badRequest } from '../errors.ts';

/** Workspace definitions (campaigns, Canvases, cards) as the list and details endpoints read them. */
export type Definition = Record<string, unknown>;

export const LIST_PAGE = 100;

export interface ListQuery {
  page?: number;
  include_archived?: boolean;
  sort_direction?: 'asc' | 'desc';
  'last_edit.time[gt]'?: string;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const instant = (v: unknown, zone: string): number | undefined => {
  const s = text(v);
  return s === undefined ? undefined : parseIsoInstant(s, zone);
};

export function lastEdited(d: Definition): string | undefined {
  return text(d.last_edited) ?? text(d.updated_at) ?? text(d.created_at);
}

/**
 * One page of a list endpoint: archived objects left out unless asked, `last_edit.time[gt]` keeps
 * objects edited after that time, ordered by creation (then id) in `sort_direction`, 100 a page.
 */
export function listPage(objects: Definition[], query: ListQuery, zone: string): Definition[] {
  let list = query.include_archived ? objects : objects.filter((o) => o.archived !== true);
  const gt = query['last_edit.time[gt]'];
  if (gt !== undefined) {
    const after = parseIsoInstant(gt, zone);
    if (after === undefined) throw badRequest('last_edit.time[gt] must be an ISO 8601 date or date-time');
    list = list.filter((o) => (instant(lastEdited(o), zone) ?? -Infinity) > after);
  }
  const created = (o: Definition) => instant(o.created_at, zone) ?? -Infinity;
  const sorted = [...list].sort((a, b) => created(a) - created(b) || String(a.id).localeCompare(String(b.id)));
  if (query.sort_direction === 'desc') sorted.reverse();
  const page = query.page ?? 0;
  return sorted.slice(page * LIST_PAGE, (page + 1) * LIST_PAGE);
}

/** The definition named by `id`, or a 400 naming the parameter. */
export function findDefinition(objects: Definition[] | undefined, id: string, param: string, what: string): Definition {
  const found = (objects ?? []).find((o) => o.id === id);
  if (!found) throw new ApiError(400, `${param} ${id} does not name ${what} of this workspace`);
  return found;
}

export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
export const bool = (v: unknown): boolean => v === true;
export const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);


/** Day numbers of the first and last unit of a daily series. */
export function dayRange(units: SeriesUnit[]): { fromDay: number; toDay: number } {
  return { fromDay: dayNumber(units[0].time), toDay: dayNumber(units[units.length - 1].time) };
}

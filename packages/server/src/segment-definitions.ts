import { FilterError, parseSegmentFilter, type SegmentFilter } from '@brazen/analytics';
import type { Workspace } from '@brazen/store';
import { ApiError, badRequest } from './errors.ts';

/** A segment of the workspace with its filter checked. */
export interface SegmentDefinition {
  id: string;
  doc: Record<string, unknown>;
  /** Undefined: every user. */
  filter: SegmentFilter | undefined;
}

export function findSegment(ws: Workspace, id: string, param = 'segment_id'): SegmentDefinition {
  const doc = (ws.segments ?? []).find((s) => s.id === id);
  if (!doc) throw new ApiError(400, `${param} ${id} does not name a segment of this workspace`);
  return { id, doc, filter: filterOf(doc.filter, `segment ${id} filter`) };
}

/** The Global Control Group of the workspace settings (`global_control_group.filter`, typically a
 * random bucket range), or a 400 when the workspace has none. */
export function globalControlGroup(ws: Workspace): SegmentDefinition {
  const gcg = ws.global_control_group as Record<string, unknown> | undefined;
  if (!gcg || gcg.filter === undefined) {
    throw new ApiError(400, 'global_control_group is not set in the workspace: PUT /admin/workspace {"global_control_group": {"filter": {"random_bucket": {"gte": 0, "lte": 499}}}}');
  }
  const id = typeof gcg.id === 'string' && gcg.id ? gcg.id : 'global_control_group';
  return { id, doc: gcg, filter: filterOf(gcg.filter, 'global_control_group.filter') };
}

function filterOf(value: unknown, path: string): SegmentFilter | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    return parseSegmentFilter(value, path);
  } catch (error) {
    if (error instanceof FilterError) throw new ApiError(422, `${error.message}; fix the workspace definition`);
    throw error;
  }
}

/** Checks the segment filters (and the Global Control Group's) of a PUT /admin/workspace body, so
 * that a bad filter is a 400 naming its path and nothing of the document is stored. */
export function checkSegmentDefinitions(patch: Record<string, unknown>): void {
  try {
    const segments = patch.segments;
    if (Array.isArray(segments)) {
      segments.forEach((s, i) => {
        const f = (s as Record<string, unknown> | null)?.filter;
        if (f !== undefined && f !== null) parseSegmentFilter(f, `segments[${i}].filter`);
      });
    }
    const gcg = patch.global_control_group as Record<string, unknown> | undefined;
    if (gcg && typeof gcg === 'object' && gcg.filter !== undefined) parseSegmentFilter(gcg.filter, 'global_control_group.filter');
  } catch (error) {
    if (error instanceof FilterError) throw badRequest(error.message);
    throw error;
  }
}

import { expect } from 'vitest';
import type { AnalyticsData, SegmentInstant } from '@brazen/store';
import type { SegmentFilter } from '@brazen/analytics';
import type { ConcernSuite } from './index.ts';
import { loadMixedTypes, loadUsers, MIXED_TYPES, NOW, SEGMENTS } from './segments.ts';
import { at, customEvent, dayLabels, ingest, workspaceDoc } from './support.ts';

/** The segments of segments.ts, tracked (their sizes may be kept). */
const tracked = (list: Array<[string, SegmentFilter, number]>) =>
  workspaceDoc({ segments: list.map(([name, filter], i) => ({ id: `s${i}`, name, filter, analytics_tracking_enabled: true })) });
/** The end of each day of March, and now. */
const INSTANTS: SegmentInstant[] = [
  ...dayLabels('2024-03-01', 31).map((d) => ({ at: Date.parse(`${d}T00:00:00Z`) / 1000 + 86_400, inclusive: false })),
  { at: NOW, inclusive: true },
];

/** Sizes of a tracked segment's filter (which may be kept), and of the same filter written another
 * way (`and` of it alone), which no engine keeps: they must be equal. */
async function keptAndComputed(data: AnalyticsData, filter: SegmentFilter) {
  const [kept, computed] = await Promise.all([data.segmentSizes(filter, INSTANTS), data.segmentSizes({ and: [filter] }, INSTANTS)]);
  return { kept, computed };
}

/** The optional kept-segments capability: sizes of tracked segments kept, always equal to computed ones. */
export const keptSegmentsContract: ConcernSuite = (it) => {
  it('sizes tracked segments as worked out by hand, kept or computed, before and after a refresh', async ({ data, catalog, keptSegments }) => {
    await loadUsers(data);
    await catalog.putWorkspace(tracked(SEGMENTS));
    const sizes = async () => {
      const got: Array<[string, number]> = [];
      for (const [name, filter] of SEGMENTS) {
        const { kept, computed } = await keptAndComputed(data, filter);
        expect([name, kept]).toEqual([name, computed]);
        got.push([name, kept.at(-1)!]);
      }
      return got;
    };
    expect(await sizes()).toEqual(SEGMENTS.map(([name, , size]) => [name, size]));
    await keptSegments!.refresh();
    expect(await keptSegments!.refresh()).toBe(0);
    expect(await sizes()).toEqual(SEGMENTS.map(([name, , size]) => [name, size]));
  });

  it('keeps tracked segments that compare attributes of mixed types', async ({ data, catalog, keptSegments }) => {
    await loadMixedTypes(data);
    await catalog.putWorkspace(tracked(MIXED_TYPES));
    await keptSegments!.refresh();
    for (const [name, filter, size] of MIXED_TYPES) {
      const { kept, computed } = await keptAndComputed(data, filter);
      expect([name, kept]).toEqual([name, computed]);
      expect([name, kept.at(-1)]).toEqual([name, size]);
    }
  });

  it('follows records that arrive after the segment is kept, late ones included, and new definitions', async ({ data, catalog, keptSegments }) => {
    await loadUsers(data);
    const played: SegmentFilter = { custom_event: 'Played', op: 'gte', count: 1, within_days: 30 };
    const us: SegmentFilter = { attribute: 'country', op: 'eq', value: 'US' };
    await catalog.putWorkspace(tracked([['played', played, 2], ['us', us, 2]]));
    await keptSegments!.refresh();
    // b4 plays on Mar 20 (late: after later records); b2 becomes US on Mar 25.
    await ingest(data, [customEvent('late', 'b4', at('2024-03-20T10:00:00Z'), 'Played', { external_user_id: 'u4' })]);
    await data.track({ attributes: [{ user: { external_id: 'u2' }, time: at('2024-03-25T00:00:00Z'), values: { country: 'US' } }], events: [], purchases: [] });
    for (const filter of [played, us]) {
      const { kept, computed } = await keptAndComputed(data, filter);
      expect(kept).toEqual(computed);
    }
    // Now: b1 (played Mar 20, 25, 30), b2 (Mar 1 12:00, exactly 30 days ago), b4 (Mar 20).
    expect((await data.segmentSizes(played, [{ at: NOW, inclusive: true }]))[0]).toBe(3);
    // Mar 24: b1 (Mar 20), b2 (Mar 1), b4 (Mar 20); Mar 25 on: b1, b2, b3 are US.
    expect((await data.segmentSizes(us, INSTANTS.slice(23, 25))).map(Number)).toEqual([2, 3]);
    await keptSegments!.refresh();
    expect(await keptSegments!.refresh()).toBe(0);
    const after = await keptAndComputed(data, us);
    expect(after.kept).toEqual(after.computed);
    // A new tracked segment; the old ones changed.
    const never: SegmentFilter = { custom_event: 'Played', op: 'lt', count: 1 };
    await catalog.putWorkspace(tracked([['never', never, 1], ['us in', { attribute: 'country', op: 'in', value: ['US', 'FR'] }, 3]]));
    const { kept, computed } = await keptAndComputed(data, never);
    expect(kept).toEqual(computed);
    expect(kept.at(-1)).toBe(1); // b3
  });
};

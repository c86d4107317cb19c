import { describe, expect, it } from 'vitest';
import { ActivityIndex, type ActivityChange, type ActivityTuple } from '../src/activity/index.ts';

/** MAU of each day, from the difference arrays of the changes applied so far. */
function mauSeries(changes: ActivityChange[], days: number[]): number[] {
  const diff = new Map<number, number>();
  for (const c of changes) for (const d of c.deltas) diff.set(d.day, (diff.get(d.day) ?? 0) + d.mauDiff);
  return days.map((day) => [...diff].filter(([d]) => d <= day).reduce((n, [, v]) => n + v, 0));
}

describe('ActivityIndex', () => {
  it("counts a user once in MAU when a batch holds their last known day and a later one", () => {
    const index = new ActivityIndex();
    const changes: ActivityChange[] = [];
    const apply = (tuples: ActivityTuple[]) => {
      expect(index.plan(tuples).needHistory).toEqual([]); // no day before the last known one
      const change = index.change(tuples, () => []);
      change.commit();
      changes.push(change);
    };
    apply([{ scope: '', uid: 1, day: 100 }]);
    apply([{ scope: '', uid: 1, day: 100 }, { scope: '', uid: 1, day: 101 }]);
    // Active on days 100 and 101: in MAU from day 100 through day 130 (101 + 29), once.
    expect(mauSeries(changes, [99, 100, 101, 120, 129, 130, 131])).toEqual([0, 1, 1, 1, 1, 1, 0]);
  });
});

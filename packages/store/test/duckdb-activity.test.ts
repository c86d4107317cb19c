import { describe, expect, it } from 'vitest';
import { ActivityDays, type ActivityTuples } from '../src/duckdb/activity.ts';
import { prng } from './naive.ts';

/**
 * The columnar DAU / new users / MAU maintenance of the DuckDB engine, batch by batch, against the
 * figures counted from scratch from every active day (the definitions of SPEC §3).
 */

type Day = { scope: string; uid: number; day: number };

/** Per scope and day: DAU, new users and MAU, counted directly from every active day. */
function counted(all: Day[]): Map<string, { dau: number; newUsers: number; mau: number }> {
  const out = new Map<string, { dau: number; newUsers: number; mau: number }>();
  const days = new Map<string, Set<number>>(); // scope \0 uid -> days
  for (const d of all) {
    const key = `${d.scope}\u0000${d.uid}`;
    if (!days.has(key)) days.set(key, new Set());
    days.get(key)!.add(d.day);
  }
  const at = (scope: string, day: number) => {
    const key = `${scope}\u0000${day}`;
    if (!out.has(key)) out.set(key, { dau: 0, newUsers: 0, mau: 0 });
    return out.get(key)!;
  };
  for (const [key, set] of days) {
    const scope = key.split('\u0000')[0];
    const sorted = [...set].sort((a, b) => a - b);
    at(scope, sorted[0]).newUsers += 1;
    const covered = new Set<number>();
    for (const day of sorted) {
      at(scope, day).dau += 1;
      for (let d = day; d < day + 30; d++) covered.add(d);
    }
    for (const d of covered) at(scope, d).mau += 1;
  }
  return out;
}

/** A batch as the engine reads it: distinct, sorted by scope number, user and day. */
function tuples(index: ActivityDays, batch: Day[]): ActivityTuples {
  const rows = [...new Map(batch.map((d) => [`${d.scope}\u0000${d.uid}\u0000${d.day}`, d])).values()]
    .map((d) => ({ s: index.scopeNumber(d.scope), uid: d.uid, day: d.day }))
    .sort((a, b) => a.s - b.s || a.uid - b.uid || a.day - b.day);
  return { scope: Int32Array.from(rows, (r) => r.s), uid: Int32Array.from(rows, (r) => r.uid), day: Int32Array.from(rows, (r) => r.day) };
}

describe('ActivityDays (DuckDB: DAU, new users and MAU batch by batch)', () => {
  it('adds a user\'s days in time order to the rollup: worked by hand', () => {
    const index = new ActivityDays();
    // u1 active on days 10 and 20 (one batch): DAU 1 on each, new user on 10, MAU covers 10..49.
    const first = index.change(tuples(index, [{ scope: '', uid: 1, day: 10 }, { scope: '', uid: 1, day: 20 }]), () => []);
    const by = (c: typeof first) => Object.fromEntries(c.deltas.map((d) => [d.day, [d.dau, d.newUsers, d.mauDiff]]));
    expect(by(first)).toEqual({ 10: [1, 1, 1], 20: [1, 0, 0], 50: [0, 0, -1] });
    expect(first.newDays).toBe('all');
    first.commit();
    // Then day 45 (after the last known day 20): its coverage 45..74 extends the union 10..49 to 10..74.
    const second = index.change(tuples(index, [{ scope: '', uid: 1, day: 45 }]), () => []);
    expect(by(second)).toEqual({ 45: [1, 0, 0], 50: [0, 0, 1], 75: [0, 0, -1] });
  });

  it('equals the figures counted from every active day, over random batches out of order, replays and several scopes', () => {
    const rand = prng(19);
    for (let round = 0; round < 20; round++) {
      const index = new ActivityDays();
      const stored: Day[] = [];
      const rollup = new Map<string, { dau: number; newUsers: number; mauDiff: number }>();
      for (let b = 0; b < 8; b++) {
        const batch: Day[] = Array.from({ length: 1 + Math.floor(rand() * 40) }, () => ({
          scope: ['', 'app_a', 'app_b'][Math.floor(rand() * 3)],
          uid: 1 + Math.floor(rand() * 12),
          day: 19_000 + Math.floor(rand() * 90),
        }));
        const t = tuples(index, batch);
        const history = (start: number) =>
          [...new Set(stored.filter((d) => index.scopeNumber(d.scope) === t.scope[start] && d.uid === t.uid[start]).map((d) => d.day))].sort((x, y) => x - y);
        const needed = new Set(index.needHistory(t));
        const change = index.change(t, (start) => {
          expect(needed.has(start)).toBe(true);
          return history(start);
        });
        const isNew = change.newDays === 'all' ? () => true : (i: number) => (change.newDays as Int32Array).includes(i);
        for (let i = 0; i < t.uid.length; i++) {
          const day = { scope: index.scopeName(t.scope[i]), uid: t.uid[i], day: t.day[i] };
          const known = stored.some((d) => d.scope === day.scope && d.uid === day.uid && d.day === day.day);
          expect(isNew(i)).toBe(!known);
          if (!known) stored.push(day);
        }
        for (const d of change.deltas) {
          const key = `${d.scope}\u0000${d.day}`;
          const r = rollup.get(key) ?? { dau: 0, newUsers: 0, mauDiff: 0 };
          rollup.set(key, { dau: r.dau + d.dau, newUsers: r.newUsers + d.newUsers, mauDiff: r.mauDiff + d.mauDiff });
        }
        change.commit();
        const expected = counted(stored);
        for (const scope of ['', 'app_a', 'app_b']) {
          let mau = 0;
          for (let day = 18_990; day < 19_130; day++) {
            const r = rollup.get(`${scope}\u0000${day}`) ?? { dau: 0, newUsers: 0, mauDiff: 0 };
            mau += r.mauDiff;
            const e = expected.get(`${scope}\u0000${day}`) ?? { dau: 0, newUsers: 0, mau: 0 };
            expect([r.dau, r.newUsers, mau], `${scope} day ${day}`).toEqual([e.dau, e.newUsers, e.mau]);
          }
        }
      }
    }
  });
});

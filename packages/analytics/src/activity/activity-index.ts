/**
 * Daily active users, monthly active users and new users, maintained at ingestion.
 *
 * A user counts toward MAU on day D when they had a session on some day in [D-29, D]. So each active
 * day `a` covers the days [a, a+29], and a user's contribution to the MAU series is the union of
 * those intervals. We keep the series as a difference array (`mauDiff`): MAU on day D is the sum of
 * mauDiff over every day up to D. When a user gets a new active day, only the change in their union
 * is added. The index keeps, per scope (all apps, or one app) and user, the first and the last active
 * day; that is enough for data arriving in time order. A day before the last one needs the user's
 * whole history, which the caller supplies.
 */

export const MAU_WINDOW_DAYS = 30;

export interface ActivityTuple {
  scope: string;
  uid: number;
  /** Local day number (days since 1970-01-01 in the workspace time zone). */
  day: number;
}

export interface DayDelta {
  scope: string;
  day: number;
  dau: number;
  newUsers: number;
  mauDiff: number;
}

interface ScopeState {
  /** day + 1 of the first and last active day; 0 means none. */
  first: Int32Array;
  last: Int32Array;
}

export interface ActivityPlan {
  /** Users whose full history is needed (a new day before their last known one). */
  needHistory: Array<{ scope: string; uid: number }>;
}

export interface ActivityChange {
  deltas: DayDelta[];
  /** Tuples that are new active days and must be recorded. */
  newDays: ActivityTuple[];
  /** Apply to the index once the change is durably stored. */
  commit(): void;
}

export class ActivityIndex {
  private readonly scopes = new Map<string, ScopeState>();

  private state(scope: string, uid: number): ScopeState {
    let s = this.scopes.get(scope);
    if (!s) {
      s = { first: new Int32Array(Math.max(1024, uid + 1)), last: new Int32Array(Math.max(1024, uid + 1)) };
      this.scopes.set(scope, s);
    }
    if (uid >= s.first.length) {
      const size = Math.max(uid + 1, s.first.length * 2);
      const first = new Int32Array(size);
      const last = new Int32Array(size);
      first.set(s.first);
      last.set(s.last);
      s.first = first;
      s.last = last;
    }
    return s;
  }

  /** Loads a user's known range (at start-up). */
  load(scope: string, uid: number, firstDay: number, lastDay: number): void {
    const s = this.state(scope, uid);
    s.first[uid] = firstDay + 1;
    s.last[uid] = lastDay + 1;
  }

  range(scope: string, uid: number): { first: number; last: number } | undefined {
    const s = this.scopes.get(scope);
    if (!s || uid >= s.first.length || s.first[uid] === 0) return undefined;
    return { first: s.first[uid] - 1, last: s.last[uid] - 1 };
  }

  clear(): void {
    this.scopes.clear();
  }

  /** Which users need their history for these tuples. */
  plan(tuples: ActivityTuple[]): ActivityPlan {
    const seen = new Set<string>();
    const needHistory: ActivityPlan['needHistory'] = [];
    for (const t of tuples) {
      const r = this.range(t.scope, t.uid);
      if (!r || t.day >= r.last) continue;
      const key = `${t.scope}\u0000${t.uid}`;
      if (!seen.has(key)) {
        seen.add(key);
        needHistory.push({ scope: t.scope, uid: t.uid });
      }
    }
    return { needHistory };
  }

  /**
   * Computes the change that the tuples make. `history(scope, uid)` returns the sorted active days
   * of a user named by `plan().needHistory`.
   */
  change(tuples: ActivityTuple[], history: (scope: string, uid: number) => number[]): ActivityChange {
    const byUser = new Map<string, { scope: string; uid: number; days: Set<number> }>();
    for (const t of tuples) {
      const key = `${t.scope}\u0000${t.uid}`;
      let g = byUser.get(key);
      if (!g) byUser.set(key, (g = { scope: t.scope, uid: t.uid, days: new Set() }));
      g.days.add(t.day);
    }
    const deltaMap = new Map<string, DayDelta>();
    const delta = (scope: string, day: number): DayDelta => {
      const key = `${scope}\u0000${day}`;
      let d = deltaMap.get(key);
      if (!d) deltaMap.set(key, (d = { scope, day, dau: 0, newUsers: 0, mauDiff: 0 }));
      return d;
    };
    const newDays: ActivityTuple[] = [];
    const updates: Array<{ scope: string; uid: number; first: number; last: number }> = [];

    for (const { scope, uid, days } of byUser.values()) {
      const known = this.range(scope, uid);
      let old: number[];
      if (!known) old = [];
      // Days from the last known one on (a batch may hold that day again) need no history.
      else if (Math.min(...days) >= known.last) old = [known.last];
      else old = history(scope, uid);
      const oldSet = new Set(old);
      const added = [...days].filter((d) => !oldSet.has(d) && !(known && d === known.last)).sort((a, b) => a - b);
      if (added.length === 0) continue;

      for (const day of added) newDays.push({ scope, uid, day });
      updates.push({ scope, uid, ...userDaysChange(old, added, known, (day) => delta(scope, day)) });
    }

    const deltas = [...deltaMap.values()].filter((d) => d.dau !== 0 || d.newUsers !== 0 || d.mauDiff !== 0);
    return {
      deltas,
      newDays,
      commit: () => {
        for (const u of updates) this.load(u.scope, u.uid, u.first, u.last);
      },
    };
  }
}

/**
 * What one user's new active days change (the rule every engine's incremental DAU/new users/MAU
 * follows): DAU on each added day; new users moved to the first added day when it comes before the
 * known first one; MAU by the change of the user's coverage. `old`: the user's active days known
 * before, sorted (only the last known one when every added day is on or after it); `added`: the new
 * days, sorted, none of them in `old`; `known`: the user's first and last known day. Adds to the
 * deltas `delta(day)` gives; returns the user's first and last day after the change.
 */
export function userDaysChange(
  old: readonly number[],
  added: readonly number[],
  known: { first: number; last: number } | undefined,
  delta: (day: number) => { dau: number; newUsers: number; mauDiff: number },
): { first: number; last: number } {
  for (const day of added) delta(day).dau += 1;
  const firstAdded = added[0];
  if (!known) delta(firstAdded).newUsers += 1;
  else if (firstAdded < known.first) {
    delta(known.first).newUsers -= 1;
    delta(firstAdded).newUsers += 1;
  }
  const merged = [...old, ...added].sort((a, b) => a - b);
  for (const [start, end] of coverage(old)) {
    delta(start).mauDiff -= 1;
    delta(end + 1).mauDiff += 1;
  }
  for (const [start, end] of coverage(merged)) {
    delta(start).mauDiff += 1;
    delta(end + 1).mauDiff -= 1;
  }
  return {
    first: Math.min(known ? known.first : Infinity, firstAdded),
    last: Math.max(known ? known.last : -Infinity, added[added.length - 1]),
  };
}

/** Merged intervals [day, day + 29] of sorted active days. */
export function coverage(sortedDays: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const day of sortedDays) {
    const end = day + MAU_WINDOW_DAYS - 1;
    const lastInterval = out[out.length - 1];
    if (lastInterval && day <= lastInterval[1] + 1) lastInterval[1] = Math.max(lastInterval[1], end);
    else out.push([day, end]);
  }
  return out;
}

import { userDaysChange, type DayDelta } from '@brazen/analytics';

/**
 * DAU, new users and MAU kept up to date batch by batch (the `daily` rollup, SPEC §3): the same
 * incremental rule as `ActivityIndex` (analytics), over columns instead of objects. A batch's active
 * days arrive as three arrays sorted by (scope, user, day), distinct; each user's first and last
 * active day per scope are kept in typed arrays, which is all that data arriving in time order needs;
 * a day before a user's last one needs their whole history, which the caller reads. On 30k session
 * starts a batch this took 30 ms of the 250 ms the object version took (maps of string keys, a set
 * and several arrays per user, and the garbage they left).
 *
 * MAU on day D counts users active on some day of [D-29, D]: each active day `a` covers [a, a+29],
 * a user's contribution is the union of those intervals, and the rollup keeps the series as a
 * difference array (`mauDiff`). A new active day adds only the change of the user's union.
 */
export class ActivityDays {
  private readonly scopes: string[] = [];
  private readonly scopeNumbers = new Map<string, number>();
  /** Per scope number: day + 1 of each user's first and last active day (0: none). */
  private first: Int32Array[] = [];
  private last: Int32Array[] = [];

  /** The number of a scope ('' is every app), made on first sight. */
  scopeNumber(scope: string): number {
    let n = this.scopeNumbers.get(scope);
    if (n === undefined) {
      n = this.scopes.length;
      this.scopes.push(scope);
      this.scopeNumbers.set(scope, n);
      this.first.push(new Int32Array(1024));
      this.last.push(new Int32Array(1024));
    }
    return n;
  }

  scopeName(n: number): string {
    return this.scopes[n];
  }

  get scopeList(): readonly string[] {
    return this.scopes;
  }

  clear(): void {
    this.scopes.length = 0;
    this.scopeNumbers.clear();
    this.first = [];
    this.last = [];
  }

  /** A user's known first and last active day in a scope (at start-up, and as batches commit). */
  load(scope: number, uid: number, firstDay: number, lastDay: number): void {
    if (uid >= this.first[scope].length) {
      const size = Math.max(uid + 1, this.first[scope].length * 2);
      const grow = (a: Int32Array) => {
        const b = new Int32Array(size);
        b.set(a);
        return b;
      };
      this.first[scope] = grow(this.first[scope]);
      this.last[scope] = grow(this.last[scope]);
    }
    this.first[scope][uid] = firstDay + 1;
    this.last[scope][uid] = lastDay + 1;
  }

  private known(scope: number, uid: number): { first: number; last: number } | undefined {
    const f = this.first[scope];
    if (uid >= f.length || f[uid] === 0) return undefined;
    return { first: f[uid] - 1, last: this.last[scope][uid] - 1 };
  }

  /** Users (as the index of their first tuple) with a day before their last known one: their whole
   * history is needed. */
  needHistory(t: ActivityTuples): number[] {
    const out: number[] = [];
    forEachUser(t, (start) => {
      const known = this.known(t.scope[start], t.uid[start]);
      if (known && t.day[start] < known.last) out.push(start);
    });
    return out;
  }

  /**
   * The change the tuples make: per (scope, day) the deltas of DAU, new users and MAU, which tuples
   * are new active days, and what to remember once the change is committed. `history(start)` gives
   * the sorted active days of the user whose tuples start at `start` (those `needHistory` named).
   */
  change(t: ActivityTuples, history: (start: number) => number[]): ActivityChange {
    const deltas = new Map<number, DayDelta>();
    const delta = (scope: number, day: number): DayDelta => {
      const key = scope * 2 ** 24 + day + 2 ** 20;
      let d = deltas.get(key);
      if (!d) deltas.set(key, (d = { scope: this.scopes[scope], day, dau: 0, newUsers: 0, mauDiff: 0 }));
      return d;
    };
    const newDays: number[] = [];
    const updates: number[] = []; // scope, uid, first, last
    let allNew = true;
    forEachUser(t, (start, end) => {
      const scope = t.scope[start];
      const uid = t.uid[start];
      const known = this.known(scope, uid);
      // Without history: no known day, or no day before the last known one. Then only that last
      // day matters: every earlier day's coverage ends by the end of its own, and it is active
      // already (a batch naming it again adds nothing for it).
      const inOrder = !known || t.day[start] >= known.last;
      const old = !known ? [] : inOrder ? [known.last] : history(start);
      const added: number[] = [];
      if (inOrder) {
        for (let i = start; i < end; i++) {
          if (known && t.day[i] === known.last) allNew = false;
          else {
            added.push(t.day[i]);
            newDays.push(i);
          }
        }
      } else {
        const oldSet = new Set(old);
        for (let i = start; i < end; i++) {
          const day = t.day[i];
          if (oldSet.has(day) || (known && day === known.last)) allNew = false;
          else {
            added.push(day);
            newDays.push(i);
          }
        }
      }
      if (added.length === 0) return;
      const after = userDaysChange(old, added, known, (day) => delta(scope, day));
      updates.push(scope, uid, after.first, after.last);
    });
    return {
      deltas: [...deltas.values()].filter((d) => d.dau !== 0 || d.newUsers !== 0 || d.mauDiff !== 0),
      newDays: allNew && newDays.length === t.day.length ? 'all' : Int32Array.from(newDays),
      commit: () => {
        for (let i = 0; i < updates.length; i += 4) this.load(updates[i], updates[i + 1], updates[i + 2], updates[i + 3]);
      },
    };
  }
}

/** A batch's distinct active days, sorted by scope number, user and day. */
export interface ActivityTuples {
  scope: Int32Array;
  uid: Int32Array;
  day: Int32Array;
}

export interface ActivityChange {
  deltas: DayDelta[];
  /** Indexes of the tuples that are new active days ('all': every one). */
  newDays: Int32Array | 'all';
  /** Apply once the change is durably stored. */
  commit(): void;
}

/** Calls `f(start, end)` for each run of tuples of one (scope, user). */
function forEachUser(t: ActivityTuples, f: (start: number, end: number) => void): void {
  const n = t.uid.length;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && t.uid[end] === t.uid[start] && t.scope[end] === t.scope[start]) end++;
    f(start, end);
    start = end;
  }
}

/** Brute-force DAU, MAU and new users over raw session records: an independent computation the
 * stores' incremental rollups are checked against. */
export interface Session {
  user: string;
  app?: string;
  /** Local day `YYYY-MM-DD`. */
  day: string;
}

const DAY = 86_400_000;
const num = (label: string) => Date.parse(`${label}T00:00:00Z`) / DAY;

export function naiveDaily(sessions: Session[], metric: 'dau' | 'mau' | 'new_users', day: string, app?: string): number {
  const mine = sessions.filter((s) => app === undefined || s.app === app);
  const d = num(day);
  if (metric === 'dau') return new Set(mine.filter((s) => num(s.day) === d).map((s) => s.user)).size;
  if (metric === 'mau') return new Set(mine.filter((s) => num(s.day) <= d && num(s.day) > d - 30).map((s) => s.user)).size;
  const first = new Map<string, number>();
  for (const s of mine) first.set(s.user, Math.min(first.get(s.user) ?? Infinity, num(s.day)));
  return [...first.values()].filter((f) => f === d).length;
}

/** A tiny seeded PRNG (mulberry32), so the randomized cases are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Records for the layout's tests and its benchmark, and the figures they should give, computed
 * here by plain loops over the distinct records (never by the SQL under test).
 */
import type { EventRow } from '../../src/clickhouse/layout.ts';
import { prng } from '../naive.ts';

/** The local day (YYYY-MM-DD) of an instant in a time zone; cached by UTC quarter-hour. */
export function localDayOf(zone: string): (epochSeconds: number) => string {
  const format = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const cache = new Map<number, string>();
  return (t) => {
    const quarter = Math.floor(t / 900);
    let d = cache.get(quarter);
    if (d === undefined) {
      d = format.format(new Date(quarter * 900_000));
      cache.set(quarter, d);
    }
    return d;
  };
}

export interface FixtureOptions {
  ws: string;
  zone: string;
  users: number;
  events: number;
  start: number; // epoch seconds
  days: number;
  seed: number;
}

/** Session starts, two custom events and purchases of two products, over two apps. */
export function makeRecords(o: FixtureOptions): EventRow[] {
  const random = prng(o.seed);
  const dayOf = localDayOf(o.zone);
  const rows: EventRow[] = [];
  for (let i = 0; i < o.events; i++) {
    // Users active in bursts: some every few days, some once; times spread over the whole period.
    const user = Math.floor(random() ** 2 * o.users);
    const time = o.start + Math.floor(random() * o.days * 86400);
    const r = random();
    const kind = r < 0.5 ? 'session_start' : r < 0.85 ? 'custom_event' : 'purchase';
    const name = kind === 'custom_event' ? (random() < 0.7 ? 'Played' : "Shared 'it'") : kind === 'purchase' ? (random() < 0.5 ? 'gems' : 'coins') : '';
    rows.push({
      ws: o.ws,
      kind,
      name,
      app_id: random() < 0.6 ? 'ios' : 'android',
      user_key: `user-${user}`,
      event_id: `${o.seed}-${i}`,
      time,
      day: dayOf(time),
      price_usd: kind === 'purchase' ? Math.round(random() * 2000) / 100 : 0,
      quantity: kind === 'purchase' ? 1 + Math.floor(random() * 3) : 0,
    });
  }
  return rows;
}

const DAY = 86_400_000;
const dayNum = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY;
const isoOf = (n: number) => new Date(n * DAY).toISOString().slice(0, 10);

/** The figures of distinct records (by event_id), as maps from bucket (epoch seconds) to value. */
export function expectedFigures(records: readonly EventRow[], app = '') {
  const distinct = [...new Map(records.map((r) => [r.event_id, r])).values()].filter((r) => app === '' || r.app_id === app);
  const add = (m: Map<number, number>, k: number, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const dayBucket = (iso: string) => dayNum(iso) * 86400;
  const sessionsByDay = new Map<number, number>();
  const sessionsByQuarter = new Map<number, number>();
  const playedByDay = new Map<number, number>();
  const revenueByDay = new Map<number, number>();
  const gemsQuantityByQuarter = new Map<number, number>();
  const activeDays = new Map<string, Set<number>>();
  for (const r of distinct) {
    if (r.kind === 'session_start') {
      add(sessionsByDay, dayBucket(r.day), 1);
      add(sessionsByQuarter, Math.floor(r.time / 900) * 900, 1);
      const s = activeDays.get(r.user_key) ?? new Set<number>();
      s.add(dayNum(r.day));
      activeDays.set(r.user_key, s);
    }
    if (r.kind === 'custom_event' && r.name === 'Played') add(playedByDay, dayBucket(r.day), 1);
    if (r.kind === 'purchase') add(revenueByDay, dayBucket(r.day), r.price_usd);
    if (r.kind === 'purchase' && r.name === 'gems') add(gemsQuantityByQuarter, Math.floor(r.time / 900) * 900, r.quantity);
  }
  const dau = new Map<number, number>();
  const mau = new Map<number, number>();
  const newUsers = new Map<number, number>();
  const allDays = [...activeDays.values()].flatMap((s) => [...s]);
  const [lo, hi] = [Math.min(...allDays), Math.max(...allDays) + 29];
  for (const daysOfUser of activeDays.values()) {
    for (const d of daysOfUser) add(dau, d * 86400, 1);
    add(newUsers, Math.min(...daysOfUser) * 86400, 1);
  }
  for (let d = lo; d <= hi; d++) {
    let n = 0;
    for (const daysOfUser of activeDays.values()) {
      for (let k = d - 29; k <= d; k++) {
        if (daysOfUser.has(k)) {
          n++;
          break;
        }
      }
    }
    mau.set(d * 86400, n);
  }
  return { sessionsByDay, sessionsByQuarter, playedByDay, revenueByDay, gemsQuantityByQuarter, dau, mau, newUsers, firstDay: isoOf(lo), lastDay: isoOf(hi) };
}

/** The items in a seeded random order. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

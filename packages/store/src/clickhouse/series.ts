/**
 * Counter and activity series, names, and the catalogue of custom attributes, read from the
 * rollups. Counters are kept per 15-minute UTC bucket, which every unit of any zone is made of (every
 * offset is a multiple of 15 minutes): a series adds the buckets of each unit, in one query that
 * answers a row per unit.
 */
import { dayLabel, dayNumber, type AttributeEntry } from '@brazen/analytics';
import type { ActivityQuery, CounterName, CounterQuery, UnitTotals } from '../ports.ts';
import type { CustomAttributeSample } from '../types.ts';
import { StoreError } from '../errors.ts';
import type { EngineContext } from './context.ts';
import { customAttributeSamples } from '@brazen/analytics';
import { sql, type Sql } from './sql.ts';

/** The label of the totals over every name, and the app of the totals over every app. */
export const EVERY = '\u0001';

/** `statement(table)` on every shard's own table at once (no Distributed table: on 18.16 its two
 * stages cost about as much again as the shards' work for a series of 100 rows), rows together. */
async function onEveryShard<T extends object>(ctx: EngineContext, local: string, statement: (table: Sql) => Sql): Promise<T[]> {
  const table = ctx.db.table(local);
  const rows = await Promise.all(ctx.db.nodes.map((_, node) => ctx.db.query<T>(statement(table), { node })));
  return rows.flat();
}

export async function counterSeries(ctx: EngineContext, ws: string, q: CounterQuery): Promise<UnitTotals[]> {
  const units = q.units.list;
  if (units.length === 0) return [];
  const label = q.name ?? (q.kind === 'session' || q.kind === 'uninstall' ? '' : EVERY);
  const starts = units.map((u) => Math.floor(u.start / 900));
  const end = Math.ceil(units[units.length - 1].end / 900);
  // Units of one length (hours; days without a clock change) are a division; others are counted.
  const step = (starts[1] ?? end) - starts[0];
  const even = starts.every((s, i) => s === starts[0] + i * step) && end === starts[0] + starts.length * step;
  const unit = even ? sql`intDiv(bucket - ${starts[0]}, ${step})` : sql`arrayCount(s -> s <= bucket, ${starts}) - 1`;
  const rows = await onEveryShard<{ unit: number; count: number; quantity: number; revenue: number }>(ctx, 'counters_local', (table) =>
    sql`SELECT ${unit} AS unit, sum(n) AS count, sum(units) AS quantity, sum(usd) AS revenue
        FROM ${table}
        WHERE ws = ${ws} AND kind = ${q.kind} AND label = ${label} AND app = ${q.appId ?? EVERY}
          AND bucket >= ${starts[0]} AND bucket < ${end}
        GROUP BY unit`,
  );
  const totals = units.map(() => ({ count: 0, quantity: 0, revenue: 0 }));
  for (const r of rows) {
    const t = totals[r.unit];
    totals[r.unit] = { count: t.count + r.count, quantity: t.quantity + r.quantity, revenue: t.revenue + r.revenue };
  }
  return totals;
}

/** `gen`: the workspace's activity generation (read from the catalog in the same breath). */
export async function activitySeries(ctx: EngineContext, ws: string, gen: () => Promise<number>, q: ActivityQuery): Promise<number[]> {
  if (q.days.length === 0) return [];
  const from = dayNumber(q.days[0]);
  const to = dayNumber(q.days[q.days.length - 1]);
  // MAU is the running sum of its deltas: every day before the range folds into the day before it.
  // Every generation's rows are read (an earlier one lives only until a time-zone change is tidied)
  // beside the generation itself, so that the series costs one round trip.
  const [current, rows] = await Promise.all([
    gen(),
    onEveryShard<{ gen: number; d: number; active: number; new: number; mau: number }>(ctx, 'daily_local', (table) =>
      sql`SELECT gen, greatest(day, ${from - 1}) AS d, sum(dau) AS active, sum(new_users) AS new, sum(mau_diff) AS mau
          FROM ${table} WHERE ws = ${ws} AND scope = ${q.appId ?? ''} AND day <= ${to}
          GROUP BY gen, d`,
    ),
  ]);
  const byDay = new Map<number, { active: number; new: number; mau: number }>();
  for (const r of rows) {
    if (r.gen !== current) continue;
    const t = byDay.get(r.d) ?? { active: 0, new: 0, mau: 0 };
    byDay.set(r.d, { active: t.active + r.active, new: t.new + r.new, mau: t.mau + r.mau });
  }
  let mau = 0;
  const out = new Map<string, number>();
  for (let day = from - 1; day <= to; day++) {
    const r = byDay.get(day);
    mau += r?.mau ?? 0;
    if (day < from) continue;
    out.set(dayLabel(day), q.metric === 'dau' ? (r?.active ?? 0) : q.metric === 'new_users' ? (r?.new ?? 0) : mau);
  }
  return q.days.map((d) => out.get(d) ?? 0);
}

export async function names(ctx: EngineContext, ws: string, kind: CounterName, offset: number, limit: number): Promise<string[]> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(limit) || offset < 0 || limit < 0) {
    throw new StoreError('invalid_input', 'page must be an integer between 0 and 1000000');
  }
  if (limit === 0) return [];
  // ClickHouse orders text by its UTF-8 bytes: code-point order.
  const rows = await ctx.db.query<{ label: string }>(
    sql`SELECT DISTINCT label FROM ${ctx.db.table('names')} WHERE ws = ${ws} AND kind = ${kind} ORDER BY label LIMIT ${offset}, ${limit}`,
  );
  return rows.map((r) => r.label);
}

export async function hasName(ctx: EngineContext, ws: string, kind: CounterName, name: string): Promise<boolean> {
  const rows = await ctx.db.query<{ n: number }>(
    sql`SELECT count() AS n FROM ${ctx.db.table('names')} WHERE ws = ${ws} AND kind = ${kind} AND label = ${name}`,
  );
  return (rows[0]?.n ?? 0) > 0;
}

export async function recordCount(ctx: EngineContext, ws: string): Promise<number> {
  const rows = await ctx.db.query<{ n: number }>(sql`SELECT count() AS n FROM ${ctx.db.table('events')} WHERE ws = ${ws}`);
  return rows[0]?.n ?? 0;
}

/** The first value of each attribute is among the first null and the first other value of each
 * name on each shard: those are read, and the rule picks. */
export async function attributeSamples(ctx: EngineContext, ws: string): Promise<CustomAttributeSample[]> {
  const candidates = await Promise.all(
    ctx.db.nodes.map((_, node) =>
      ctx.db.query<{ user: string; name: string; value: string; time: number; seq: number }>(
        sql`SELECT user, name, value, time, seq FROM ${ctx.db.table('attributes_local')} WHERE ws = ${ws}
            ORDER BY time, seq LIMIT 1 BY name, value = 'null'`,
        { node },
      ),
    ),
  );
  const entries: AttributeEntry[] = candidates.flat().map((r) => ({ user: r.user, name: r.name, value: JSON.parse(r.value), time: r.time, seq: r.seq }));
  return customAttributeSamples(entries);
}

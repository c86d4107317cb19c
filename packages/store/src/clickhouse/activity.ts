/**
 * DAU, MAU and new users, kept per shard as each batch comes in (the rules: @brazen/analytics's
 * ActivityIndex). A batch's new session days of the users of one shard, and the changes they make
 * to the daily figures, are written to that shard in one insert: a shard either has both or
 * neither, so a batch retried after a failure finds the days it stored and counts nothing twice.
 */
import { ActivityIndex, type ActivityTuple } from '@brazen/analytics';
import type { EngineContext } from './context.ts';
import { insertLocal, type TsvValue } from './shards.ts';
import type { Probe } from './probe.ts';
import { join, sql } from './sql.ts';

/** A session day of a user: scope '' is every app, else the app. */
export interface SessionDay {
  scope: string;
  user: string;
  day: number;
}

export const ACTIVITY_COLUMNS = ['ws', 'gen', 'kind', 'scope', 'user', 'day', 'dau', 'new_users', 'mau_diff'] as const;

/** The activity rows (new days and the deltas they make) of one shard's users for `days`. */
export async function activityRows(ctx: EngineContext, probe: Probe, ws: string, gen: number, days: readonly SessionDay[]): Promise<TsvValue[][]> {
  if (days.length === 0) return [];
  const local = ctx.db.table('activity_local');
  // ActivityIndex numbers users; this batch's users get 0, 1, 2, ...
  const number = new Map<string, number>();
  for (const d of days) if (!number.has(d.user)) number.set(d.user, number.size);
  const users = [...number.keys()];
  const scopes = [...new Set(days.map((d) => d.scope))];
  const userTable = await probe.table([['user', 'String']], users.map((u) => [u]));
  const userSet = sql`user IN (SELECT user FROM ${userTable})`;
  const scopeSet = sql`scope IN (${join(scopes.map((s) => sql`${s}`))})`;
  const where = sql`ws = ${ws} AND gen = ${gen} AND kind = 'day' AND ${scopeSet} AND ${userSet}`;
  const index = new ActivityIndex();
  const spans = await probe.query<{ scope: string; user: string; first: number; last: number }>(
    sql`SELECT scope, user, min(day) AS first, max(day) AS last FROM ${local} WHERE ${where} GROUP BY scope, user`,
  );
  for (const s of spans) index.load(s.scope, number.get(s.user)!, s.first, s.last);
  const tuples: ActivityTuple[] = days.map((d) => ({ scope: d.scope, uid: number.get(d.user)!, day: d.day }));
  const history = new Map<string, number[]>();
  const { needHistory } = index.plan(tuples);
  if (needHistory.length > 0) {
    const historyTable = await probe.table([['user', 'String']], [...new Set(needHistory.map((h) => users[h.uid]))].map((u) => [u]));
    const found = await probe.query<{ scope: string; user: string; days: number[] }>(
      sql`SELECT scope, user, arraySort(groupUniqArray(day)) AS days FROM ${local}
          WHERE ws = ${ws} AND gen = ${gen} AND kind = 'day' AND ${scopeSet} AND user IN (SELECT user FROM ${historyTable})
          GROUP BY scope, user`,
    );
    for (const f of found) history.set(`${f.scope}\u0000${number.get(f.user)}`, f.days);
  }
  const change = index.change(tuples, (scope, uid) => history.get(`${scope}\u0000${uid}`) ?? []);
  return [
    ...change.newDays.map((t) => [ws, gen, 'day', t.scope, users[t.uid], t.day, 0, 0, 0]),
    ...change.deltas.map((d) => [ws, gen, 'delta', d.scope, '', d.day, d.dau, d.newUsers, d.mauDiff]),
  ];
}

export async function writeActivity(ctx: EngineContext, node: number, rows: readonly TsvValue[][]): Promise<void> {
  await insertLocal(ctx.db, node, 'activity_local', ACTIVITY_COLUMNS, rows);
}

/**
 * A workspace's time zone changes: its active days and the daily figures are computed again from the
 * session starts, per shard and per slice of users, under the next generation number; the catalog
 * then switches to it in one write (readers keep the old figures until then), and the old
 * generation's rows are deleted.
 */
import { ActivityIndex, type ActivityTuple } from '@brazen/analytics';
import { ACTIVITY_COLUMNS } from './activity.ts';
import type { EngineContext } from './context.ts';
import { localDayOf } from '@brazen/analytics';
import { insertLocal, type TsvValue } from './shards.ts';
import { sql } from './sql.ts';

/** Session starts read per slice of users, at most about this many a slice. */
const SLICE_ROWS = 1_000_000;

export async function rebuildActivity(ctx: EngineContext, ws: string, zone: string, gen: number): Promise<void> {
  const dayOf = localDayOf(zone);
  await Promise.all(
    ctx.db.nodes.map(async (_, node) => {
      const events = ctx.db.table('events_local');
      const [{ n }] = await ctx.db.query<{ n: number }>(sql`SELECT count() AS n FROM ${events} WHERE ws = ${ws} AND category = 'session_start'`, { node });
      const slices = Math.max(1, Math.ceil(n / SLICE_ROWS));
      for (let slice = 0; slice < slices; slice++) {
        // One row per user, app and 15-minute bucket: a bucket is in one local day of any zone.
        const rows = await ctx.db.query<{ user: string; app: string | null; bucket: number }>(
          sql`SELECT DISTINCT user, app_id AS app, toUInt32(floor(time / 900)) AS bucket FROM ${events}
              WHERE ws = ${ws} AND category = 'session_start' AND cityHash64(user) % ${slices} = ${slice}`,
          { node },
        );
        const number = new Map<string, number>();
        const tuples: ActivityTuple[] = [];
        const days = new Map<number, number>();
        for (const r of rows) {
          let uid = number.get(r.user);
          if (uid === undefined) number.set(r.user, (uid = number.size));
          let day = days.get(r.bucket);
          if (day === undefined) days.set(r.bucket, (day = dayOf(r.bucket * 900)));
          tuples.push({ scope: '', uid, day });
          if (r.app !== null) tuples.push({ scope: r.app, uid, day });
        }
        const users = [...number.keys()];
        const change = new ActivityIndex().change(tuples, () => []);
        const out: TsvValue[][] = [
          ...change.newDays.map((t) => [ws, gen, 'day', t.scope, users[t.uid], t.day, 0, 0, 0]),
          ...change.deltas.map((d) => [ws, gen, 'delta', d.scope, '', d.day, d.dau, d.newUsers, d.mauDiff]),
        ];
        await insertLocal(ctx.db, node, 'activity_local', ACTIVITY_COLUMNS, out);
      }
    }),
  );
}

/** Deletes the rows of generations before `gen` (a mutation: ClickHouse rewrites the parts later). */
export async function dropOldActivity(ctx: EngineContext, ws: string, gen: number): Promise<void> {
  for (const table of ['activity_local', 'daily_local']) {
    await ctx.db.onEveryNode(sql`ALTER TABLE ${ctx.db.table(table)} DELETE WHERE ws = ${ws} AND gen < ${gen}`);
  }
}

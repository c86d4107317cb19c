/**
 * Per-user figures (profiles, segments, conversions) are computed by the rules of
 * @brazen/analytics from each user's own records: a shard reads its users a slice at a time, the
 * slice's records are handed to the rule, and the answers of the slices (disjoint sets of users)
 * are added up. A user's records are all on one shard, so a slice is complete.
 */
import type { AttributeEntry, RecordedData, StoredEvent, StoredIdentity, StoredUser } from '@brazen/analytics';
import type { EngineContext } from './context.ts';
import { EVENT_SELECT, storedEvent, type EventRecordRow } from './event-rows.ts';
import type { UserRecords } from '@brazen/analytics';
import { byShard } from './shards.ts';
import { join, sql, type Sql } from './sql.ts';

/** Users per slice. */
export const SLICE_USERS = 2_000;

const inList = (values: readonly string[]) => join(values.map((v) => sql`${v}`));

/**
 * The braze_ids of shard `node`'s users, in code-point order, a slice at a time; `having`, when
 * given, keeps users with a matching event (a condition on `events_local` columns).
 */
export async function* userSlices(ctx: EngineContext, node: number, ws: string, having?: Sql, size = SLICE_USERS): AsyncGenerator<string[]> {
  let after: string | undefined;
  for (;;) {
    const from = having
      ? sql`SELECT DISTINCT user FROM ${ctx.db.table('events_local')} WHERE ws = ${ws} AND (${having})`
      : sql`SELECT DISTINCT user FROM ${ctx.db.table('users_local')} WHERE ws = ${ws}`;
    const rows = await ctx.db.query<{ user: string }>(
      sql`SELECT user FROM (${from}) ${after === undefined ? sql`` : sql`WHERE user > ${after}`} ORDER BY user LIMIT ${size}`,
      { node },
    );
    if (rows.length === 0) return;
    yield rows.map((r) => r.user);
    if (rows.length < size) return;
    after = rows[rows.length - 1].user;
  }
}

export interface SliceOptions {
  /** Read only events meeting this condition (a rule that reads only those gives the same answer). */
  events?: Sql;
  /** Skip attributes and identities (rules that read only events). */
  eventsOnly?: boolean;
}

/** Everything recorded of `users` (all of shard `node`), each list in the order it was recorded. */
export async function readSlice(ctx: EngineContext, node: number, ws: string, users: readonly string[], options: SliceOptions = {}): Promise<RecordedData> {
  if (users.length === 0) return { users: [], identities: [], events: [], attributes: [] };
  const where = sql`ws = ${ws} AND user IN (${inList(users)})`;
  const table = (name: string) => ctx.db.table(name);
  const [userRows, identities, attributes, events] = await Promise.all([
    ctx.db.query<{ user: string; made: number; first: number }>(
      sql`SELECT user, min(created_at) AS made, min(seq) AS first FROM ${table('users_local')} WHERE ${where} GROUP BY user ORDER BY first, user`,
      { node },
    ),
    options.eventsOnly
      ? []
      : ctx.db.query<{ kind: StoredIdentity['kind']; value: string; user: string }>(
          sql`SELECT DISTINCT kind, value, user, seq FROM ${table('user_identities_local')} WHERE ${where} ORDER BY seq, kind, value`,
          { node },
        ),
    options.eventsOnly
      ? []
      : ctx.db.query<{ user: string; name: string; value: string; time: number; seq: number }>(
          sql`SELECT user, name, value, time, seq FROM ${table('attributes_local')} WHERE ${where} ORDER BY seq LIMIT 1 BY user, seq`,
          { node },
        ),
    ctx.db.query<EventRecordRow>(
      sql`SELECT ${EVENT_SELECT} FROM ${table('events_local')} WHERE ${where} ${options.events ? sql`AND (${options.events})` : sql``}
          ORDER BY seq LIMIT 1 BY user, id`,
      { node },
    ),
  ]);
  return {
    users: userRows.map((r): StoredUser => ({ brazeId: r.user, createdAt: r.made })),
    identities: identities.map((r): StoredIdentity => ({ kind: r.kind, value: r.value, user: r.user })),
    attributes: attributes.map((r): AttributeEntry => ({ user: r.user, name: r.name, value: JSON.parse(r.value), time: r.time, seq: r.seq })),
    events: events.map(storedEvent),
  };
}

/** Each user's own records, from a slice. */
export function recordsByUser(data: RecordedData): Map<string, UserRecords> {
  const out = new Map<string, { user: StoredUser; identities: StoredIdentity[]; attributes: AttributeEntry[]; events: StoredEvent[] }>();
  for (const user of data.users) out.set(user.brazeId, { user, identities: [], attributes: [], events: [] });
  for (const i of data.identities) out.get(i.user)?.identities.push(i);
  for (const a of data.attributes) out.get(a.user)?.attributes.push(a);
  for (const e of data.events) out.get(e.user)?.events.push(e);
  return out;
}

/**
 * Runs `compute` on every slice of every shard (shards side by side, slices of a shard one after
 * another) and returns the answers, for the caller to add up.
 */
export async function mapSlices<T>(
  ctx: EngineContext, ws: string, compute: (data: RecordedData) => T, options: SliceOptions & { having?: Sql } = {},
): Promise<T[]> {
  const perShard = await Promise.all(
    ctx.db.nodes.map(async (_, node) => {
      const out: T[] = [];
      for await (const users of userSlices(ctx, node, ws, options.having)) out.push(compute(await readSlice(ctx, node, ws, users, options)));
      return out;
    }),
  );
  return perShard.flat();
}

/** The records of the named users (any shards), by user. */
export async function readUsers(ctx: EngineContext, ws: string, users: readonly string[]): Promise<Map<string, UserRecords>> {
  const groups = byShard(ws, ctx.shards, [...new Set(users)], (u) => u);
  const out = new Map<string, UserRecords>();
  await Promise.all(
    groups.map(async (group, node) => {
      for (let i = 0; i < group.length; i += SLICE_USERS) {
        for (const [user, records] of recordsByUser(await readSlice(ctx, node, ws, group.slice(i, i + SLICE_USERS)))) out.set(user, records);
      }
    }),
  );
  return out;
}

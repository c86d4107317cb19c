/**
 * Users found by their identities, their export objects (the rule: `userExportText`, from each
 * user's records on its shard), and user exports: a job's members are taken once (evaluated per
 * shard, slice by slice) and kept in rank order on the first node, so that a job taken over by
 * another process after a crash exports the same users.
 */
import type { SegmentFilter } from '@brazen/analytics';
import type { ExportProfiles, ProfileOptions, UserIdKind } from '../segment-types.ts';
import type { Workspace } from '../types.ts';
import { StoreError } from '../errors.ts';
import type { EngineContext } from './context.ts';
import { byCodePoint, nameBook, segmentMembers, userExportText } from '@brazen/analytics';
import { insertLocal } from './shards.ts';
import { mapSlices, readUsers } from './slices.ts';
import { join, sql } from './sql.ts';

/** The users each value names (an email, phone or device may name several), oldest first. */
export async function findUsers(ctx: EngineContext, ws: string, kind: UserIdKind, values: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (values.length === 0) return out;
  const rows = await ctx.db.query<{ value: string; user: string }>(
    sql`SELECT DISTINCT value, user, seq FROM ${ctx.db.table('identities')}
        WHERE ws = ${ws} AND kind = ${kind} AND value IN (${join([...new Set(values)].map((v) => sql`${v}`))})
        ORDER BY seq, user`,
  );
  for (const r of rows) {
    const list = out.get(r.value) ?? [];
    if (!list.includes(r.user)) list.push(r.user);
    out.set(r.value, list);
  }
  return out;
}

/** Export objects of users named by braze_id, in the order named. */
export async function userProfiles(ctx: EngineContext, ws: string, doc: Workspace, brazeIds: readonly string[], options: ProfileOptions): Promise<string[]> {
  if (brazeIds.length === 0) return [];
  const records = await readUsers(ctx, ws, brazeIds);
  const book = nameBook(doc);
  return brazeIds.map((id) => {
    const r = records.get(id);
    if (!r) throw new StoreError('invalid_input', `no user has braze_id ${id}`);
    return userExportText(r, book, options);
  });
}

/** The job's members as of `at` (inclusive), ranked in code-point order of their braze_id. Members
 * are written under a snapshot number that the catalog then names: a snapshot cut short is never read. */
export async function snapshotExportMembers(ctx: EngineContext, ws: string, jobId: string, filter: SegmentFilter | undefined, at: number): Promise<number> {
  const found = await mapSlices(ctx, ws, (data) => segmentMembers(data, filter, { at, inclusive: true }));
  const members = found.flat().sort(byCodePoint);
  const snapshot = ctx.docs.nextVersion();
  await insertLocal(ctx.db, 0, 'export_members', ['ws', 'job', 'snapshot', 'rank', 'user'], members.map((user, rank) => [ws, jobId, snapshot, rank, user]));
  await ctx.docs.put([{ ws, kind: 'export_snapshot', id: jobId, body: JSON.stringify({ snapshot, members: members.length }) }]);
  return members.length;
}

async function currentSnapshot(ctx: EngineContext, ws: string, jobId: string): Promise<{ snapshot: number; members: number } | undefined> {
  const doc = await ctx.docs.get(ws, 'export_snapshot', jobId);
  return doc && (JSON.parse(doc.body) as { snapshot: number; members: number });
}

/** The members ranked `from` (inclusive) to `to` (exclusive). */
async function membersBetween(ctx: EngineContext, ws: string, jobId: string, snapshot: number, from: number, to: number): Promise<string[]> {
  const rows = await ctx.db.query<{ user: string }>(
    sql`SELECT user FROM ${ctx.db.table('export_members')}
        WHERE ws = ${ws} AND job = ${jobId} AND snapshot = ${snapshot} AND rank >= ${from} AND rank < ${to}
        ORDER BY rank LIMIT 1 BY rank`,
  );
  return rows.map((r) => r.user);
}

export async function openExportProfiles(ctx: EngineContext, ws: string, doc: Workspace, jobId: string, options: ProfileOptions): Promise<ExportProfiles> {
  const taken = await currentSnapshot(ctx, ws, jobId);
  if (!taken) throw new StoreError('invalid_input', `export ${jobId} has no members taken`);
  const encoder = new TextEncoder();
  return {
    async read(from: number, to: number, perPiece: number): Promise<Uint8Array[]> {
      const members = await membersBetween(ctx, ws, jobId, taken.snapshot, from, to);
      const lines = await userProfiles(ctx, ws, doc, members, options);
      const pieces: Uint8Array[] = [];
      for (let first = 0; first < lines.length; first += perPiece) {
        pieces.push(encoder.encode(lines.slice(first, first + perPiece).map((line) => `${line}\n`).join('')));
      }
      return pieces;
    },
    close() {},
  };
}

export async function dropExportMembers(ctx: EngineContext, ws: string, jobId: string): Promise<void> {
  const taken = await currentSnapshot(ctx, ws, jobId);
  if (!taken) return;
  await ctx.docs.put([{ ws, kind: 'export_snapshot', id: jobId, body: '', deleted: true }]);
  await ctx.db.command(sql`ALTER TABLE ${ctx.db.table('export_members')} DELETE WHERE ws = ${ws} AND job = ${jobId}`);
}

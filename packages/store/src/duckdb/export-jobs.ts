import { createHash, randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { SegmentFilter } from '@brazen/analytics';
import { segmentMembersSql } from './segment-sql.ts';
import type { ExportJob, ExportJobPatch } from '../types.ts';
import { inTransaction, one, rows } from './sql.ts';

/** User export jobs (SPEC §6): a JSON document per job, and the job's members ranked by braze_id so
 * that an export cut by a crash resumes on the same list. Writes run on the writer connection. */

/** The number that names a job's members in `export_ranks`: 64 bits of the SHA-256 of its id. */
export function exportJobKey(jobId: string): string {
  return createHash('sha256').update(jobId).digest().readBigInt64BE(0).toString();
}

/** The uid and rank (`rn`) of each member of a job. */
export const exportMembersSql = (jobId: string) => `SELECT rn, uid FROM export_ranks WHERE job = ${exportJobKey(jobId)}`;

/** Member lists kept by earlier versions (`export_members`, named by job id) move to `export_ranks`. */
export async function migrateExportMembers(conn: DuckDBConnection): Promise<void> {
  const old = await one(conn, `SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'export_members' AND NOT temporary`);
  if (!old) return;
  await inTransaction(conn, async () => {
    for (const { job_id: jobId } of await rows<{ job_id: string }>(conn, `SELECT DISTINCT job_id FROM export_members`)) {
      await conn.run(`INSERT INTO export_ranks SELECT ${exportJobKey(jobId)}, rn, uid FROM export_members WHERE job_id = $job`, { job: jobId });
    }
    await conn.run(`DROP TABLE export_members`);
  });
}

export async function createExportJob(conn: DuckDBConnection, job: ExportJob): Promise<void> {
  await conn.run(`INSERT INTO export_jobs VALUES ($id, $doc)`, { id: job.id, doc: JSON.stringify(job) });
}

export async function updateExportJob(conn: DuckDBConnection, id: string, patch: ExportJobPatch): Promise<void> {
  const found = await one<{ doc: string }>(conn, `SELECT doc FROM export_jobs WHERE id = $id`, { id });
  if (!found) throw new Error(`no export job ${id}`);
  const doc = { ...(JSON.parse(found.doc) as ExportJob), ...patch };
  await conn.run(`UPDATE export_jobs SET doc = $doc WHERE id = $id`, { id, doc: JSON.stringify(doc) });
}

export async function exportJobs(conn: DuckDBConnection): Promise<ExportJob[]> {
  // Oldest first: by the time of the request, then in the order the jobs were made.
  const found = await rows<{ doc: string }>(conn, `SELECT doc FROM export_jobs ORDER BY rowid`);
  return found.map((r) => JSON.parse(r.doc) as ExportJob).sort((a, b) => a.createdAt - b.createdAt);
}

/** Replaces the job's member list in one statement, so a crash leaves either none or all of it.
 * `kept`: a query of the members' uids read from a kept segment instead of the filter evaluated. */
export async function snapshotExportMembers(
  conn: DuckDBConnection, jobId: string, filter: SegmentFilter | undefined, at: number, kept?: string,
): Promise<number> {
  const members = kept ?? segmentMembersSql(filter, { at, inclusive: true });
  await inTransaction(conn, async () => {
    const key = exportJobKey(jobId);
    await conn.run(`DELETE FROM export_ranks WHERE job = ${key}`);
    await conn.run(`INSERT INTO export_ranks SELECT ${key}, (row_number() OVER (ORDER BY u.braze_id) - 1)::INTEGER, m.uid
      FROM (${members}) m JOIN users u ON u.uid = m.uid`);
  });
  return (await one<{ n: number }>(conn, `SELECT count(*)::DOUBLE AS n FROM (${exportMembersSql(jobId)})`))?.n ?? 0;
}

export async function dropExportMembers(conn: DuckDBConnection, jobId: string): Promise<void> {
  await conn.run(`DELETE FROM export_ranks WHERE job = ${exportJobKey(jobId)}`);
}

/** The secret kept for `purpose` (the download URLs' was kept as `export_url_secret` before purposes). */
export async function secret(conn: DuckDBConnection, purpose: string): Promise<string> {
  const key = purpose === 'export_url' ? 'export_url_secret' : `secret:${purpose}`;
  const found = await one<{ value: string }>(conn, `SELECT value FROM meta WHERE key = $key`, { key });
  if (found) return found.value;
  const made = randomBytes(32).toString('hex');
  await conn.run(`INSERT INTO meta VALUES ($key, $made) ON CONFLICT DO NOTHING`, { key, made });
  return (await one<{ value: string }>(conn, `SELECT value FROM meta WHERE key = $key`, { key }))!.value;
}

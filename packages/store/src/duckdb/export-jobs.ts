import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { segmentMembersSql, type SegmentFilter } from '@brazen/analytics';
import type { ExportJob, ExportJobPatch } from '../types.ts';
import { RECEIPT_TYPES } from './segments.ts';
import { one, rows } from './sql.ts';

/** User export jobs (SPEC §6): a JSON document per job, and the job's members ranked by uid so
 * that an export cut by a crash resumes on the same list. Writes run on the writer connection. */

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

/** Replaces the job's member list in one statement, so a crash leaves either none or all of it. */
export async function snapshotExportMembers(
  conn: DuckDBConnection, jobId: string, filter: SegmentFilter | undefined, at: number,
): Promise<number> {
  const members = segmentMembersSql(filter, { at, inclusive: true, receiptTypes: RECEIPT_TYPES });
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(`DELETE FROM export_members WHERE job_id = $job`, { job: jobId });
    await conn.run(
      `INSERT INTO export_members SELECT $job, (row_number() OVER (ORDER BY uid) - 1)::INTEGER, uid FROM (${members})`,
      { job: jobId },
    );
    await conn.run('COMMIT');
  } catch (error) {
    await conn.run('ROLLBACK');
    throw error;
  }
  return (await one<{ n: number }>(conn, `SELECT count(*)::DOUBLE AS n FROM export_members WHERE job_id = $job`, { job: jobId }))?.n ?? 0;
}

export async function dropExportMembers(conn: DuckDBConnection, jobId: string): Promise<void> {
  await conn.run(`DELETE FROM export_members WHERE job_id = $job`, { job: jobId });
}

export async function exportSecret(conn: DuckDBConnection): Promise<string> {
  const found = await one<{ value: string }>(conn, `SELECT value FROM meta WHERE key = 'export_url_secret'`);
  if (found) return found.value;
  const secret = randomBytes(32).toString('hex');
  await conn.run(`INSERT INTO meta VALUES ('export_url_secret', $secret) ON CONFLICT DO NOTHING`, { secret });
  return (await one<{ value: string }>(conn, `SELECT value FROM meta WHERE key = 'export_url_secret'`))!.value;
}

import type { DuckDBConnection } from '@duckdb/node-api';
import type { ImportedObject } from '../types.ts';
import { rows } from './sql.ts';

/**
 * The import ledger: objects of a bucket whose records were all stored (`brazen import currents
 * s3://...`, `serve --follow-currents`). It lives in the store so that every process importing
 * into it sees what the others finished; an object cut by a crash has no entry and is read again
 * (its records already stored are skipped by id). An object rewritten under the same key has a new
 * ETag, so it is another entry.
 */
export const IMPORT_LEDGER_DDL = `CREATE TABLE IF NOT EXISTS import_ledger (
  url VARCHAR, etag VARCHAR, records BIGINT, imported_at DOUBLE, PRIMARY KEY (url, etag))`;

export async function importedObjects(conn: DuckDBConnection, prefix: string): Promise<ImportedObject[]> {
  const found = await rows<{ url: string; etag: string; records: number; imported_at: number }>(
    conn,
    `SELECT url, etag, records::DOUBLE AS records, imported_at FROM import_ledger WHERE starts_with(url, $prefix) ORDER BY url, imported_at`,
    { prefix },
  );
  return found.map((r) => ({ url: r.url, etag: r.etag, records: r.records, importedAt: r.imported_at }));
}

export async function recordImportedObject(conn: DuckDBConnection, object: ImportedObject): Promise<void> {
  await conn.run(`INSERT OR REPLACE INTO import_ledger VALUES ($url, $etag, $records, $at)`, {
    url: object.url, etag: object.etag, records: object.records, at: object.importedAt,
  });
}

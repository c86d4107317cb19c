import type { DuckDBConnection } from '@duckdb/node-api';
import type { ApiKeyRecord } from '../types.ts';
import { one, rows } from './sql.ts';

/** REST API keys (the `api_keys` table of the catalog): kept by the hash of the key, never the key. */

interface KeyRow {
  hash: string;
  name: string;
  permissions: string;
  created_at: string;
  workspace: string;
}

const keyRecord = (r: KeyRow): ApiKeyRecord => ({
  hash: r.hash, name: r.name, permissions: JSON.parse(r.permissions) as string[], createdAt: r.created_at, workspace: r.workspace,
});

export async function addApiKey(conn: DuckDBConnection, key: ApiKeyRecord): Promise<void> {
  await conn.run(`INSERT OR REPLACE INTO api_keys (hash, name, permissions, created_at, workspace) VALUES ($hash, $name, $permissions, $created, $workspace)`, {
    hash: key.hash,
    name: key.name,
    permissions: JSON.stringify(key.permissions),
    created: key.createdAt,
    workspace: key.workspace,
  });
}

export async function findApiKey(conn: DuckDBConnection, hash: string): Promise<ApiKeyRecord | undefined> {
  const r = await one<KeyRow>(conn, `SELECT * FROM api_keys WHERE hash = $hash`, { hash });
  return r && keyRecord(r);
}

export async function listApiKeys(conn: DuckDBConnection, workspace: string): Promise<ApiKeyRecord[]> {
  return (await rows<KeyRow>(conn, `SELECT * FROM api_keys WHERE workspace = $workspace ORDER BY created_at, name`, { workspace })).map(keyRecord);
}

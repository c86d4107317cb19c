import type { DuckDBConnection } from '@duckdb/node-api';

/** A SQL string literal. Only for values brazen itself makes (file paths, zone names already validated). */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export async function rows<T>(conn: DuckDBConnection, sql: string, params?: Record<string, unknown>): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql, params as never);
  return reader.getRowObjectsJS() as T[];
}

export async function one<T>(conn: DuckDBConnection, sql: string, params?: Record<string, unknown>): Promise<T | undefined> {
  return (await rows<T>(conn, sql, params))[0];
}

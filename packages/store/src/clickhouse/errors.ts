/**
 * Typed failures of the ClickHouse engine. They carry no HTTP status: the server maps them.
 * `serverCode` is ClickHouse's numeric error code when the server (or chdb) refused a statement.
 */
export type ClickHouseErrorKind =
  | 'url' // a store URL that cannot be used
  | 'chdb-missing' // chdb:PATH asked for, the optional package not installed
  | 'sql-value' // a value that has no exact SQL literal (NaN, a Date with milliseconds, ...)
  | 'unsafe-integer' // a 64-bit integer result beyond Number.MAX_SAFE_INTEGER
  | 'version' // a server too old, or nodes of a cluster on different versions
  | 'cluster' // the URL's nodes and the server's remote_servers disagree
  | 'migration' // an applied migration changed, or the database is newer than this code
  | 'query'; // the server refused a statement

export class ClickHouseStoreError extends Error {
  constructor(
    readonly kind: ClickHouseErrorKind,
    message: string,
    readonly serverCode?: number,
  ) {
    super(message);
    this.name = 'ClickHouseStoreError';
  }
}

/**
 * The server's error code of a failed call. @clickhouse/client parses it only from messages of
 * current servers (`Code: 57. DB::Exception: ...`); 18.16 writes `Code: 57, e.displayText() = ...`.
 */
export function serverErrorCode(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const own = (error as { code?: unknown }).code;
  if (typeof own === 'string' && /^\d+$/.test(own)) return Number(own);
  const m = /\bCode: (\d+)[.,]/.exec(error.message);
  return m ? Number(m[1]) : undefined;
}

/** A server refusal as a typed error, keeping the first line of ClickHouse's message. */
export function queryError(error: unknown, statement: string): ClickHouseStoreError {
  if (error instanceof ClickHouseStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0].replace(/, e\.what\(\) = DB::Exception$/, '').slice(0, 500);
  const head = statement.replace(/\s+/g, ' ').trim().slice(0, 160);
  return new ClickHouseStoreError('query', `${firstLine} (in: ${head})`, serverErrorCode(error));
}

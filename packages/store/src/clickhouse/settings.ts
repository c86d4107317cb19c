/**
 * What the server at hand can do, and the settings every statement carries. 18.16 rejects a
 * setting it does not know and 26.x rejects obsolete ones, so settings are chosen by the names the
 * server lists in system.settings, and features by `version()`.
 */
import type { ClickHouseSettings } from '@clickhouse/client';
import { ClickHouseStoreError } from './errors.ts';

export interface ServerVersion {
  text: string;
  major: number;
  minor: number;
}

export interface Capabilities {
  /** `{name:Type}` parameters (19.11); unused by brazen, which writes literals on every version. */
  queryParameters: boolean;
  /** Window functions (21.x); 18.16 has none: prefix sums are `arrayCumSum` or done in TS. */
  windowFunctions: boolean;
  /** `insert_deduplication_token` with `non_replicated_deduplication_window` (22.x). */
  insertDeduplicationToken: boolean;
}

export interface SettingsProfile {
  /** Sent with every statement. */
  common: ClickHouseSettings;
  /** Sent with inserts besides `common`. */
  insert: ClickHouseSettings;
}

/** Settings brazen may send, each used only where the server lists it. */
export const PROFILE_SETTINGS = [
  'output_format_json_quote_64bit_integers',
  'async_insert',
  'insert_distributed_sync',
  'distributed_foreground_insert',
  'date_time_input_format',
  'session_timezone',
  'insert_deduplication_token',
  'max_query_size',
  'max_ast_elements',
  'max_expanded_ast_elements',
] as const;

/** Statements carry their values as literals: a segment filter or a batch of ids can be long. */
export const MAX_QUERY_BYTES = 16 * 1024 * 1024;

export function parseVersion(text: string): ServerVersion {
  const m = /^(\d+)\.(\d+)/.exec(text);
  if (!m) throw new ClickHouseStoreError('version', `cannot read the ClickHouse version "${text}"`);
  return { text, major: Number(m[1]), minor: Number(m[2]) };
}

export function atLeast(v: ServerVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

export function capabilitiesOf(v: ServerVersion, known: ReadonlySet<string>): Capabilities {
  return {
    queryParameters: atLeast(v, 19, 11),
    windowFunctions: atLeast(v, 21, 12),
    insertDeduplicationToken: known.has('insert_deduplication_token'),
  };
}

export function settingsProfile(known: ReadonlySet<string>): SettingsProfile {
  const common: ClickHouseSettings = {};
  const insert: ClickHouseSettings = {};
  // 64-bit integers as JSON strings on every version (25.8 made them numbers by default); the
  // client turns them into numbers where they are exact (see client.ts).
  if (known.has('output_format_json_quote_64bit_integers')) common.output_format_json_quote_64bit_integers = 1;
  // 256 KiB by default on every version, counted on the statement text, literals included.
  if (known.has('max_query_size')) common.max_query_size = String(MAX_QUERY_BYTES);
  // A literal is an element of the statement's syntax tree (50,000 at most by default, on 18.16 an
  // IN list of 60,000 ids is over): the query size above is the bound.
  if (known.has('max_ast_elements')) common.max_ast_elements = String(MAX_QUERY_BYTES);
  if (known.has('max_expanded_ast_elements')) common.max_expanded_ast_elements = String(MAX_QUERY_BYTES);
  // Dates and times travel as epoch seconds; pin the parser that 26.5 changed to best_effort.
  if (known.has('date_time_input_format')) common.date_time_input_format = 'basic';
  // chdb reads DateTime without a zone in the host's zone; brazen's columns name UTC anyway.
  if (known.has('session_timezone')) common.session_timezone = 'UTC';
  // 26.2 made inserts asynchronous by default: an acknowledged insert must be stored.
  if (known.has('async_insert')) insert.async_insert = 0;
  // Through a Distributed table, the acknowledgement means the rows are on their shards.
  if (known.has('distributed_foreground_insert')) insert.distributed_foreground_insert = 1;
  else if (known.has('insert_distributed_sync')) insert.insert_distributed_sync = 1;
  return { common, insert };
}

/**
 * A Currents body as sent to POST /currents or read from a file: newline-delimited JSON (one record a
 * line; lines holding only spaces are skipped) or one JSON array of records. A body that is not JSON
 * is refused whole, naming the line of the first record that cannot be read.
 */

export type CurrentsFormat = 'ndjson' | 'array';

/** A body that cannot be read as records: nothing of it may be stored. */
export class CurrentsBodyError extends Error {
  override readonly name = 'CurrentsBodyError';
}

/** The message for an NDJSON body whose record on `line` (1-based, counting every line) cannot be read. */
export const unreadableLineMessage = (line: number) => `body is not valid JSON: record on line ${line} cannot be read`;
export const UNREADABLE_BODY = 'body is not valid JSON';

/** JSON's whitespace: what a line may hold and still be no record. */
const BLANK = /^[ \t\r]*$/;

/** The records of a body, in order (a record is any JSON value; rules decide what is valid). */
export function parseCurrentsBody(bytes: Uint8Array, format: CurrentsFormat): unknown[] {
  const text = new TextDecoder().decode(bytes);
  if (format === 'array') {
    if (BLANK.test(text.replaceAll('\n', ''))) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CurrentsBodyError(UNREADABLE_BODY);
    }
    if (!Array.isArray(parsed)) throw new CurrentsBodyError(UNREADABLE_BODY);
    return parsed;
  }
  const records: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (BLANK.test(line)) return;
    try {
      records.push(JSON.parse(line));
    } catch {
      throw new CurrentsBodyError(unreadableLineMessage(i + 1));
    }
  });
  return records;
}

/** The line (1-based) on which record `record` (1-based, blank lines not counted) of an NDJSON body
 * starts: what an engine that reports records by number (DuckDB counts them, not lines) tells the
 * sender. Undefined when the body has fewer records. */
export function lineOfRecord(bytes: Uint8Array, record: number): number | undefined {
  let seen = 0;
  let line = 0;
  for (let start = 0; start <= bytes.length; ) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    line += 1;
    if (!isBlank(bytes, start, end) && ++seen === record) return line;
    start = end + 1;
  }
  return undefined;
}

function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0x20 && bytes[i] !== 0x09 && bytes[i] !== 0x0d) return false;
  return true;
}

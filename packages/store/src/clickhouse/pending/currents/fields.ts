/**
 * How a field of a Currents record is read, as an SQL engine reads the record's JSON (DuckDB's
 * `json_extract_string`, then `TRY_CAST`): the rules of ingestion compare and store these readings,
 * so every engine must read a field the same way.
 */

/**
 * A field as text: a string as is, `true`/`false`, a number in its shortest form, an object or array
 * as compact JSON; absent or null is null. (A number written with a fraction or exponent that is
 * whole, `1.0`, reads `1` here and `1.0` in DuckDB: a parsed record no longer knows how it was
 * written. No Currents field that is read as text carries a number.)
 */
export function fieldText(record: Readonly<Record<string, unknown>>, field: string): string | null {
  return Object.hasOwn(record, field) ? jsonText(record[field]) : null;
}

export function jsonText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Decimal digits, optionally in groups joined by single underscores (`1_000`). */
const DIGITS = '\\d+(?:_\\d+)*';
const DECIMAL = new RegExp(`^([+-]?)(${DIGITS})?(?:\\.(${DIGITS})?)?(?:[eE]([+-]?\\d+))?$`);

/** Whitespace around a number that a cast skips. */
const trimmed = (text: string) => text.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '');

/**
 * Text as a double, or null, as `TRY_CAST(text AS DOUBLE)`: decimal notation with optional sign,
 * fraction, exponent and underscores between digits, spaces around; not `inf`, `nan` or hex, and
 * nothing that overflows.
 */
export function textAsDouble(text: string | null): number | null {
  if (text === null) return null;
  const m = DECIMAL.exec(trimmed(text));
  if (!m || (m[2] === undefined && m[3] === undefined)) return null;
  const value = Number(m[0].replaceAll('_', '').replace(/\.(?=[eE]|$)/, ''));
  return Number.isFinite(value) ? value : null;
}

const INT32 = { min: -2_147_483_648, max: 2_147_483_647 };

/**
 * Text as a 32-bit integer, or null, as `TRY_CAST(text AS INTEGER)`: a decimal rounds half away from
 * zero on its digits (`2.5` is 3, `2.45` is 2), an exponent is applied, `0x` hexadecimal is read.
 */
export function textAsInteger(text: string | null): number | null {
  if (text === null) return null;
  const t = trimmed(text);
  const hex = /^0[xX]([0-9a-fA-F]+)$/.exec(t);
  let value: number;
  if (hex) value = parseInt(hex[1], 16);
  else {
    const m = DECIMAL.exec(t);
    if (!m || (m[2] === undefined && m[3] === undefined)) return null;
    const sign = m[1] === '-' ? -1 : 1;
    if (m[4] !== undefined) {
      const x = Math.abs(Number(m[0].replaceAll('_', '').replace(/\.(?=[eE]|$)/, '')));
      value = sign * Math.round(x);
    } else {
      const whole = Number((m[2] ?? '0').replaceAll('_', ''));
      const firstDecimal = (m[3] ?? '0').charCodeAt(0) - 48;
      value = sign * (whole + (firstDecimal >= 5 ? 1 : 0));
    }
  }
  return Number.isFinite(value) && value >= INT32.min && value <= INT32.max ? value + 0 : null;
}

/** Upper case, code point by code point (a character whose upper case is longer stays as it is:
 * `ß`), as SQL's `upper`. Currency codes are ASCII. */
export function upperText(text: string): string {
  let out = '';
  for (const ch of text) {
    const up = ch.toUpperCase();
    out += [...up].length === 1 ? up : ch;
  }
  return out;
}

/** Lower case, code point by code point, as SQL's `lower`. */
export function lowerText(text: string): string {
  let out = '';
  for (const ch of text) {
    const low = ch.toLowerCase();
    out += [...low].length === 1 ? low : ch;
  }
  return out;
}

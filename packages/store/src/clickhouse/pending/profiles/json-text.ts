/**
 * The text of the user export object, written exactly as the SQL engines write it, so that every
 * engine's export is the same bytes: strings as `to_json` escapes them, doubles as their shortest
 * form in Python's layout, instants in ISO 8601 with milliseconds.
 */

const CONTROL = /[\u0000-\u001f]/g;
const SHORT: Readonly<Record<string, string>> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A string as a JSON string: `"` and `\` escaped, control characters as `\n`-style or `\u001F`
 * (upper-case hex), everything else as it is; a lone surrogate (not UTF-8) becomes U+FFFD. */
export function jsonString(text: string): string {
  const body = text
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(/["\\]/g, (c) => `\\${c}`)
    .replace(CONTROL, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
  return `"${body}"`;
}

/**
 * A double as text: the shortest digits that read back as the same double, in fixed notation with
 * at least one decimal (`3.0`, `0.0001`) from 1e-4 up to 1e16, in exponent notation outside
 * (`1e-05`, `1e+16`, `1.2345678901234568e+17`); `nan`, `inf`, `-inf`, `-0.0`.
 */
export function doubleText(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, e] = x.toExponential().split('e');
  const exponent = Number(e);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** `x` rounded to `places` decimals, half away from zero (as SQL's `round(x, places)` on a double). */
export function roundDouble(x: number, places: number): number {
  const modifier = 10 ** places;
  const rounded = (x < 0 ? -Math.round(-x * modifier) : Math.round(x * modifier)) / modifier;
  return Number.isFinite(rounded) ? rounded : x;
}

/** An instant (epoch seconds) as `2024-01-01T00:00:00.000Z`: rounded to the microsecond (half to
 * even), then cut to the millisecond. */
export function isoMillis(seconds: number): string {
  const micros = seconds * 1_000_000;
  const whole = Math.abs(micros % 1) === 0.5 ? 2 * Math.round(micros / 2) : Math.round(micros);
  return new Date(Math.floor(whole / 1000)).toISOString();
}

/**
 * A member of a JSON value as text, as SQL's `->>` reads it: a string as is, a number as the SQL
 * engine writes it again (an integer as written; `1e+21` as `1e21`), true/false, an object or array
 * as compact JSON; null when the value is not an object, lacks the member or holds null.
 */
export function memberText(value: unknown, member: string): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, member)) return null;
  const v = (value as Record<string, unknown>)[member];
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return JSON.stringify(v).replace('e+', 'e');
  return JSON.stringify(v);
}

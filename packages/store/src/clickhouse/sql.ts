/**
 * The one way a value reaches ClickHouse SQL. 18.16 has no server-side parameters, so values are
 * written as literals: `literal` for values, `identifier` for names, and the `sql` tag, which
 * passes every interpolated value through `literal` and splices fragments made by `sql` or
 * `identifier` as they are. Tested with hostile strings on 18.16 and on chdb (26.x).
 */
import { ClickHouseStoreError } from './errors.ts';

/** A calendar day, written `toDate('YYYY-MM-DD')` (a local day of a workspace: no time zone). */
export class SqlDay {
  constructor(readonly iso: string) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
    const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
    if (!d || d.toISOString().slice(0, 10) !== iso) throw new ClickHouseStoreError('sql-value', `"${iso}" is not a day YYYY-MM-DD`);
  }
}

/** A piece of SQL text that is already safe (made by `sql`, `identifier` or `raw`). */
export class Sql {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type SqlValue = string | number | bigint | boolean | null | Date | SqlDay | readonly SqlValue[];

export function day(iso: string): SqlDay {
  return new SqlDay(iso);
}

// Inside '...' ClickHouse reads backslash escapes. Quote and backslash must be escaped; control
// characters are written as escapes too, so that a statement stays one readable line in logs.
const SPECIAL = /[\\'\x00-\x1f\x7f]/g;
const NAMED: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };
const escapeChar = (c: string) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

const MIN_NORMAL = 2.2250738585072014e-308;

function float64Hex(value: number): string {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(value);
  return bytes.toString('hex');
}

/** The SQL literal of a value. Throws a typed error for a value without an exact literal. */
export function literal(value: SqlValue): string {
  if (typeof value === 'string') return `'${value.replace(SPECIAL, escapeChar)}'`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ClickHouseStoreError('sql-value', `${value} has no SQL literal`);
    // 18.16's parser refuses subnormal numbers (5e-324 is a syntax error): write their bytes.
    if (value !== 0 && Math.abs(value) < MIN_NORMAL) return `reinterpretAsFloat64(unhex('${float64Hex(value)}'))`;
    // In parentheses when negative: `1 - ${-5}` must not become the comment `1 --5`.
    return value < 0 ? `(${String(value)})` : String(Object.is(value, -0) ? 0 : value);
  }
  if (typeof value === 'bigint') return value < 0n ? `(${value})` : String(value);
  if (typeof value === 'boolean') return value ? '1' : '0'; // 18.16 has no Bool
  if (value === null) return 'NULL';
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new ClickHouseStoreError('sql-value', 'an invalid Date has no SQL literal');
    if (ms % 1000 !== 0) throw new ClickHouseStoreError('sql-value', `${value.toISOString()} has milliseconds; DateTime keeps seconds`);
    return `toDateTime(${literal(ms / 1000)}, 'UTC')`;
  }
  if (value instanceof SqlDay) return `toDate('${value.iso}')`;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  throw new ClickHouseStoreError('sql-value', `a ${typeof value} has no SQL literal`);
}

/** A database, table, column or alias name, in backquotes with backslash escapes. */
export function identifier(name: string): Sql {
  if (name.length === 0) throw new ClickHouseStoreError('sql-value', 'an empty identifier');
  return new Sql(`\`${name.replace(/[\\`\x00-\x1f\x7f]/g, (c) => (c === '`' ? '\\`' : escapeChar(c)))}\``);
}

/** SQL text written by this code, never by a user: a keyword, a function name, an engine clause. */
export function raw(text: string): Sql {
  return new Sql(text);
}

/** A template whose interpolations are values (made literals) or Sql fragments (spliced). */
export function sql(strings: TemplateStringsArray, ...values: ReadonlyArray<SqlValue | Sql>): Sql {
  let text = strings[0];
  values.forEach((v, i) => {
    text += (v instanceof Sql ? v.text : literal(v)) + strings[i + 1];
  });
  return new Sql(text);
}

/** Fragments joined by a separator (`, ` by default). */
export function join(parts: ReadonlyArray<Sql>, separator = ', '): Sql {
  return new Sql(parts.map((p) => p.text).join(separator));
}

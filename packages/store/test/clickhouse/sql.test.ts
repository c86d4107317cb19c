/**
 * The one escaping function: exact literals, and hostile values that come back identical from
 * Debian's 18.16 server and from chdb (26.x), whether they travel as SQL literals or as
 * JSONEachRow data compared against a literal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClickHouse, type ClickHouseConnection } from '../../src/clickhouse/client.ts';
import { ClickHouseStoreError } from '../../src/clickhouse/errors.ts';
import { day, identifier, join, literal, sql, type SqlValue } from '../../src/clickhouse/sql.ts';
import { chdbUrl, describeOnServers, describeWith } from './targets.ts';

describe('literal', () => {
  it('writes each kind of value', () => {
    expect(literal("it's")).toBe("'it\\'s'");
    expect(literal('a\\b')).toBe("'a\\\\b'");
    expect(literal('l1\nl2\r\t\0\x1a\x7f')).toBe("'l1\\nl2\\r\\t\\0\\x1a\\x7f'");
    expect(literal(42)).toBe('42');
    expect(literal(-5)).toBe('(-5)');
    expect(literal(-0)).toBe('0');
    expect(literal(0.1)).toBe('0.1');
    expect(literal(5e-324)).toBe("reinterpretAsFloat64(unhex('0100000000000000'))");
    expect(literal(12345678901234567890n)).toBe('12345678901234567890');
    expect(literal(-3n)).toBe('(-3)');
    expect(literal(true)).toBe('1');
    expect(literal(null)).toBe('NULL');
    expect(literal(new Date('2024-03-01T10:00:00Z'))).toBe("toDateTime(1709287200, 'UTC')");
    expect(literal(day('2024-02-29'))).toBe("toDate('2024-02-29')");
    expect(literal(['a', 1, ['b']])).toBe("['a', 1, ['b']]");
  });

  it('refuses values without an exact literal', () => {
    for (const v of [NaN, Infinity, new Date('x'), new Date('2024-03-01T10:00:00.5Z')]) {
      expect(() => literal(v)).toThrow(ClickHouseStoreError);
    }
    expect(() => day('2024-02-30')).toThrow(/not a day/);
    expect(() => literal({} as unknown as SqlValue)).toThrow(/no SQL literal/);
  });

  it('keeps a negative number from starting a comment', () => {
    expect(sql`SELECT 1 - ${-5}`.text).toBe('SELECT 1 - (-5)');
  });

  it('quotes identifiers in backquotes and splices fragments', () => {
    expect(identifier('we`ird\\name').text).toBe('`we\\`ird\\\\name`');
    expect(sql`SELECT ${identifier('a')} FROM t WHERE x IN ${['p', "q'"]}`.text).toBe("SELECT `a` FROM t WHERE x IN ['p', 'q\\'']");
    expect(() => identifier('')).toThrow(ClickHouseStoreError);
  });
});

const everyAscii = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');
const HOSTILE: string[] = [
  '',
  "O'Brien",
  "''",
  '\\',
  "\\'",
  "\\\\'",
  "'; DROP TABLE users; --",
  "' OR 1=1 --",
  "x' UNION SELECT name FROM system.tables --",
  '"double" `back`',
  '\0',
  'a\0b',
  '\x1a',
  '\\Z',
  '\\x41\\0\\n',
  'line1\nline2\r\nline3\ttab',
  '\u2028\u2029',
  '\x7f\x1b[31m',
  'emoji 🎉 👩‍👩‍👧 ',
  'ünïcödé 中文 عربى',
  '{"json": "\\"quoted\\""}',
  '$1 ${x} %s ? :name {p:String}',
  everyAscii,
  'x'.repeat(1_000_000),
  `${everyAscii}🎉`.repeat(2_000),
];
const NUMBERS = [0, 1, -1, 255, -128, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1), 0.1, 0.30000000000000004, -0.5, 1e-7, 1e21, 1.7976931348623157e308, 2.2250738585072014e-308, 2.225073858507201e-308, 5e-324, -1e-320, Math.PI, -2.5e-300];

function engineSuite(name: string, open: () => Promise<ClickHouseConnection>): void {
  let db: ClickHouseConnection;
  beforeAll(async () => {
    db = await open();
    await db.command(sql`CREATE TABLE ${db.table('hostile')} (i UInt32, s String) ENGINE = MergeTree ORDER BY i`);
    await db.insert('hostile', HOSTILE.map((s, i) => ({ i, s })));
  });
  afterAll(async () => {
    await db?.close();
  });

  it(`${name}: every hostile string comes back identical from a literal`, async () => {
    for (const s of HOSTILE) {
      const [row] = await db.query<{ v: string; bytes: number }>(sql`SELECT ${s} AS v, length(v) AS bytes`);
      expect(row.bytes).toBe(Buffer.byteLength(s));
      expect(row.v === s).toBe(true);
    }
  });

  it(`${name}: a literal equals the same string stored as JSONEachRow data`, async () => {
    for (const [i, s] of HOSTILE.entries()) {
      const rows = await db.query<{ i: number }>(sql`SELECT i FROM ${db.table('hostile')} WHERE s = ${s}`);
      expect(rows.map((r) => r.i)).toEqual([i]);
    }
    const [{ n }] = await db.query<{ n: number }>(sql`SELECT count() AS n FROM ${db.table('hostile')} WHERE has(${HOSTILE.slice(0, 22)}, s)`);
    expect(n).toBe(22);
  });

  it(`${name}: arrays, numbers, dates and days come back as written`, async () => {
    const [row] = await db.query<{ a: string[]; d: string; t: string }>(
      sql`SELECT ${HOSTILE.slice(0, 20)} AS a, toString(${day('2024-02-29')}) AS d, toString(${new Date('2024-03-31T23:59:59Z')}) AS t`,
    );
    expect(row.a).toEqual(HOSTILE.slice(0, 20));
    expect(row.d).toBe('2024-02-29');
    expect(row.t).toBe('2024-03-31 23:59:59');
    for (const x of NUMBERS) {
      const [{ v, back }] = await db.query<{ v: number; back: number }>(sql`SELECT ${x} AS v, 0 - ${x} AS back`);
      expect(v).toBe(x);
      expect(back).toBe(0 - x);
    }
    // Random bit patterns: every finite double, normal or not, is written exactly.
    const bits = new DataView(new ArrayBuffer(8));
    let seed = 20261207;
    const randomDoubles = Array.from({ length: 400 }, () => {
      for (;;) {
        for (let i = 0; i < 8; i++) bits.setUint8(i, (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
        const x = bits.getFloat64(0);
        if (Number.isFinite(x)) return x;
      }
    });
    // (each cast: an integral double past 2^53 is written in digits, which ClickHouse types UInt64)
    const casts = join(randomDoubles.map((x) => sql`toFloat64(${x})`));
    const [{ all }] = await db.query<{ all: number[] }>(sql`SELECT [${casts}] AS all`);
    expect(all).toEqual(randomDoubles);
    const [{ big }] = await db.query<{ big: string }>(sql`SELECT toString(${18446744073709551615n}) AS big`);
    expect(big).toBe('18446744073709551615');
  });

  it(`${name}: hostile names are exact identifiers`, async () => {
    for (const alias of ["it's", 'back`tick', 'a\\b', 'sp ace', 'new\nline', '🎉', 'SELECT']) {
      const [row] = await db.query<Record<string, number>>(sql`SELECT 1 AS ${identifier(alias)}`);
      expect(Object.keys(row)).toEqual([alias]);
    }
  });
}

describeOnServers('escaping on clickhouse-server (Debian 18.16)', 1, (urlOf) => {
  engineSuite('18.16', () => connectClickHouse(urlOf('escaping')));
});

describeWith('chdb', 'escaping on chdb (current engine)', () => {
  engineSuite('chdb', () => connectClickHouse(chdbUrl('escaping')));
});

import { describe, expect, it } from 'vitest';
import {
  CURRENTS_MESSAGES as M, currencyRates, currentsBatch, CurrentsBodyError, lineOfRecord, mayHoldAvroJson, avroJsonScanner, parseCurrentsBody, readCurrentsRecord,
  textAsDouble, textAsInteger, trackedEvent, unreadableLineMessage, unwrapAvroJson,
} from './index.ts';

const enc = (text: string) => new TextEncoder().encode(text);
const rates = currencyRates({ eur: 1.25 });
const base = { id: 'r1', event_type: 'users.behaviors.CustomEvent', user_id: 'u1', time: 1_704_067_200, name: 'Played' };

describe('a Currents body', () => {
  it('is read as NDJSON, lines of spaces skipped, each line a record whatever it holds', () => {
    expect(parseCurrentsBody(enc('{"a":1}\r\n\n  \t\n[1]\n"s"\n{"b":2}\n'), 'ndjson')).toEqual([{ a: 1 }, [1], 's', { b: 2 }]);
    expect(parseCurrentsBody(enc(''), 'ndjson')).toEqual([]);
  });

  it('that is not JSON names the line of the first record that cannot be read, counting every line', () => {
    // Line 1 a record, line 2 not JSON: line 2 (DuckDB said "line 3" before, its record count plus one).
    const read = (text: string) => {
      try {
        parseCurrentsBody(enc(text), 'ndjson');
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(CurrentsBodyError);
        return (error as Error).message;
      }
    };
    expect(read('{"id":"a"}\n{"id": broken')).toBe('body is not valid JSON: record on line 2 cannot be read');
    // Blank lines 2 and 3 count as lines: the bad record is on line 4.
    expect(read('{"id":"a"}\n\n\n{"id": x}')).toBe(unreadableLineMessage(4));
    // Two objects on one line are not one record.
    expect(read('{"a":1} {"b":2}')).toBe(unreadableLineMessage(1));
  });

  it('is read as a JSON array of records, or refused whole', () => {
    expect(parseCurrentsBody(enc(' [ {"a":1} , 5 ] '), 'array')).toEqual([{ a: 1 }, 5]);
    expect(parseCurrentsBody(enc('  \n'), 'array')).toEqual([]);
    for (const bad of ['{"a":1}', '[{"a":1},]', '[{"a":1}] junk', 'null']) {
      expect(() => parseCurrentsBody(enc(bad), 'array')).toThrow(/^body is not valid JSON$/);
    }
  });

  it('tells the line a record starts on, from its number among the records', () => {
    // Records: line 1, line 4, line 5 (lines 2 and 3 blank).
    const body = enc('{"a":1}\n\n \r\n{"b":2}\n{"c":3}');
    expect([1, 2, 3, 4].map((n) => lineOfRecord(body, n))).toEqual([1, 4, 5, undefined]);
  });
});

describe("Avro's JSON encoding", () => {
  it('is unwrapped at any depth, arrays and maps included', () => {
    const wrapped = {
      id: 'e1', time: 1_582_146_456, app_id: { string: 'a1' }, price: { double: 2.5 }, quantity: null,
      user: { user_id: { string: 'u1' }, device_id: null }, properties: { map: { level: { long: 5 }, tags: { array: [{ string: 'x' }, 'y'] } } },
    };
    expect(unwrapAvroJson(wrapped)).toEqual({
      id: 'e1', time: 1_582_146_456, app_id: 'a1', price: 2.5, quantity: null,
      user: { user_id: 'u1', device_id: null }, properties: { level: 5, tags: ['x', 'y'] },
    });
    // An object of two keys, or of one key that names no branch, keeps its shape.
    expect(unwrapAvroJson({ a: { string: 'x', other: 1 }, b: { name: 'n' } })).toEqual({ a: { string: 'x', other: 1 }, b: { name: 'n' } });
  });

  it('is looked for only where a branch is named', () => {
    expect(mayHoldAvroJson(enc('{"name":{"string":"x"}}'))).toBe(true);
    expect(mayHoldAvroJson(enc('{"name":"strings"}'))).toBe(false);
    // Every branch, and in a body of several MB wherever a branch falls: across the edge of the
    // scan's 1 MB windows too, after multi-byte characters.
    for (const branch of ['string', 'int', 'long', 'float', 'double', 'boolean', 'bytes', 'array', 'map']) {
      expect(mayHoldAvroJson(enc(`{"a":{"${branch}":1}}`))).toBe(true);
      expect(mayHoldAvroJson(enc(`{"a":{"${branch}s":1}}`))).toBe(false);
    }
    const line = '{"name":"caf\u00e9 \u2603","n":1}\n'; // 27 bytes with a 2- and a 3-byte character: windows end mid-line
    const plain = line.repeat(Math.ceil((3 << 20) / Buffer.byteLength(line)));
    expect(mayHoldAvroJson(enc(plain))).toBe(false);
    for (const at of [(1 << 20) - 9, (1 << 20) - 4, (1 << 20) - 1, 1 << 20, (2 << 20) - 5]) {
      const bytes = Buffer.from(plain);
      Buffer.from('"boolean"').copy(bytes, at);
      expect(mayHoldAvroJson(bytes), `"boolean" at byte ${at}`).toBe(true);
    }
  });

  it('is looked for in a body read in pieces, a marker cut between two pieces (or more) included', () => {
    const body = Buffer.from('{"id":"a","name":{"string":"x"}}\n');
    const marker = body.indexOf('"string"');
    // Cut at every byte of the marker, and into pieces of 1, 2 and 3 bytes.
    for (let cut = marker; cut <= marker + 8; cut++) {
      const scan = avroJsonScanner();
      expect([scan(body.subarray(0, cut)), scan(body.subarray(cut))], `cut at ${cut}`).toEqual([cut >= marker + 8, true]);
    }
    for (const size of [1, 2, 3]) {
      const scan = avroJsonScanner();
      const answers: boolean[] = [];
      for (let at = 0; at < body.length; at += size) answers.push(scan(body.subarray(at, at + size)));
      expect(answers.indexOf(true), `pieces of ${size}`).toBe(Math.ceil((marker + 8) / size) - 1);
      expect(answers.slice(answers.indexOf(true)).every(Boolean)).toBe(true);
    }
    const plain = avroJsonScanner();
    expect([plain(enc('{"name":"str')), plain(enc('ings"}\n')), plain(enc('{"s":"strung"}'))]).toEqual([false, false, false]);
  });
});

describe('a field read as a number', () => {
  it('as a double: decimal notation, spaces around, underscores between digits; no inf, nan, hex or overflow', () => {
    const cases: Array<[string | null, number | null]> = [
      ['1704067200', 1_704_067_200], [' 2 ', 2], ['1e3', 1000], ['+5', 5], ['1_000', 1000], ['1.', 1], ['.5', 0.5],
      ['inf', null], ['nan', null], ['0x10', null], ['', null], ['true', null], ['1,5', null], ['1e400', null], [null, null],
    ];
    expect(cases.map(([text]) => textAsDouble(text))).toEqual(cases.map(([, n]) => n));
  });

  it('as a 32-bit integer: a decimal rounds half away from zero on its digits', () => {
    const cases: Array<[string, number | null]> = [
      ['3', 3], ['2.5', 3], ['2.45', 2], ['-2.5', -3], ['.5', 1], ['1e2', 100], ['0x10', 16], [' 3', 3],
      ['2147483647', 2_147_483_647], ['2147483648', null], ['x', null],
    ];
    expect(cases.map(([text]) => textAsInteger(text))).toEqual(cases.map(([, n]) => n));
  });
});

describe('a Currents record', () => {
  const error = (record: unknown) => readCurrentsRecord(record, rates).error;

  it('breaking several rules is rejected for the first of them, in order', () => {
    expect(error([base])).toBe(M.notAnObject);
    expect(error({ ...base, id: '', event_type: undefined })).toBe(M.noId);
    expect(error({ ...base, event_type: undefined, time: 'x' })).toBe(M.noEventType);
    expect(error({ ...base, event_type: 'users.behaviors.Nothing', time: 'x' })).toBe('event_type "users.behaviors.Nothing" is not a Braze Currents event type');
    expect(error({ ...base, time: 'yesterday', user_id: undefined })).toBe(M.timeNotANumber);
    expect(error({ ...base, time: -5, user_id: undefined })).toBe(M.timeOutOfRange);
    expect(error({ ...base, user_id: '', name: undefined })).toBe(M.noUser);
    expect(error({ ...base, name: undefined, quantity: 0 })).toBe(M.noName);
    expect(error({ ...base, event_type: 'users.behaviors.Purchase', price: 'x' })).toBe(M.noProductId);
    expect(error({ ...base, event_type: 'users.behaviors.Purchase', product_id: 'p', price: 'x', quantity: 0 })).toBe(M.priceNotANumber);
    expect(error({ ...base, quantity: 0 })).toBe(M.badQuantity);
    expect(error({ ...base, quantity: 'two' })).toBe(M.badQuantity);
    expect(error({ ...base, event_type: 'users.behaviors.Purchase', product_id: 'p', price: 1, currency: 'gbp' }))
      .toBe('currency "GBP" has no exchange rate: add currency_rates.GBP to the workspace');
  });

  it('has a time from 1970 up to 2100, not included', () => {
    // 4102444800 is 2100-01-01T00:00:00Z; 99999999999 is in the year 5138.
    const at = (time: unknown) => error({ ...base, time });
    expect([0, 1_704_067_200.5, 4_102_444_799.999, '1704067200'].map(at)).toEqual([undefined, undefined, undefined, undefined]);
    expect([-5, -0.001, 4_102_444_800, 99_999_999_999, 1_704_067_200_000].map(at)).toEqual(Array(5).fill(M.timeOutOfRange));
    expect(M.timeOutOfRange).toMatch(/^time /);
  });

  it('names its user by user_id or external_user_id; an empty one names nobody', () => {
    expect(error({ ...base, user_id: undefined, external_user_id: 'e' })).toBeUndefined();
    expect(error({ ...base, user_id: '', external_user_id: 'e' })).toBeUndefined();
    expect(error({ ...base, user_id: '', external_user_id: '' })).toBe(M.noUser);
    expect(error({ ...base, user_id: null })).toBe(M.noUser);
  });

  it('is stored with its category, its name (the product of a purchase), revenue in USD and upper-cased currency', () => {
    const purchase = readCurrentsRecord({
      id: 'p1', event_type: 'users.behaviors.Purchase', user_id: 'u1', external_user_id: 'x1', time: 1_704_067_200, product_id: 'gem',
      name: 'ignored', price: '2', currency: 'eur', quantity: 3, app_id: 'a1', device_id: 'd1', platform: 'ios',
    }, rates).record!;
    // 2 EUR × 3 × 1.25 USD per EUR = 7.5 USD.
    expect(purchase).toMatchObject({
      userId: 'u1', externalUserId: 'x1',
      event: { id: 'p1', category: 'purchase', name: 'gem', price: 2, quantity: 3, currency: 'EUR', revenue: 7.5, appId: 'a1', deviceId: 'd1', platform: 'ios', campaignId: null },
    });
    // No quantity: one; no currency: USD.
    expect(readCurrentsRecord({ ...base, event_type: 'users.behaviors.Purchase', product_id: 'gem', price: 0.5 }, rates).record!.event)
      .toMatchObject({ quantity: null, currency: null, revenue: 0.5 });
    expect(readCurrentsRecord({ ...base, price: 3 }, rates).record!.event).toMatchObject({ category: 'custom_event', name: 'Played', price: 3, revenue: null });
  });

  it('of a batch is kept once, the first valid one of its id in request order', () => {
    const batch = currentsBatch([
      { ...base, id: 'x', time: 'bad' }, // 0: rejected: it does not hide the valid x after it
      { ...base, id: 'x', name: 'first' }, // 1: kept
      { ...base, id: 'x', name: 'second' }, // 2: a repeat
      { ...base, id: 'y' }, // 3: kept
    ], rates);
    expect(batch.records.map((r) => [r.index, r.record.event.name])).toEqual([[1, 'first'], [3, 'Played']]);
    expect(batch.errors).toEqual([{ index: 0, message: M.timeNotANumber }]);
    expect(batch.repeated).toBe(1);
  });

  it('of /users/track is a CustomEvent or a Purchase, its revenue from upper-cased rates', () => {
    const e = trackedEvent({ id: 't1', eventType: 'users.behaviors.Purchase', time: 5, name: 'gem', price: 2, currency: 'EUR', quantity: 2, payload: {} }, rates);
    // 2 × 2 × 1.25 (the workspace wrote "eur").
    expect(e).toMatchObject({ category: 'purchase', name: 'gem', revenue: 5, deviceId: null });
    expect(trackedEvent({ id: 't2', eventType: 'users.behaviors.CustomEvent', time: 5, name: 'Played', payload: {} }, rates))
      .toMatchObject({ category: 'custom_event', revenue: null, appId: null });
  });
});

import { describe, expect, it } from 'vitest';
import { parseIsoInstant } from '@brazen/analytics';
import { utcInstant } from '../src/ingest/track.ts';

describe('/users/track times in the plain UTC form', () => {
  it('reads them as the general parser does, and leaves every other form to it', () => {
    // 2024-03-01T00:00:00Z is 1,709,251,200 s after the epoch (19,783 days of 86,400 s).
    expect(utcInstant('2024-03-01T00:00:00Z')).toBe(1_709_251_200);
    expect(utcInstant('2024-03-01T23:59:59.5Z')).toBe(1_709_251_200 + 86_399.5);
    expect(utcInstant('2024-03-01T23:59:59.123Z')).toBe(1_709_251_200 + 86_399.123);
    expect(utcInstant('2024-02-29T12:00:00Z')).toBe(1_709_251_200 - 43_200);
    for (const other of ['2023-02-29T00:00:00Z', '2024-03-01T24:00:00Z', '2024-03-01T23:59:60Z', '2024-13-01T00:00:00Z', '0099-01-01T00:00:00Z',
      '2024-03-01T00:00:00', '2024-03-01T00:00:00+01:00', '2024-03-01', ' 2024-03-01T00:00:00Z', '2024-03-01T00:00:00.1234Z', '20240301T000000Z']) {
      expect(utcInstant(other), other).toBeUndefined();
    }
    for (const s of ['2024-03-01T00:00:00Z', '2024-03-01T23:59:59.5Z', '2024-03-01T23:59:59.07Z', '1999-12-31T23:59:59.999Z', '2024-02-29T12:00:00Z', '1970-01-01T00:00:00Z']) {
      expect(utcInstant(s), s).toBe(parseIsoInstant(s, 'America/New_York'));
    }
  });
});

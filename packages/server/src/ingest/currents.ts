import type { AnalyticsData, CurrentsResult } from '@brazen/store';
import { ApiError } from '../errors.ts';

const AVRO_PRIMITIVES = new Set(['string', 'long', 'int', 'double', 'float', 'boolean', 'bytes', 'array', 'map']);
const AVRO_MARKERS = [...AVRO_PRIMITIVES].map((t) => Buffer.from(`"${t}"`));

/**
 * Hands a Currents body to the store as bytes (an engine may parse it far faster than JavaScript
 * could). Avro's JSON encoding (`{"string": "x"}` for a nullable field) is unwrapped first.
 */
export async function ingestCurrentsBody(data: AnalyticsData, body: Buffer): Promise<CurrentsResult> {
  const first = firstNonSpace(body);
  if (first === undefined) throw new ApiError(400, 'body is empty: send Currents records as NDJSON or a JSON array');
  let format: 'ndjson' | 'array' = first === 0x5b /* [ */ ? 'array' : 'ndjson';
  if (format === 'ndjson') checkLineSizes(body);
  let bytes = body;
  if (AVRO_MARKERS.some((m) => body.includes(m))) {
    const records = parseRecords(body, format);
    bytes = Buffer.from(records.map((r) => JSON.stringify(unwrapAvro(r))).join('\n'));
    format = 'ndjson';
  }
  return data.ingestCurrents({ bytes, format });
}

/** One Currents record is a few kilobytes; a line over this is a mistake (or an attack). */
export const MAX_RECORD_BYTES = 1024 * 1024;

function checkLineSizes(body: Buffer): void {
  let start = 0;
  for (let line = 1; start < body.length; line++) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    if (end - start > MAX_RECORD_BYTES) {
      throw new ApiError(413, `record on line ${line} is ${end - start} bytes; one Currents record may be at most ${MAX_RECORD_BYTES} bytes`);
    }
    start = end + 1;
  }
}

function firstNonSpace(body: Buffer): number | undefined {
  for (const byte of body) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return byte;
  return undefined;
}

function parseRecords(body: Buffer, format: 'ndjson' | 'array'): unknown[] {
  const text = body.toString('utf8');
  if (format === 'array') {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (!Array.isArray(parsed)) throw new Error('not an array');
      return parsed;
    } catch {
      throw new ApiError(400, 'body is not a valid JSON array of Currents records');
    }
  }
  const out: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line));
    } catch {
      throw new ApiError(400, `body is not valid NDJSON: line ${i + 1} cannot be read`);
    }
  });
  return out;
}

/** `{"string": "x"}` → `"x"` for the top-level fields of a record (Avro's JSON encoding of unions). */
export function unwrapAvro(record: unknown): unknown {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return record;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && AVRO_PRIMITIVES.has(keys[0])) {
        out[key] = (value as Record<string, unknown>)[keys[0]];
        continue;
      }
    }
    out[key] = value;
  }
  return out;
}

import { CurrentsBodyError, mayHoldAvroJson, parseCurrentsBody, unwrapAvroJson, type CurrentsFormat } from '@brazen/analytics';
import type { AnalyticsData, CurrentsResult } from '@brazen/store';
import { ApiError } from '../errors.ts';

/**
 * Hands a Currents body to the store as bytes (an engine may parse it far faster than JavaScript
 * could). A body that may hold values in Avro's JSON encoding (`{"string": "x"}`) is read here and
 * unwrapped first, with the one unwrap `brazen import currents` uses too.
 */
export async function ingestCurrentsBody(data: AnalyticsData, body: Buffer): Promise<CurrentsResult> {
  const first = firstNonSpace(body);
  if (first === undefined) throw new ApiError(400, 'body is empty: send Currents records as NDJSON or a JSON array');
  let format: CurrentsFormat = first === 0x5b /* [ */ ? 'array' : 'ndjson';
  if (format === 'ndjson') checkLineSizes(body);
  let bytes: Uint8Array = body;
  if (mayHoldAvroJson(body)) {
    let records: unknown[];
    try {
      records = parseCurrentsBody(body, format);
    } catch (error) {
      if (error instanceof CurrentsBodyError) throw new ApiError(400, error.message);
      throw error;
    }
    bytes = Buffer.from(records.map((r) => JSON.stringify(unwrapAvroJson(r))).join('\n'));
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

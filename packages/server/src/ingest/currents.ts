import { randomUUID } from 'node:crypto';
import { createReadStream, readdirSync, rmSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { avroJsonScanner, CurrentsBodyError, parseCurrentsBody, unwrapAvroJson, type CurrentsFormat } from '@brazen/analytics';
import type { AnalyticsData, CurrentsResult } from '@brazen/store';
import { ApiError } from '../errors.ts';

/**
 * Hands a Currents body to the store as bytes (an engine may parse it far faster than JavaScript
 * could). The body is read as it arrives into a file of `tmpDir`, checked on the way (its size, its
 * first character, each line's length, whether it may hold Avro JSON), and the store reads it from
 * there: a body is never held whole in memory (one may be hundreds of MB). Only a body that may
 * hold values in Avro's JSON encoding (`{"string": "x"}`) is read whole, and unwrapped with the one
 * unwrap `brazen import currents` uses too.
 */
export async function ingestCurrentsStream(
  data: AnalyticsData,
  body: AsyncIterable<Buffer> | undefined,
  options: { limit: number; declared?: number; tmpDir: string },
): Promise<CurrentsResult> {
  // A body announced larger than the limit is refused before a byte of it is read.
  if (options.declared !== undefined && options.declared > options.limit) throw tooLarge(options.limit);
  const file = join(options.tmpDir, `currents-${process.pid}-${randomUUID()}.body`);
  const handle = await open(file, 'w');
  try {
    const checks = new BodyChecks(options.limit);
    try {
      for await (const piece of body ?? []) {
        checks.piece(piece);
        for (let at = 0; at < piece.length; ) at += (await handle.write(piece, at)).bytesWritten;
      }
      checks.end();
    } catch (error) {
      // The sender went away before the body ended (nothing of it is stored).
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== undefined && /ECONNRESET|PREMATURE_CLOSE|ABORTED/.test(code)) {
        throw new ApiError(400, `the body ended before it was whole (${(error as Error).message})`);
      }
      throw error;
    } finally {
      await handle.close();
    }
    const format = checks.format;
    if (format === undefined) throw new ApiError(400, 'body is empty: send Currents records as NDJSON or a JSON array');
    // The body's file stays until the store has answered: an engine that reads files reads it in
    // place (DuckDB), another reads its bytes (opened only then).
    if (!checks.mayHoldAvro) return await data.ingestCurrents({ bytes: readWhenAsked(file), file, format });
    let records: unknown[];
    try {
      records = parseCurrentsBody(await readFile(file), format);
    } catch (error) {
      if (error instanceof CurrentsBodyError) throw new ApiError(400, error.message);
      throw error;
    }
    return await data.ingestCurrents({ bytes: Buffer.from(records.map((r) => JSON.stringify(unwrapAvroJson(r))).join('\n')), format: 'ndjson' });
  } finally {
    await rm(file, { force: true });
  }
}

/** The bytes of `file`, opened at the first read (never, for an engine that reads the file itself). */
async function* readWhenAsked(file: string): AsyncGenerator<Uint8Array> {
  yield* createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
}

/** Deletes the bodies a process that is gone (killed mid-upload) left in `tmpDir`; those of a
 * process still running (another server on the same folder) stay. */
export function sweepCurrentsBodies(tmpDir: string): void {
  for (const name of readdirSync(tmpDir)) {
    const pid = /^currents-(\d+)-.*\.body$/.exec(name)?.[1];
    if (pid !== undefined && !running(Number(pid))) rmSync(join(tmpDir, name), { force: true });
  }
}

function running(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What is checked of a /currents body, piece by piece as it arrives. */
class BodyChecks {
  format: CurrentsFormat | undefined;
  mayHoldAvro = false;
  private readonly avro = avroJsonScanner();
  private bytes = 0;
  private line = 1;
  /** Where the current line began, counted from the body's first byte. */
  private lineStart = 0;

  constructor(private readonly limit: number) {}

  piece(piece: Buffer): void {
    const at = this.bytes;
    this.bytes += piece.length;
    if (this.bytes > this.limit) throw tooLarge(this.limit);
    if (this.format === undefined) {
      const first = firstNonSpace(piece);
      if (first !== undefined) this.format = first === 0x5b /* [ */ ? 'array' : 'ndjson';
    }
    for (let end = piece.indexOf(0x0a); end !== -1; end = piece.indexOf(0x0a, end + 1)) this.lineEnds(at + end);
    this.mayHoldAvro = this.avro(piece);
  }

  end(): void {
    if (this.bytes > this.lineStart) this.lineEnds(this.bytes);
  }

  private lineEnds(end: number): void {
    if (this.format !== 'array' && end - this.lineStart > MAX_RECORD_BYTES) {
      throw new ApiError(413, `record on line ${this.line} is ${end - this.lineStart} bytes; one Currents record may be at most ${MAX_RECORD_BYTES} bytes`);
    }
    this.line += 1;
    this.lineStart = end + 1;
  }
}

const tooLarge = (limit: number) => new ApiError(413, `body is too large: a /currents body may be at most ${limit} bytes`);

/** One Currents record is a few kilobytes; a line over this is a mistake (or an attack). */
export const MAX_RECORD_BYTES = 1024 * 1024;

function firstNonSpace(body: Buffer): number | undefined {
  for (const byte of body) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return byte;
  return undefined;
}

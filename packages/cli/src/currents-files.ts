import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline, type Readable } from 'node:stream';
import { crc32, inflateRawSync } from 'node:zlib';
import type { Type as AvroType } from 'avsc';
import { unwrapAvroJson } from '@brazen/analytics';
import { CURRENTS_EVENT_TYPES } from '@brazen/contract';

/**
 * Reading Currents exports as Braze writes them: Avro object container files, one event type per
 * file (the type is named by the file's schema and by its path, `.../event_type=users.messages.email.Send/...`),
 * and the JSON forms (`.ndjson`/`.jsonl`, or `.json` holding an array or one record a line) in which
 * a record may carry `event_type` itself and may be in Avro's JSON encoding (`{"string": "x"}`).
 */

export type CurrentsFileFormat = 'avro' | 'ndjson' | 'json';

/** A file of Currents records, on disk or in a bucket: read as a stream, never whole. */
export interface CurrentsFile {
  /** Its path or URL: names it in messages, and may name its event type (`.../event_type=TYPE/...`). */
  path: string;
  format: CurrentsFileFormat;
  bytes: number;
  open(): Promise<Readable>;
}

const FORMATS: Record<string, CurrentsFileFormat> = { '.avro': 'avro', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.json': 'json' };

/** The format a file name says (by its extension), if it is one of the Currents forms. */
export const currentsFormat = (name: string): CurrentsFileFormat | undefined => FORMATS[extname(name).toLowerCase()];

const squash = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
const BY_SQUASHED = new Map(CURRENTS_EVENT_TYPES.map((t) => [squash(t.eventType), t.eventType]));
const KNOWN = new Set(CURRENTS_EVENT_TYPES.map((t) => t.eventType));

export class CurrentsFileError extends Error {}

/** The files named on the command line, folders walked recursively (files of other kinds in a folder are skipped). */
export function listCurrentsFiles(paths: string[]): CurrentsFile[] {
  const out: CurrentsFile[] = [];
  const visit = (path: string, named: boolean) => {
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new CurrentsFileError(`${path}: no such file or folder`);
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry), false);
      return;
    }
    const format = currentsFormat(path);
    if (!format) {
      if (named) throw new CurrentsFileError(`${path}: not a Currents file (expected .avro, .ndjson, .jsonl or .json)`);
      return;
    }
    out.push({ path, format, bytes: st.size, open: async () => createReadStream(path) });
  };
  for (const p of paths) visit(p, true);
  return out;
}

/** The event type a path names: an `event_type=TYPE` folder, or a file named after the type. */
export function eventTypeFromPath(path: string): string | undefined {
  const m = /event_type=([A-Za-z0-9_.]+)/.exec(path);
  if (m && KNOWN.has(m[1])) return m[1];
  const name = basename(path).replace(/\.(avro|ndjson|jsonl|json)$/i, '');
  for (let cut = name.length; cut > 0; cut = name.lastIndexOf('.', cut - 1)) {
    const candidate = name.slice(0, cut);
    if (KNOWN.has(candidate)) return candidate;
    if (cut <= 0) break;
  }
  return undefined;
}

/** The event type an Avro schema's name stands for: Braze names its schemas
 * `dataexport.S3.inner.users.messages.email.Send`; others write `users_messages_email_Send`,
 * `UsersMessagesEmailSend`, ... */
export function eventTypeFromSchemaName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const parts = name.split('.');
  for (let i = 0; i < parts.length; i++) {
    const found = BY_SQUASHED.get(squash(parts.slice(i).join('.')));
    if (found) return found;
  }
  return undefined;
}

/**
 * Streams the records of one file, each with its `event_type`, in batches. `onBytes` reports how
 * much of the file has been read (for progress). The file is read as the batches are taken: a
 * consumer that waits holds back the reading (an object of a bucket is never downloaded whole).
 */
export async function* readCurrentsFile(
  file: CurrentsFile, batchSize: number, onBytes: (bytes: number) => void,
): AsyncGenerator<Array<Record<string, unknown>>> {
  const fromPath = eventTypeFromPath(file.path);
  // The Avro libraries are loaded by the first Avro file, not with every command.
  const libraries = file.format === 'avro' ? await avroLibraries() : undefined;
  const stream = await file.open();
  let read = 0;
  stream.on('data', (chunk: Buffer) => {
    read += chunk.length;
    onBytes(read);
  });
  const records = libraries ? avroRecords(file, stream, libraries, fromPath) : jsonRecords(file, stream, fromPath);
  let batch: Array<Record<string, unknown>> = [];
  try {
    for await (const record of records) {
      batch.push(record);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    stream.destroy();
  }
}

/** The record with its `event_type`: its own, else the one its file names. */
function typed(record: unknown, fallback: string | undefined, where: string): Record<string, unknown> {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new CurrentsFileError(`${where}: a Currents record must be a JSON object`);
  }
  const r = record as Record<string, unknown>;
  if (typeof r.event_type === 'string') return r;
  if (!fallback) {
    throw new CurrentsFileError(`${where}: the record has no event_type and the file's name or folder (event_type=...) names none`);
  }
  return { event_type: fallback, ...r };
}

const avroLibraries = () => Promise.all([import('avsc'), import('snappyjs')]);
type AvroLibraries = Awaited<ReturnType<typeof avroLibraries>>;

async function* avroRecords(
  file: CurrentsFile, stream: Readable, [{ default: avro }, { default: snappy }]: AvroLibraries, fromPath: string | undefined,
): AsyncGenerator<Record<string, unknown>> {
  const decoder = new avro.streams.BlockDecoder({ codecs: avroCodecs(snappy.uncompress) });
  // A failure of either ends the records with its error: the first to fail is where it came from
  // (the other is then destroyed with the same error).
  let failed: 'source' | 'content' | undefined;
  stream.once('error', () => void (failed ??= 'source'));
  decoder.once('error', () => void (failed ??= 'content'));
  pipeline(stream, decoder, () => undefined);
  let eventType = fromPath;
  decoder.on('metadata', (type: AvroType) => {
    eventType = fromPath ?? eventTypeFromSchemaName(type.name);
  });
  let n = 0;
  try {
    for await (const record of decoder as AsyncIterable<Record<string, unknown>>) {
      n += 1;
      yield typed(plain(record), eventType, `${file.path} record ${n}`);
    }
  } catch (error) {
    // A dropped connection is not the file's fault: said as it is (a follow tries the object again).
    if (error instanceof CurrentsFileError || failed === 'source') throw error;
    throw new CurrentsFileError(`${file.path}: not a readable Avro object container file (${(error as Error).message})`);
  }
}

async function* jsonRecords(file: CurrentsFile, stream: Readable, fromPath: string | undefined): AsyncGenerator<Record<string, unknown>> {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let first: string | undefined;
  let lineNo = 0;
  let arrayText: string[] | undefined;
  for await (const line of lines) {
    lineNo += 1;
    if (first === undefined) {
      if (line.trim() === '') continue;
      first = line.trimStart();
      if (file.format === 'json' && first.startsWith('[')) arrayText = [];
    }
    if (arrayText) {
      arrayText.push(line);
      continue;
    }
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new CurrentsFileError(`${file.path} line ${lineNo}: not valid JSON`);
    }
    yield typed(unwrapAvroJson(parsed), fromPath, `${file.path} line ${lineNo}`);
  }
  if (stream.errored) throw stream.errored;
  if (!arrayText) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(arrayText.join('\n'));
  } catch {
    throw new CurrentsFileError(`${file.path}: not a valid JSON array`);
  }
  if (!Array.isArray(parsed)) throw new CurrentsFileError(`${file.path}: not a valid JSON array`);
  for (const [i, r] of parsed.entries()) yield typed(unwrapAvroJson(r), fromPath, `${file.path} record ${i + 1}`);
}

type Codec = (buffer: Buffer, callback: (error: Error | null, data?: Buffer) => void) => void;

/** The Avro specification's codecs: null, deflate and snappy (whose blocks end with a CRC-32 of the data). */
const avroCodecs = (uncompress: (data: Buffer) => Uint8Array): Record<string, Codec> => ({
  null: (buffer, callback) => callback(null, buffer),
  deflate: (buffer, callback) => {
    try {
      callback(null, inflateRawSync(buffer));
    } catch (error) {
      callback(error as Error);
    }
  },
  snappy: (buffer, callback) => {
    try {
      const data = Buffer.from(uncompress(buffer.subarray(0, buffer.length - 4)));
      if (crc32(data) !== buffer.readUInt32BE(buffer.length - 4)) throw new Error('snappy block checksum mismatch');
      callback(null, data);
    } catch (error) {
      callback(error as Error);
    }
  },
});

/** Avro values as JSON: bytes as UTF-8 text, records as plain objects. */
function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

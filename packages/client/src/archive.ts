import { BrazeError } from './errors.ts';

/**
 * Reading a user export without dependencies: ZIP (stored or deflated entries, possibly nested) and
 * gzip, inflated by the platform's `DecompressionStream` (Node 20, Deno, Bun, browsers), then
 * newline-delimited JSON read a line at a time.
 */

const ZIP_LOCAL = 0x04034b50;
const ZIP_CENTRAL = 0x02014b50;
const ZIP_END = 0x06054b50;

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localOffset: number;
}

const isZip = (bytes: Uint8Array) => bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === ZIP_LOCAL;
const isGzip = (bytes: Uint8Array) => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** The entries of a ZIP archive, from its central directory. */
export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === ZIP_END) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new BrazeError('the export is not a readable ZIP archive (no end of central directory)');
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  if (count === 0xffff || at === 0xffffffff) throw new BrazeError('the export is a ZIP64 archive, which this client does not read');
  const entries: ZipEntry[] = [];
  const names = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (view.getUint32(at, true) !== ZIP_CENTRAL) throw new BrazeError('the export ZIP has a damaged central directory');
    const nameLength = view.getUint16(at + 28, true);
    entries.push({
      method: view.getUint16(at + 10, true),
      compressedSize: view.getUint32(at + 20, true),
      localOffset: view.getUint32(at + 42, true),
      name: names.decode(bytes.subarray(at + 46, at + 46 + nameLength)),
    });
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return entries;
}

function entryData(bytes: Uint8Array, entry: ZipEntry): ReadableStream<Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (view.getUint32(at, true) !== ZIP_LOCAL) throw new BrazeError(`the export ZIP entry ${entry.name} is damaged`);
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return streamOf(data);
  if (entry.method === 8) return inflate(streamOf(data), 'deflate-raw');
  throw new BrazeError(`the export ZIP entry ${entry.name} uses compression method ${entry.method}; only stored and deflated entries are read`);
}

const inflate = (stream: ReadableStream<Uint8Array>, format: 'deflate-raw' | 'gzip'): ReadableStream<Uint8Array> =>
  stream.pipeThrough(new DecompressionStream(format) as unknown as TransformStream<Uint8Array, Uint8Array>);

const streamOf = (bytes: Uint8Array): ReadableStream<Uint8Array> =>
  new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Each line of text of an export file as it arrives (empty lines skipped). */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = stream.pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>).getReader();
  let rest = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += value;
      let newline: number;
      while ((newline = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, newline).trim();
        rest = rest.slice(newline + 1);
        if (line) yield line;
      }
    }
  } finally {
    reader.releaseLock();
  }
  if (rest.trim()) yield rest.trim();
}

/** Every text line of an export: a ZIP (entries in order, nested archives opened), gzip, or plain text. */
export async function* exportLines(bytes: Uint8Array): AsyncGenerator<string> {
  if (isZip(bytes)) {
    for (const entry of zipEntries(bytes)) {
      if (entry.name.endsWith('/')) continue;
      const data = entryData(bytes, entry);
      if (/\.(zip|gz)$/i.test(entry.name)) yield* exportLines(await collect(data));
      else yield* lines(data);
    }
  } else if (isGzip(bytes)) {
    yield* lines(inflate(streamOf(bytes), 'gzip'));
  } else {
    yield* lines(streamOf(bytes));
  }
}

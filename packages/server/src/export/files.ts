import { Readable, type Transform } from 'node:stream';
import { constants, createDeflateRaw, createGzip } from 'node:zlib';
import { crc32, crc32Combine, type ProfilePart, type ProfileText } from '@brazen/store';

/** Users per file, as Braze does ("1 file per 5,000 users"). */
export const USERS_PER_FILE = 5_000;
/** Fast compression: exports are large and read once. Level 2, not 1: on export NDJSON, Node's
 * zlib makes level 2 both faster (15.0 against 16.7 ms for a 4.7 MB file) and smaller (374 against
 * 430 KB), as its level 1 takes a different, cruder path. */
export const COMPRESSION_LEVEL = 2;

export type OutputFormat = 'zip' | 'gzip';

/** Name of file `index` of an export: `PREFIX-N.zip` (holding `PREFIX-N.json`) or `PREFIX-N.json.gz`. */
export function exportFileName(objectPrefix: string, index: number, format: OutputFormat): string {
  return format === 'zip' ? `${objectPrefix}-${index}.zip` : `${objectPrefix}-${index}.json.gz`;
}

/** One file of users from its newline-delimited JSON text, zipped (one entry) or gzipped. `mtime`
 * makes the bytes the same when a file is made again after a restart; text in memory and text read
 * in chunks take the same way through the compression, so they give the same bytes too. */
export async function exportFile(text: ProfileText, objectPrefix: string, index: number, format: OutputFormat, mtime: Date): Promise<Buffer> {
  // Text partly kept compressed: its deflate fragments copied, the text between compressed afresh,
  // into one deflate stream. The bytes differ from those of the text compressed whole, the text
  // they decompress to does not.
  if (!(text instanceof Uint8Array) && text.parts) {
    const stream = await deflateParts(text.parts());
    return format === 'gzip' ? gzipFile(stream) : zipFile(stream, `${objectPrefix}-${index}.json`, mtime);
  }
  return compress(text instanceof Uint8Array ? [text] : text.chunks(), objectPrefix, index, format, mtime);
}

/** Chunks may be overwritten once the next is asked for (the profile line reader reuses its
 * buffers): gzip takes each before asking for the next; yazl reads a stream at its own pace, so
 * the chunks it gets are copies. */
async function compress(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, objectPrefix: string, index: number, format: OutputFormat, mtime: Date): Promise<Buffer> {
  if (format === 'gzip') return gzipChunks(chunks);
  const input = Readable.from(copies(chunks));
  const { ZipFile } = await import('yazl');
  const zip = new ZipFile();
  zip.addReadStream(input, `${objectPrefix}-${index}.json`, { mtime, compressionLevel: COMPRESSION_LEVEL });
  zip.end();
  return collect(zip.outputStream as Readable, input);
}

async function* copies(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) yield Buffer.from(chunk);
}

/** The gzip of chunks that may be overwritten once the next is asked for (one member). */
async function gzipChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  const member = new Compressed(out);
  try {
    for await (const chunk of chunks) await member.write(chunk);
  } catch (error) {
    member.destroy();
    throw error;
  }
  await member.end();
  return Buffer.concat(out);
}

/** One raw deflate stream (its bytes in order), the CRC-32 and the length of the text in it. */
interface DeflateStream {
  data: Buffer[];
  crc: number;
  length: number;
}

/** The final block that ends a deflate stream of sync-flushed fragments: empty, fixed codes. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * One deflate stream of parts: kept fragments copied as they are, each run of text between them
 * deflated afresh into a fragment of its own (ended by a sync flush, as kept ones are), then a
 * final empty block. The CRC-32 is the text runs' (computed as they pass) combined with the kept
 * fragments' own.
 */
async function deflateParts(parts: AsyncIterable<ProfilePart>): Promise<DeflateStream> {
  const stream: DeflateStream = { data: [], crc: 0, length: 0 };
  let run: Compressed | undefined;
  try {
    for await (const part of parts) {
      if ('deflate' in part) {
        await run?.end();
        run = undefined;
        stream.data.push(Buffer.from(part.deflate.buffer, part.deflate.byteOffset, part.deflate.byteLength));
        stream.crc = crc32Combine(stream.crc, part.crc, part.length);
        stream.length += part.length;
      } else {
        // The CRC first: the chunk may be overwritten once the next is asked for, which the
        // write's callback allows.
        stream.crc = crc32(part.text, stream.crc);
        stream.length += part.text.length;
        await (run ??= Compressed.fragment(stream.data)).write(part.text);
      }
    }
    await run?.end();
  } catch (error) {
    run?.destroy();
    throw error;
  }
  stream.data.push(FINAL_BLOCK);
  return stream;
}

/** A gzip file of one member (RFC 1952): the header Node's zlib writes, the stream, CRC-32 and length. */
function gzipFile(stream: DeflateStream): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(stream.crc >>> 0, 0);
  trailer.writeUInt32LE(stream.length % 0x1_0000_0000, 4);
  return Buffer.concat([header, ...stream.data, trailer]);
}

/** A zip file of one deflated entry named `name` (as yazl writes it: sizes and CRC in the local
 * header, UTF-8 name, a regular file's mode). An entry of 4 GB or more would need zip64: refused
 * (a file holds 5,000 users). */
async function zipFile(stream: DeflateStream, name: string, mtime: Date): Promise<Buffer> {
  const compressed = stream.data.reduce((n, b) => n + b.length, 0);
  if (stream.length >= 0xffff_ffff || compressed >= 0xffff_ffff) throw new Error(`export file ${name} is too large for a zip entry without zip64`);
  const { dateToDosDateTime } = (await import('yazl')) as unknown as { dateToDosDateTime: (d: Date) => { date: number; time: number } };
  const { date, time } = dateToDosDateTime(mtime);
  const fileName = Buffer.from(name, 'utf8');
  // The fields the local header and the central directory's entry share, from `at` on: version
  // needed (deflate), flags (UTF-8 name), method (deflate), time, date, CRC-32, sizes, name length.
  const shared = (header: Buffer, at: number) => {
    [20, 0x0800, 8, time, date].forEach((v, i) => header.writeUInt16LE(v, at + 2 * i));
    [stream.crc >>> 0, compressed, stream.length].forEach((v, i) => header.writeUInt32LE(v, at + 10 + 4 * i));
    header.writeUInt16LE(fileName.length, at + 22);
    return header;
  };
  const local = shared(Buffer.alloc(30), 4);
  local.writeUInt32LE(0x04034b50, 0);
  const central = shared(Buffer.alloc(46), 6);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((3 << 8) | 63, 4); // made by: unix, spec 6.3 (as yazl)
  // extra, comment, disk number, internal attributes: 0
  central.writeUInt32LE((0o100664 << 16) >>> 0, 38); // a regular file, rw-rw-r-- (yazl's default)
  central.writeUInt32LE(0, 42); // the local header's offset
  const centralOffset = local.length + fileName.length + compressed;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, ...stream.data, central, fileName, end]);
}

/** Text compressed by a zlib stream (a gzip member, or a raw deflate fragment ended by a sync
 * flush), its bytes pushed to `out` as zlib makes them. Each chunk is written and the next taken
 * only after zlib has consumed it (a write's callback comes after that): chunks may be overwritten
 * once the next is asked for. */
class Compressed {
  private readonly ended: Promise<void>;

  constructor(
    out: Buffer[],
    private readonly zlib: Transform = createGzip({ level: COMPRESSION_LEVEL }),
  ) {
    this.zlib.on('data', (chunk: Buffer) => out.push(chunk));
    this.ended = new Promise<void>((resolve, reject) => {
      this.zlib.on('end', resolve);
      this.zlib.on('error', reject);
    });
    this.ended.catch(() => undefined); // a stream destroyed after an error is not awaited
  }

  /** A raw deflate fragment, as kept blocks are. */
  static fragment(out: Buffer[]): Compressed {
    return new Compressed(out, createDeflateRaw({ level: COMPRESSION_LEVEL, finishFlush: constants.Z_SYNC_FLUSH }));
  }

  write(chunk: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => this.zlib.write(chunk, (error) => (error ? reject(error) : resolve())));
  }

  /** Every byte is in `out` once this resolves. */
  async end(): Promise<void> {
    this.zlib.end();
    await this.ended;
  }

  destroy(): void {
    this.zlib.destroy();
  }
}

/** Every byte of a stream; fails if it, or `source` feeding it, fails. */
function collect(stream: Readable, source: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    source.on('error', reject);
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

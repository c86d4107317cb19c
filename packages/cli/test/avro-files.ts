import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import avro from 'avsc';
import snappy from 'snappyjs';

/** The Currents fixtures of the contract package (real samples, and the Avro schemas of six types). */
export const FIXTURES = fileURLToPath(new URL('../../contract/fixtures/currents/', import.meta.url));

export type AvroCodec = 'null' | 'deflate' | 'snappy';

/** An Avro object container file of `records`, with the reconstructed Currents schema of `eventType`. */
export async function encodeAvro(eventType: string, records: Array<Record<string, unknown>>, codec: AvroCodec): Promise<Buffer> {
  const schema = JSON.parse(readFileSync(join(FIXTURES, 'avro', `${eventType}.avsc`), 'utf8')) as avro.Schema;
  const encoder = new avro.streams.BlockEncoder(schema, { codec, codecs: { ...avro.streams.BlockEncoder.defaultCodecs(), snappy: snappyBlock } });
  const chunks: Buffer[] = [];
  return new Promise<Buffer>((done, fail) => {
    encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    encoder.on('error', fail);
    encoder.on('end', () => done(Buffer.concat(chunks)));
    for (const r of records) encoder.write(r);
    encoder.end();
  });
}

export async function writeAvro(path: string, eventType: string, records: Array<Record<string, unknown>>, codec: AvroCodec): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, await encodeAvro(eventType, records, codec));
}

/** Avro's snappy block: the compressed data, then the CRC-32 of the uncompressed data, big-endian. */
function snappyBlock(buffer: Buffer, callback: (error: Error | null, data?: Buffer) => void): void {
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(buffer));
  callback(null, Buffer.concat([Buffer.from(snappy.compress(buffer)), checksum]));
}

import * as zlib from 'node:zlib';

/**
 * CRC-32 (the one gzip and zip use) of `bytes`, continuing from `crc` (the CRC of the bytes before
 * them; 0 for none): zlib's own where Node has it (20.15 and later), a table otherwise.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (native) return native(bytes, crc);
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of A followed by B, from A's CRC, B's CRC and B's length (zlib's crc32_combine:
 * B's length of zeros applied to A's CRC by squaring the operator of one zero bit). */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const times = (matrix: Uint32Array, vector: number): number => {
    let sum = 0;
    for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i];
    return sum >>> 0;
  };
  const square = (into: Uint32Array, matrix: Uint32Array) => {
    for (let n = 0; n < 32; n++) into[n] = times(matrix, matrix[n]);
  };
  let even = new Uint32Array(32);
  let odd = new Uint32Array(32);
  // The operator of one zero bit.
  odd[0] = 0xedb88320;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row >>> 0;
  square(even, odd); // two zero bits
  square(odd, even); // four
  let crc = crcA >>> 0;
  let length = lengthB;
  do {
    // One zero byte (eight bits) first, then each bit of the length in bytes.
    square(even, odd);
    if (length % 2 === 1) crc = times(even, crc);
    length = Math.floor(length / 2);
    if (length === 0) break;
    square(odd, even);
    if (length % 2 === 1) crc = times(odd, crc);
    length = Math.floor(length / 2);
  } while (length !== 0);
  return (crc ^ crcB) >>> 0;
}

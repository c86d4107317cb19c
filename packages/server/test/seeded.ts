/**
 * The expected draws of `brazen serve --faults-seed N`, worked out apart from the server's code:
 * mulberry32 as published (C, on uint32_t), computed here with BigInt modulo 2^32 instead of the
 * server's Math.imul, so a slip in either shows.
 *
 *   z = (state += 0x6D2B79F5); z = (z ^ z >> 15) * (z | 1); z ^= z + (z ^ z >> 7) * (z | 61);
 *   return (z ^ z >> 14) / 2^32
 */
const M = 1n << 32n;

export function expectedDraws(seed: number, count: number): number[] {
  let state = BigInt(seed) % M;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5n) % M;
    let z = state;
    z = ((z ^ (z >> 15n)) * (z | 1n)) % M;
    z = (z ^ (z + (((z ^ (z >> 7n)) * (z | 61n)) % M))) % M;
    out.push(Number(z ^ (z >> 14n)) / Number(M));
  }
  return out;
}

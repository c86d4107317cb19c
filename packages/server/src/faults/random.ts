/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): numbers in [0, 1) from a 32-bit seed, the same
 * sequence on every machine. Faults draw from it so that a run with the same `--faults-seed` and
 * the same requests in the same order meets the same faults.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

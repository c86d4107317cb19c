import { compareEngines, type Difference, type Side } from './compare.ts';
import type { Batch, GeneratedData } from './records-gen.ts';

/**
 * Shrinks a difference to a small case: removes records (delta debugging, Zeller's ddmin) as long as
 * the two engines still answer `query` differently, keeping each side's batching of what remains.
 */

/** The generated data with only the items `keep` holds, and each side's batches of them. */
function subset(g: GeneratedData, sides: [Side, Side], keep: readonly number[]): { g: GeneratedData; sides: [Side, Side] } {
  const index = new Map(keep.map((k, i) => [k, i]));
  const remap = (batches: Batch[]) => batches
    .map((b) => ({ ...b, items: b.items.filter((k) => index.has(k)).map((k) => index.get(k)!) }))
    .filter((b) => b.items.length > 0);
  return {
    g: { ...g, items: keep.map((k) => g.items[k]), batches: remap(g.batches), definitionsAt: keep.filter((k) => k < g.definitionsAt).length },
    sides: [{ ...sides[0], batches: remap(sides[0].batches) }, { ...sides[1], batches: remap(sides[1].batches) }],
  };
}

export interface ShrunkCase {
  g: GeneratedData;
  sides: [Side, Side];
  differences: Difference[];
  tries: number;
}

export async function shrinkDifference(g: GeneratedData, sides: [Side, Side], query: string, maxTries = 400): Promise<ShrunkCase> {
  let tries = 0;
  const differs = async (keep: readonly number[]) => {
    tries++;
    const s = subset(g, sides, keep);
    const found = (await compareEngines(s.g, s.sides[0], s.sides[1], (q) => q.name === query)).differences;
    return found.some((d) => d.query === query) ? found : undefined;
  };
  let keep = g.items.map((_, i) => i);
  let last = await differs(keep);
  if (!last) throw new Error(`no difference in ${query} to shrink`);
  let n = 2;
  while (keep.length >= 2 && tries < maxTries) {
    const size = Math.ceil(keep.length / n);
    let reduced = false;
    for (let start = 0; start < keep.length && tries < maxTries; start += size) {
      const complement = [...keep.slice(0, start), ...keep.slice(start + size)];
      const found = complement.length > 0 ? await differs(complement) : undefined;
      if (found) {
        keep = complement;
        last = found;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= keep.length) break;
      n = Math.min(keep.length, n * 2);
    }
  }
  const s = subset(g, sides, keep);
  return { g: s.g, sides: s.sides, differences: last, tries };
}

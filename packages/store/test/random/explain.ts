import { compareEngines } from './compare.ts';
import { generateData, otherBatching } from './records-gen.ts';

/**
 * Shows the differences of one seed in full: `npx tsx packages/store/test/random/explain.ts SEED
 * [QUERY-PREFIX] [ENGINE-A] [ENGINE-B]` (default: duckdb against itself batched another way).
 * Lists (profiles, series) print only their differing entries.
 */
const [seedText, prefix = '', engineA = 'duckdb', engineB = 'duckdb'] = process.argv.slice(2);
const seed = Number(seedText);
const g = generateData(seed);
const { differences, notCompared } = await compareEngines(
  g,
  { engine: engineA, batches: g.batches, refreshKept: true },
  { engine: engineB, batches: engineA === engineB ? otherBatching(g, seed) : g.batches },
  (q) => q.name.startsWith(prefix),
);
console.log(`seed ${seed} (${g.ws.zone}, ${g.items.length} items): ${differences.length} differences, ${notCompared.length} queries not compared`);
/** The first place two texts differ, with some text around it. */
function firstDifference(a: string, b: string, around = 300): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `at character ${i} of ${a.length} and ${b.length}:\n  a: …${a.slice(Math.max(0, i - around), i + around)}…\n  b: …${b.slice(Math.max(0, i - around), i + around)}…`;
}

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v instanceof Map ? Object.fromEntries(v) : v) ?? String(v));
for (const d of differences) {
  if (Array.isArray(d.a) && Array.isArray(d.b) && d.a.length === d.b.length) {
    console.log(`## ${d.query}`);
    d.a.forEach((x, i) => {
      const [ta, tb] = [text(x), text((d.b as unknown[])[i])];
      if (ta !== tb) console.log(`  [${i}] ${firstDifference(ta, tb)}`);
    });
  } else console.log(`## ${d.query} ${firstDifference(text(d.a), text(d.b))}`);
}

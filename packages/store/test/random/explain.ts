import { compareEngines, describe } from './compare.ts';
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
for (const d of differences) {
  if (Array.isArray(d.a) && Array.isArray(d.b) && d.a.length === d.b.length) {
    console.log(`## ${d.query}`);
    d.a.forEach((x, i) => {
      const y = (d.b as unknown[])[i];
      if (JSON.stringify(x) !== JSON.stringify(y)) console.log(`  [${i}]\n  a: ${JSON.stringify(x)}\n  b: ${JSON.stringify(y)}`);
    });
  } else console.log(describe(d, 4000));
}

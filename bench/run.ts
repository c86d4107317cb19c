/**
 * `npm run bench [-- NAME...]`: runs every benchmark module in this folder (each exports `run()`),
 * or only those named. Benchmarks print their figures beside a baseline measured in the same run.
 * Generated data goes under bench/.data/ (not in git).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

for (const name of modules) {
  const mod = (await import(`./${name}.ts`)) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') continue;
  console.log(`\n=== bench ${name} ===`);
  const started = performance.now();
  await mod.run();
  console.log(`=== ${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s ===`);
}

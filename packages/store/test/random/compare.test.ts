import { describe as suite, expect, it } from 'vitest';
import { ENGINES } from '../contract/engines.ts';
import { compareEngines, describe, type Side } from './compare.ts';
import { generateData, otherBatching, type GeneratedData } from './records-gen.ts';
import { shrinkDifference } from './shrink.ts';

/**
 * The randomized comparison: the same generated workspace and records in two engines must give
 * equal answers to every question of answers.ts: every engine against the reference, and DuckDB
 * against itself batched another way (which catches answers that depend on the batching). A few
 * seeds by default; BRAZEN_COMPARE_SEEDS=FROM-TO for more, and BRAZEN_SHRINK=1 to shrink the first
 * difference of a seed to a small case (printed).
 */
const range = process.env.BRAZEN_COMPARE_SEEDS?.split('-').map(Number);
const seeds = (byDefault: number[]) => (range ? Array.from({ length: (range[1] ?? range[0]) - range[0] + 1 }, (_, i) => range[0] + i) : byDefault);

async function expectAlike(g: GeneratedData, sides: [Side, Side]): Promise<void> {
  const { differences, notCompared } = await compareEngines(g, ...sides);
  if (notCompared.length > 0) console.log(`seed ${g.ws.seed}: ${notCompared.length} queries not compared (an engine lacks the capability), e.g. ${notCompared[0]}`);
  if (differences.length > 0 && process.env.BRAZEN_SHRINK) {
    const shrunk = await shrinkDifference(g, sides, differences[0].query);
    console.log(`seed ${g.ws.seed}: ${differences[0].query}, shrunk in ${shrunk.tries} tries to ${shrunk.g.items.length} items:\n${JSON.stringify({
      zone: g.ws.zone, items: shrunk.g.items, batches: shrunk.sides.map((s) => s.batches.map((b) => b.items)),
    })}\n${shrunk.differences.map((d) => describe(d, 4000)).join('\n')}`);
  }
  expect(differences.map((d) => describe(d)).slice(0, 10)).toEqual([]);
}

for (const engine of Object.keys(ENGINES).filter((e) => e !== 'reference' && 'reference' in ENGINES)) {
  suite(`randomized comparison: reference and ${engine}`, () => {
    for (const seed of seeds([1, 2, 3])) {
      it(`seed ${seed}`, async () => {
        const g = generateData(seed);
        await expectAlike(g, [{ engine: 'reference', batches: g.batches }, { engine, batches: otherBatching(g, seed), refreshKept: true }]);
      }, 600_000);
    }
  });
}

suite('randomized comparison: duckdb, batched two ways', () => {
  for (const seed of seeds([4])) {
    it(`seed ${seed}`, async () => {
      const g = generateData(seed);
      await expectAlike(g, [
        { engine: 'duckdb', batches: g.batches, refreshKept: true },
        { engine: 'duckdb', batches: otherBatching(g, seed) },
      ]);
    }, 600_000);
  }

  it('sees a difference when one engine misses a record', async () => {
    const g = generateData(5);
    // A session start whose id comes once, valid.
    const records = g.items.map((i) => (i.kind === 'currents' ? (i.record as { id?: string; event_type?: string; time?: unknown }) : undefined));
    const missing = records.findIndex((r) => r?.event_type === 'users.behaviors.app.SessionStart' && typeof r.time === 'number'
      && records.filter((x) => x?.id === r.id).length === 1);
    const { differences } = await compareEngines(
      g,
      { engine: 'duckdb', batches: g.batches },
      { engine: 'duckdb', batches: g.batches.map((b) => ({ ...b, items: b.items.filter((k) => k !== missing) })).filter((b) => b.items.length > 0) },
    );
    const queries = differences.map((d) => d.query);
    expect(queries).toContain(`ingest item ${missing}`);
    expect(queries).toContain('recordCount');
    expect(queries.some((q) => q.startsWith('counterSeries session * app *'))).toBe(true);
    expect(queries.some((q) => q.startsWith('activitySeries dau'))).toBe(true);
  }, 600_000);
});

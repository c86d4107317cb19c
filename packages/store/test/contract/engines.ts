import { duckdbEngine, engineOf, openStore, referenceEngine, registerEngine, type EngineOptions, type Store } from '@brazen/store';
import { runStoreContract, type ContractSkip } from './index.ts';

/**
 * The engines the contract runs on: how a test's folder becomes a `--store` URL, and what each
 * declares it lacks (with the reason). An engine is registered here as the CLI registers it.
 */
registerEngine(duckdbEngine);
registerEngine(referenceEngine);

interface EngineUnderTest {
  /** The `--store` URL of a store for `dir`, a new empty folder (or a place derived from it). */
  url(dir: string): string;
  skip?: ContractSkip[];
}

/** Defects the randomized comparison found, shrunk to contract cases, whose fixes are not on main yet. */
const KNOWN_DEFECTS: ContractSkip[] = [];

export const ENGINES: Record<string, EngineUnderTest> = {
  duckdb: { url: (dir) => `duckdb:${dir}`, skip: KNOWN_DEFECTS },
  reference: {
    url: (dir) => `reference:${dir}`,
    skip: [
      { reason: 'the reference engine keeps no profiles (no KeptProfiles capability)', concerns: ['kept-profiles'] },
      { reason: 'the reference engine keeps no segment sizes: it computes them each time (no KeptSegments capability)', concerns: ['kept-segments'] },
    ],
  },
};

/** Opens engine `name`'s store for `dir`. */
export function openEngine(name: string, dir: string, options: EngineOptions = {}): Promise<Store> {
  const engine = ENGINES[name];
  if (!engine) throw new Error(`no engine under test is named ${name} (known: ${Object.keys(ENGINES).join(', ')})`);
  const url = engine.url(dir);
  if (engineOf(url).name !== name) throw new Error(`${url} does not name engine ${name}`);
  return openStore(url, options);
}

/** The whole contract on one registered engine. */
export function runEngineContract(name: string): void {
  runStoreContract({ name, open: (dir) => openEngine(name, dir), skip: ENGINES[name]?.skip });
}

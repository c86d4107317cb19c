import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { AnalyticsData, Catalog, KeptProfiles, KeptSegments, Store } from '@brazen/store';
import { campaignsContract } from './campaigns.ts';
import { catalogContract } from './catalog.ts';
import { conversionsContract } from './conversions.ts';
import { exportsContract } from './exports.ts';
import { ingestContract } from './ingest.ts';
import { keptProfilesContract } from './kept-profiles.ts';
import { keptSegmentsContract } from './kept-segments.ts';
import { profilesContract } from './profiles.ts';
import { reopenContract } from './reopen.ts';
import { segmentsContract } from './segments.ts';
import { seriesContract } from './series.ts';

/**
 * The store contract: one suite, split by concern, that every engine runs unchanged (Hono's
 * `runTest({ skip, newRouter })`). An engine that lacks an optional capability declares it in
 * `skip`, with the reason, by concern or by test title; a skip that names no test is an error, so
 * that a renamed test cannot be skipped silently.
 *
 * Every method of the port (src/ports.ts) is exercised with values worked out by hand (the comments
 * show the working); nothing engine-internal is asserted (no refresh counts that depend on batching,
 * no engine's error text, no row numbering). What only DuckDB does is tested in duckdb.test.ts.
 */
export const CONCERNS = {
  ingest: ingestContract,
  series: seriesContract,
  campaigns: campaignsContract,
  conversions: conversionsContract,
  segments: segmentsContract,
  profiles: profilesContract,
  exports: exportsContract,
  catalog: catalogContract,
  /** Optional capability: `WorkspaceStore.keptProfiles`. */
  'kept-profiles': keptProfilesContract,
  /** Optional capability: `WorkspaceStore.keptSegments`. */
  'kept-segments': keptSegmentsContract,
  /** Data kept across a close and an open on the same place (an engine in memory skips it). */
  reopen: reopenContract,
} as const satisfies Record<string, ConcernSuite>;

export type Concern = keyof typeof CONCERNS;

export interface ContractSkip {
  /** Why, e.g. `reference: no KeptProfiles capability`. */
  reason: string;
  concerns?: Concern[];
  /** Test titles. */
  tests?: string[];
}

export interface StoreContractOptions {
  /** The engine's name, as registered. */
  name: string;
  /** Opens the engine's store for `dir`, a new empty folder for each test (an engine that keeps its
   * data elsewhere derives a place of its own from it). Opening it again on the same `dir` after a
   * close must find the same data (concern `reopen`). */
  open(dir: string): Promise<Store>;
  skip?: ContractSkip[];
}

/** What a test gets: the default workspace of a store opened for it alone. */
export interface ContractStore {
  readonly store: Store;
  readonly data: AnalyticsData;
  readonly catalog: Catalog;
  readonly kept: KeptProfiles | undefined;
  readonly keptSegments: KeptSegments | undefined;
  /** Closes the store and opens it again on the same place (the fields above follow). */
  reopen(): Promise<void>;
}

export type ContractTest = (s: ContractStore) => Promise<void>;
export type ContractIt = (title: string, test: ContractTest, timeout?: number) => void;
export type ConcernSuite = (it: ContractIt) => void;

export function runStoreContract(options: StoreContractOptions): void {
  const skips = options.skip ?? [];
  for (const s of skips) {
    if (s.reason.trim() === '') throw new Error(`store contract (${options.name}): every skip needs a reason`);
    if (!s.concerns?.length && !s.tests?.length) throw new Error(`store contract (${options.name}): skip "${s.reason}" names no concern and no test`);
  }
  const titles = new Set<string>();
  describe(`store contract: ${options.name}`, () => {
    for (const [concern, suite] of Object.entries(CONCERNS) as Array<[Concern, ConcernSuite]>) {
      describe(concern, () => {
        suite((title, test, timeout) => {
          if (titles.has(title)) throw new Error(`store contract: two tests are titled "${title}"`);
          titles.add(title);
          const skip = skips.find((s) => s.concerns?.includes(concern) || s.tests?.includes(title));
          if (skip) it.skip(`${title} (skipped: ${skip.reason})`, () => undefined);
          else it(title, () => withStore(options, concern, test), timeout);
        });
      });
    }
    // In a describe of its own: vitest collects the concerns' describes first, so the titles are known here.
    describe('skips', () => {
      it('name only tests of the contract', () => {
        for (const s of skips) {
          const unknown = (s.tests ?? []).filter((t) => !titles.has(t));
          if (unknown.length > 0) throw new Error(`store contract (${options.name}): skip "${s.reason}" names no test titled ${unknown.map((t) => `"${t}"`).join(', ')}`);
        }
      });
    });
  });
}

async function withStore(options: StoreContractOptions, concern: Concern, test: ContractTest): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `brazen-contract-${options.name}-`));
  let store = await options.open(dir);
  let open = true;
  const view = (): ContractStore => {
    const ws = store.workspace();
    return { store, data: ws.data, catalog: ws.catalog, kept: ws.keptProfiles, keptSegments: ws.keptSegments, reopen };
  };
  const current: { value: ContractStore } = { value: undefined as unknown as ContractStore };
  async function reopen(): Promise<void> {
    open = false;
    await store.close();
    store = await options.open(dir);
    open = true;
    Object.assign(current.value, view());
  }
  current.value = view();
  if (concern === 'kept-profiles' && current.value.kept === undefined) {
    throw new Error(`${options.name} has no KeptProfiles: declare a skip of concern kept-profiles with the reason`);
  }
  if (concern === 'kept-segments' && current.value.keptSegments === undefined) {
    throw new Error(`${options.name} has no KeptSegments: declare a skip of concern kept-segments with the reason`);
  }
  try {
    await test(current.value);
  } finally {
    if (open) await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

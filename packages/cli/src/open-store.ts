import { ALL_PERMISSIONS } from '@brazen/contract';
import { clickhouseEngines, DEFAULT_WORKSPACE, openStore as openEngine, redactStoreUrl, registerEngine, duckdbEngine, referenceEngine, type Leases, type Store, type WorkspaceStore } from '@brazen/store';
import { hashKey, newApiKey } from '@brazen/server';

registerEngine(duckdbEngine);
// The oracle (slow, in memory, kept as JSON): `--store reference:PATH`, to compare an engine with.
registerEngine(referenceEngine);
for (const engine of clickhouseEngines) registerEngine(engine);

/** `--memory-limit` of the commands that write a store directly (demo, import). */
export const MEMORY_LIMIT_HELP = "DuckDB's memory limit (e.g. 1GB; default BRAZEN_MEMORY_LIMIT, else 80% of the machine's memory)";

/** Says on stderr that a folder made by an earlier version is being upgraded (once; it may take a while). */
export const sayUpgrade = (dataDir: string) => (what: string) =>
  void process.stderr.write(`brazen: upgrading ${dataDir} (once): ${what}...\n`);

/** The `--store` URL of a command: given, or the embedded store in the data folder. */
export const storeUrl = (store: string | undefined, dataDir: string): string => store ?? `duckdb:${dataDir}`;

/** Opens the store a URL names (default: the data folder's), with a readable message when another
 * process holds it. */
export async function openStore(url: string, memoryLimit?: string, leases?: Leases, whenBusy = 'stop it, or send the data through it with --url and --key'): Promise<Store> {
  const where = redactStoreUrl(url.replace(/^duckdb:/, ''));
  try {
    return await openEngine(url, { onUpgrade: sayUpgrade(where), ...(memoryLimit ? { memoryLimit } : {}), ...(leases ? { leases } : {}) });
  } catch (error) {
    const text = (error as Error).message;
    if (/lock/i.test(text)) {
      throw new Error(`the data folder ${where} is in use by another process (a running brazen serve?): ${whenBusy}`);
    }
    throw new Error(`cannot open the store ${where}: ${text}`);
  }
}

/** `--workspace-name` of the commands that write a store directly (demo, import). */
export const WORKSPACE_NAME_HELP = 'workspace to write into (default: default); made when the folder has none of that name, and its first key printed once';

/** The named workspace of the store, made when there is none (its first key, with every
 * permission, printed once: a key is the only way to reach a workspace). */
export async function useWorkspace(store: Store, name: string = DEFAULT_WORKSPACE, timeZone?: string): Promise<WorkspaceStore> {
  if ((await store.workspaces()).some((w) => w.name === name)) return store.workspace(name);
  const workspace = await store.createWorkspace(name, { apps: [], campaigns: [], canvases: [], segments: [], cards: [], ...(timeZone ? { time_zone: timeZone } : {}) });
  const key = newApiKey();
  await store.keys.addApiKey({ name: 'admin', workspace: name, hash: hashKey(key), permissions: ALL_PERMISSIONS, createdAt: new Date().toISOString() });
  process.stdout.write(`Made workspace ${name}. Its first API key (every permission; shown once): ${key}\n`);
  return workspace;
}

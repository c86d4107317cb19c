import { DuckDbStore } from '@brazen/store';

/** `--memory-limit` of the commands that write a store directly (demo, import). */
export const MEMORY_LIMIT_HELP = "DuckDB's memory limit (e.g. 1GB; default BRAZEN_MEMORY_LIMIT, else 80% of the machine's memory)";

/** Says on stderr that a folder made by an earlier version is being upgraded (once; it may take a while). */
export const sayUpgrade = (dataDir: string) => (what: string) =>
  void process.stderr.write(`brazen: upgrading ${dataDir} (once): ${what}...\n`);

/** Opens the store of a data folder, with a readable message when another process holds it. */
export async function openStore(dataDir: string, memoryLimit?: string): Promise<DuckDbStore> {
  try {
    return await DuckDbStore.open({ dataDir, onUpgrade: sayUpgrade(dataDir), ...(memoryLimit ? { memoryLimit } : {}) });
  } catch (error) {
    const text = (error as Error).message;
    if (/lock/i.test(text)) {
      throw new Error(`the data folder ${dataDir} is in use by another process (a running brazen serve?): stop it, or send the data through it with --url and --key`);
    }
    throw new Error(`cannot open the store in ${dataDir}: ${text}`);
  }
}

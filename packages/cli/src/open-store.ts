import { DuckDbStore } from '@brazen/store';

/** Opens the store of a data folder, with a readable message when another process holds it. */
export async function openStore(dataDir: string): Promise<DuckDbStore> {
  try {
    return await DuckDbStore.open({ dataDir });
  } catch (error) {
    const text = (error as Error).message;
    if (/lock/i.test(text)) {
      throw new Error(`the data folder ${dataDir} is in use by another process (a running brazen serve?): stop it, or send the data through it with --url and --key`);
    }
    throw new Error(`cannot open the store in ${dataDir}: ${text}`);
  }
}

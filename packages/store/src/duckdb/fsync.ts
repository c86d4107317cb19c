import { open } from 'node:fs/promises';

/** Makes a file's bytes, or a folder's list of names, durable (fsync of a read-only handle). */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

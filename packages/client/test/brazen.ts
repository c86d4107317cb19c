import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { buildApp, hashKey, type AppOptions } from '@brazen/server';
import { DuckDbStore, type Store } from '@brazen/store';
import { BrazeClient, type BrazeClientOptions } from '../src/index.ts';

export const KEY = 'client-test-key';

export interface Brazen {
  /** `http://127.0.0.1:PORT` */
  url: string;
  app: FastifyInstance;
  store: Store;
  /** A client of this server with the all-permission key. */
  client(options?: Partial<BrazeClientOptions>): BrazeClient;
  close(): Promise<void>;
}

/** The real brazen server on a fresh DuckDB store, listening on a free port, with an injected clock
 * (fixed at 2024-03-31T12:00Z unless given). */
export async function startBrazen(
  options: { now?: () => number; rateLimits?: AppOptions['rateLimits']; faults?: AppOptions['faults'] } = {},
): Promise<Brazen> {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-client-test-'));
  const now = options.now ?? (() => Date.UTC(2024, 2, 31, 12));
  const store = await DuckDbStore.open({ dataDir: dir, now });
  await store.addApiKey({ name: 'client tests', workspace: 'default', hash: hashKey(KEY), permissions: ALL_PERMISSIONS, createdAt: new Date(now()).toISOString() });
  // The tests' callback receivers listen on 127.0.0.1.
  const app = await buildApp({
    store, now, tmpDir: join(dir, 'tmp'), rateLimits: options.rateLimits, faults: options.faults, exports: { callback: { allowPrivate: true } },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    app,
    store,
    client: (extra = {}) => new BrazeClient({ apiKey: KEY, baseUrl: url, retry: { attempts: 1 }, ...extra }),
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Epoch seconds of a UTC date-time written as `2024-03-01T10:00:00`. */
export const at = (iso: string): number => Date.parse(`${iso}Z`) / 1000;

let seq = 0;
/** A Currents record with a fresh id. */
export function currents(eventType: string, userId: string, time: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  seq += 1;
  return { id: `client-${seq}-${userId}-${time}`, event_type: eventType, user_id: userId, time, ...extra };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { DuckDbStore, type AnalyticsData, type Store } from '@brazen/store';
import { onClickHouse, openTestStore } from './test-store.ts';
import { buildApp, hashKey, type AppOptions } from '@brazen/server';

export const KEY = 'test-key-all-permissions';

export interface Harness {
  app: FastifyInstance;
  store: Store;
  /** The default workspace's data. */
  data: AnalyticsData;
  dir: string;
  get(path: string, query?: Record<string, string | number | boolean>): Promise<LightMyRequestResponse>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  put(path: string, body: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A server on a fresh store in a temporary folder (DuckDB, or the engine BRAZEN_TEST_STORE names),
 * with a fixed clock and an all-permission key. */
export async function startHarness(
  options: {
    now?: number; dataDir?: string; sortConversionsAt?: number; rateLimits?: AppOptions['rateLimits']; connector?: AppOptions['connector'];
    currentsBodyLimit?: number;
  } = {},
): Promise<Harness> {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'brazen-test-'));
  const now = options.now ?? Date.UTC(2024, 2, 31, 12);
  const store = onClickHouse
    ? await openTestStore({ dir, now: () => now })
    : await DuckDbStore.open({ dataDir: dir, now: () => now, sortConversionsAt: options.sortConversionsAt });
  await store.keys.addApiKey({ name: 'test', workspace: 'default', hash: hashKey(KEY), permissions: ALL_PERMISSIONS, createdAt: new Date(now).toISOString() });
  const app = await buildApp({ store, now: () => now, tmpDir: join(dir, 'tmp'), rateLimits: options.rateLimits, connector: options.connector,
    currentsBodyLimit: options.currentsBodyLimit,
  });
  const auth = { authorization: `Bearer ${KEY}` };
  return {
    app,
    store,
    data: store.workspace().data,
    dir,
    get: (path, query) =>
      app.inject({ method: 'GET', url: path, query: query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])), headers: auth }),
    post: (path, body, headers = {}) =>
      app.inject({
        method: 'POST',
        url: path,
        headers: { ...auth, 'content-type': 'application/json', ...headers },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    put: (path, body) => app.inject({ method: 'PUT', url: path, headers: auth, payload: body as object }),
    close: async () => {
      await app.close();
      await store.close();
      if (!options.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Epoch seconds of a UTC date-time written as `2024-03-01T10:00:00`. */
export const at = (iso: string): number => Date.parse(`${iso}Z`) / 1000;

/** An NDJSON body from records. */
export const ndjson = (records: object[]): string => records.map((r) => JSON.stringify(r)).join('\n');

let seq = 0;
/** A Currents record with a fresh id. */
export function currents(eventType: string, userId: string, time: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  seq += 1;
  return { id: `evt-${seq}-${userId}-${time}`, event_type: eventType, user_id: userId, time, ...extra };
}

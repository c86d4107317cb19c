import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { buildDemo } from '@brazen/demo';
import { buildApp, hashKey } from '@brazen/server';
import { DuckDbStore } from '@brazen/store';

/** The demo's last day, and the server's clock: that day's evening. */
export const LAST_DAY = '2025-02-28';
const END = Date.UTC(2025, 2, 1) / 1000;
const NOW = Date.UTC(2025, 1, 28, 18);

export const FULL_KEY = 'console-test-every-permission';
/** A key with every permission but DAU's. */
export const NO_DAU_KEY = 'console-test-without-dau';

export interface ServedDemo {
  url: string;
  app: FastifyInstance;
  /** GET an endpoint as the test's own client would, with the full key. */
  api<T = Record<string, unknown>>(path: string, query?: Record<string, string | number | boolean>): Promise<T>;
  close(): Promise<void>;
}

/** A small demo workspace (fixed seed and end), served over a real socket on 127.0.0.1. */
export async function serveDemo(): Promise<ServedDemo> {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-console-'));
  const store = await DuckDbStore.open({ dataDir: dir, now: () => NOW });
  await buildDemo(store.workspace(), { users: 600, days: 60, seed: 21, end: END });
  await store.addApiKey({ name: 'everything', workspace: 'default', hash: hashKey(FULL_KEY), permissions: ALL_PERMISSIONS, createdAt: '2025-01-01T00:00:00.000Z' });
  await store.addApiKey({
    name: 'no DAU', workspace: 'default', hash: hashKey(NO_DAU_KEY), permissions: ALL_PERMISSIONS.filter((p) => p !== 'kpi.dau.data_series'), createdAt: '2025-01-02T00:00:00.000Z',
  });
  const app = await buildApp({ store, now: () => NOW });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    app,
    api: async (path, query = {}) => {
      const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
      const res = await fetch(`${url}${path}?${qs}`, { headers: { authorization: `Bearer ${FULL_KEY}` } });
      if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as never;
    },
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { DuckDbWorkspaces } from '@brazen/store';
import { buildApp, hashKey, type AppOptions } from '@brazen/server';

/** The operator's key: an admin key of the default workspace. */
export const OPERATOR = 'operator-key';

/** Requests made with one key. */
export interface Caller {
  key: string;
  get(url: string, query?: Record<string, string | number | boolean>): Promise<LightMyRequestResponse>;
  post(url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  put(url: string, body: unknown): Promise<LightMyRequestResponse>;
  del(url: string): Promise<LightMyRequestResponse>;
}

export interface WorkspacesHarness {
  app: FastifyInstance;
  store: DuckDbWorkspaces;
  dir: string;
  clock: { now: number };
  operator: Caller;
  as(key: string): Caller;
  /** Makes a workspace through the API and answers a caller with its first key (every permission). */
  workspace(name: string, timeZone?: string): Promise<Caller>;
  close(): Promise<void>;
}

/** A server on the DuckDB engine in a temporary folder (several workspaces), with an injected clock. */
export async function startWorkspaces(options: Partial<AppOptions> & { now?: number; dataDir?: string } = {}): Promise<WorkspacesHarness> {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'brazen-workspaces-'));
  const clock = { now: options.now ?? Date.UTC(2024, 2, 31, 12) };
  const store = await DuckDbWorkspaces.open(dir, { now: () => clock.now });
  await store.keys.addApiKey({ name: 'operator', workspace: 'default', hash: hashKey(OPERATOR), permissions: ALL_PERMISSIONS, createdAt: new Date(clock.now).toISOString() });
  const app = await buildApp({ now: () => clock.now, tmpDir: join(dir, 'tmp'), ...options, store });
  await app.ready();
  const as = (key: string): Caller => {
    const auth = { authorization: `Bearer ${key}` };
    return {
      key,
      get: (url, query) =>
        app.inject({ method: 'GET', url, query: query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])), headers: auth }),
      post: (url, body, headers = {}) =>
        app.inject({
          method: 'POST',
          url,
          headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
        }),
      put: (url, body) => app.inject({ method: 'PUT', url, headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) }),
      del: (url) => app.inject({ method: 'DELETE', url, headers: auth }),
    };
  };
  const operator = as(OPERATOR);
  return {
    app, store, dir, clock, operator, as,
    workspace: async (name, timeZone) => {
      const res = await operator.post('/admin/workspaces', { name, ...(timeZone ? { time_zone: timeZone } : {}) });
      if (res.statusCode !== 201) throw new Error(`creating workspace ${name}: ${res.statusCode} ${res.body}`);
      return as((res.json() as { key: { key: string } }).key.key);
    },
    close: async () => {
      await app.close();
      await store.close();
      if (!options.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An NDJSON body of Currents records. */
export const ndjson = (records: object[]): string => records.map((r) => JSON.stringify(r)).join('\n');

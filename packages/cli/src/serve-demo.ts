import type { FastifyInstance } from 'fastify';
import { ALL_PERMISSIONS } from '@brazen/contract';
import type { Store, Workspace, WorkspaceStore } from '@brazen/store';
import { hashKey, newApiKey } from '@brazen/server';
import type { DemoMarker } from '@brazen/demo';
import { buildDemoWorkspace, describeDemo, type DemoSettings } from './demo.ts';

export interface DemoServeOptions {
  demoUsers: number;
  demoDays: number;
  demoSeed: string;
}

export interface PreparedDemo {
  /** The key to show, when brazen made it (BRAZEN_API_KEY unset). */
  key: string;
  keyCreated: boolean;
  built: boolean;
}

/**
 * `serve --demo`: builds the demo workspace when the data folder holds no events, and makes sure
 * there is a key to call the API with (BRAZEN_API_KEY, or a new one printed once).
 */
export async function prepareDemo(store: Store, dataDir: string, options: DemoServeOptions, envKey: string | undefined): Promise<PreparedDemo> {
  let built = false;
  const workspace = store.workspace();
  const marker = (await workspace.catalog.getWorkspace()).demo as DemoMarker | undefined;
  if (marker && !marker.complete) {
    process.stderr.write(`brazen: the demo build in ${dataDir} was interrupted, so its data is partial: delete the folder to build it again\n`);
  }
  if ((await workspace.data.recordCount()) === 0) {
    const settings: DemoSettings = { users: options.demoUsers, days: options.demoDays, seed: options.demoSeed };
    process.stdout.write(`Building the demo workspace (${settings.users} users, ${settings.days} days, seed ${settings.seed})...\n`);
    const summary = await buildDemoWorkspace(workspace, dataDir, settings);
    process.stdout.write(`${describeDemo(summary)}\n`);
    built = true;
  }
  if (envKey) return { key: envKey, keyCreated: false, built };
  const key = newApiKey();
  await store.keys.addApiKey({ name: 'demo', workspace: workspace.name, hash: hashKey(key), permissions: ALL_PERMISSIONS, createdAt: new Date().toISOString() });
  return { key, keyCreated: true, built };
}

/** Three requests a new user can paste, chosen among the routes this server has. */
export async function demoExamples(app: FastifyInstance, store: WorkspaceStore, address: string, key: string): Promise<string[]> {
  const ws: Workspace = await store.catalog.getWorkspace();
  const newsletter = ws.campaigns.find((c) => c.name === 'Weekly Newsletter');
  const auth = `-H 'Authorization: Bearer ${key}'`;
  const candidates: Array<{ method: 'GET' | 'POST'; url: string; body?: string }> = [
    { method: 'GET', url: '/kpi/dau/data_series?length=30' },
    ...(newsletter ? [{ method: 'GET' as const, url: `/campaigns/data_series?campaign_id=${String(newsletter.id)}&length=14` }] : []),
    { method: 'POST', url: '/users/export/ids', body: '{"external_ids":["user-000001"],"fields_to_export":["first_name","country","purchases","custom_events"]}' },
    { method: 'GET', url: '/events/data_series?event=added_to_cart&length=14' },
    { method: 'GET', url: '/purchases/revenue_series?length=30' },
  ];
  return candidates
    .filter((c) => app.hasRoute({ method: c.method, url: c.url.split('?')[0] }))
    .slice(0, 3)
    .map((c) =>
      c.method === 'GET'
        ? `curl ${auth} '${address}${c.url}'`
        : `curl ${auth} -H 'Content-Type: application/json' -d '${c.body}' '${address}${c.url}'`,
    );
}

export async function printDemoWelcome(app: FastifyInstance, store: WorkspaceStore, address: string, demo: PreparedDemo): Promise<void> {
  const lines = [
    // The console first: the link signs the browser tab in (the key leaves the address bar at once).
    demo.keyCreated ? `Console: ${address}/#key=${demo.key}` : `Console: ${address}/ (sign in with the value of BRAZEN_API_KEY)`,
    demo.keyCreated ? `API key (every permission; shown once, stored hashed): ${demo.key}` : 'API key: the value of BRAZEN_API_KEY',
    'Try:',
    ...(await demoExamples(app, store, address, demo.keyCreated ? demo.key : '$BRAZEN_API_KEY')).map((l) => `  ${l}`),
    `API reference: ${address}/docs`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

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
  /** The rest of a build the store acknowledged whole (resolved when nothing was built). */
  complete: Promise<void>;
}

/** With BRAZEN_TIMING=1, a line on stderr as each step of `serve --demo` begins: seconds since the
 * process started (the benchmark prints where the time goes from them). */
export function timing(step: string): void {
  if (process.env.BRAZEN_TIMING === '1') process.stderr.write(`brazen timing: ${step} at ${(performance.now() / 1000).toFixed(3)} s\n`);
}

/**
 * `serve --demo`: builds the demo workspace when the data folder holds no events, and makes sure
 * there is a key to call the API with (BRAZEN_API_KEY, or a new one printed once). Resolves once the
 * store has acknowledged the whole demo: it answers every request for all of it from then on (its
 * reads wait for what it does after an acknowledgement), so the server can listen while the rest of
 * the build (`complete`) goes on. `whileStoring` is called once the demo's records are simulated,
 * while the store takes them.
 */
export async function prepareDemo(
  store: Store, dataDir: string, options: DemoServeOptions, envKey: string | undefined, whileStoring: () => void = () => undefined,
): Promise<PreparedDemo> {
  const workspace = store.workspace();
  // The key first: a write made after the build would wait for the rest of it.
  const key = envKey || newApiKey();
  if (!envKey) {
    await store.keys.addApiKey({ name: 'demo', workspace: workspace.name, hash: hashKey(key), permissions: ALL_PERMISSIONS, createdAt: new Date().toISOString() });
  }
  const prepared: PreparedDemo = { key, keyCreated: !envKey, built: false, complete: Promise.resolve() };
  const marker = (await workspace.catalog.getWorkspace()).demo as DemoMarker | undefined;
  if (marker && !marker.complete) {
    process.stderr.write(`brazen: the demo build in ${dataDir} was interrupted, so its data is partial: delete the folder to build it again\n`);
  }
  if ((await workspace.data.recordCount()) === 0) {
    const settings: DemoSettings = { users: options.demoUsers, days: options.demoDays, seed: options.demoSeed };
    process.stdout.write(`Building the demo workspace (${settings.users} users, ${settings.days} days, seed ${settings.seed})...\n`);
    const { summary, complete } = await buildDemoWorkspace(workspace, settings, 'acknowledged', (step, chunk) => {
      timing(chunk === undefined ? step : `${step} chunk ${chunk + 1}`);
      if (step === 'simulated') whileStoring();
    });
    process.stdout.write(`${describeDemo(summary)}\n`);
    prepared.built = true;
    prepared.complete = complete;
  }
  return prepared;
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

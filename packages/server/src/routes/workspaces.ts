import type { FastifyInstance } from 'fastify';
import {
  adminCreateSnapshot, adminCreateWorkspace, adminDeleteSnapshot, adminListSnapshots, adminListWorkspaces, adminReset, adminRestoreSnapshot, ALL_PERMISSIONS,
} from '@brazen/contract';
import { DEFAULT_WORKSPACE, StoreError, type ExportJob, type SnapshotInfo, type WorkspaceStates } from '@brazen/store';
import { hashKey, newApiKey } from '../auth.ts';
import { checkTimeZone, type ApiContext } from '../context.ts';
import { ApiError, badRequest } from '../errors.ts';
import { LocalDestination } from '../export/destinations.ts';
import { route } from './route.ts';

/**
 * Workspaces (SPEC §5) and their states (SPEC §10). Creating and listing workspaces is for an admin
 * key of the default workspace: the operator's, the one a data folder had before workspaces had
 * names and the one `BRAZEN_API_KEY` makes. A key handed to a team or a test suite with its own
 * workspace must not learn which other workspaces exist, nor make more. Reset and snapshots act
 * on the caller's own workspace, whichever it is.
 */
export function workspaceRoutes(app: FastifyInstance): void {
  const operatorOnly = (ctx: ApiContext, what: string) => {
    if (ctx.store.name !== DEFAULT_WORKSPACE) throw new ApiError(403, `only an admin key of the default workspace may ${what}; this key belongs to workspace ${ctx.store.name}`);
  };

  route(app, adminCreateWorkspace, async ({ body, ctx }) => {
    operatorOnly(ctx, 'create workspaces');
    const zone = checkTimeZone(body.time_zone);
    const permissions = body.permissions ?? ALL_PERMISSIONS;
    const unknown = permissions.filter((p) => !ALL_PERMISSIONS.includes(p));
    if (unknown.length > 0) throw badRequest(`permissions has unknown permission ${unknown.join(', ')}`);
    const created = await app.workspaces.create(body.name, { apps: [], campaigns: [], canvases: [], segments: [], cards: [], ...(zone ? { time_zone: zone } : {}) });
    const key = newApiKey();
    const name = body.key_name ?? 'admin';
    await ctx.keys.addApiKey({ name, workspace: created.name, hash: hashKey(key), permissions, createdAt: new Date(ctx.now()).toISOString() });
    return { message: 'success', name: created.name, time_zone: zone ?? 'UTC', key: { name, key, permissions } };
  }, { optionalBody: true });

  route(app, adminListWorkspaces, async ({ ctx }) => {
    operatorOnly(ctx, 'list workspaces');
    const workspaces = [];
    for (const w of await app.workspaces.list()) {
      const other = app.workspaces.context(w.name);
      workspaces.push({
        name: w.name,
        time_zone: (await other.catalog.getWorkspace()).time_zone ?? 'UTC',
        ...(w.createdAt ? { created_at: w.createdAt } : {}),
        api_keys: (await ctx.keys.listApiKeys(w.name)).length,
      });
    }
    return { message: 'success', workspaces };
  });

  route(app, adminReset, async ({ body, ctx, request }) => {
    const states = statesOf(app);
    const started = performance.now();
    const name = ctx.store.name;
    let records = 0;
    await changeWithExports(app, name, async () => {
      records = await app.workspaces.context(name).data.recordCount();
      await states.reset(name, { definitions: body.definitions === true });
    });
    let keysRemoved = 0;
    if (body.keys === true) {
      keysRemoved = await ctx.keys.removeApiKeys(name, [request.apiKey!.hash]);
      app.forgetApiKeys();
    }
    return { message: 'success', records_removed: records, keys_removed: keysRemoved, definitions_removed: body.definitions === true, took_ms: since(started) };
  }, { changesWorkspace: true, optionalBody: true });

  route(app, adminCreateSnapshot, async ({ body, ctx }) => {
    const states = statesOf(app);
    const started = performance.now();
    const saved = await app.workspaces.change(ctx.store.name, () => states.saveSnapshot(ctx.store.name, body.name));
    return { message: 'success', snapshot: snapshotBody(saved), replaced: saved.replaced, took_ms: since(started) };
  }, { changesWorkspace: true, optionalBody: true });

  route(app, adminListSnapshots, async ({ ctx }) => ({
    message: 'success',
    snapshots: (await statesOf(app).snapshots(ctx.store.name)).map(snapshotBody),
  }));

  route(app, adminRestoreSnapshot, async ({ params, ctx }) => {
    const states = statesOf(app);
    const started = performance.now();
    const name = ctx.store.name;
    const snapshot = await findSnapshot(states, name, params.name);
    await changeWithExports(app, name, () => states.restoreSnapshot(name, params.name));
    return { message: 'success', snapshot: snapshotBody(snapshot), took_ms: since(started) };
  }, { changesWorkspace: true });

  route(app, adminDeleteSnapshot, async ({ params, ctx }) => {
    const states = statesOf(app);
    await findSnapshot(states, ctx.store.name, params.name);
    await states.deleteSnapshot(ctx.store.name, params.name);
    return { message: 'success' };
  });
}

function statesOf(app: FastifyInstance): WorkspaceStates {
  const states = app.workspaces.states;
  if (!states) throw new StoreError('capability_missing', 'this store has no reset or snapshots');
  return states;
}

/** The workspace's snapshot of that name, or a 404 listing those it has. The message does not name
 * the workspace: the key's holder knows it, and it reads the same whichever workspace it is. */
async function findSnapshot(states: WorkspaceStates, workspace: string, name: string): Promise<SnapshotInfo> {
  const all = await states.snapshots(workspace);
  const found = all.find((s) => s.name === name);
  if (found) return found;
  const has = all.length === 0 ? 'none' : all.map((s) => s.name).join(', ');
  throw new ApiError(404, `this key's workspace has no snapshot ${name} (it has: ${has}); snapshots are per workspace`);
}

/**
 * Changes the workspace as a whole; the files of export jobs it no longer has (all of them after a
 * reset, those made since the snapshot after a restore) go with them. Jobs the snapshot has keep
 * their files if they are still there; a download whose files went answers 410.
 */
async function changeWithExports(app: FastifyInstance, name: string, change: () => Promise<void>): Promise<void> {
  let before: ExportJob[] = [];
  await app.workspaces.change(name, async () => {
    before = await app.workspaces.context(name).catalog.exportJobs();
    await change();
  });
  const ctx = app.workspaces.context(name);
  const kept = new Set((await ctx.catalog.exportJobs()).map((j) => j.id));
  for (const job of before) {
    if (!kept.has(job.id) && job.destination === 'local') await LocalDestination.remove(ctx.exports.folder(job.id));
  }
}

const snapshotBody = (s: SnapshotInfo) => ({ name: s.name, created_at: s.createdAt, records: s.records, bytes: s.bytes });
const since = (started: number) => Math.round((performance.now() - started) * 10) / 10;

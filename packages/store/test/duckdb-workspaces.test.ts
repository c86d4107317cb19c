import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbStore, DuckDbWorkspaces, StoreError, type AnalyticsData, type Store, type Workspace } from '@brazen/store';
import { runStoreContract } from './contract/index.ts';
import { ENGINES } from './contract/engines.ts';
import { dayUnits } from './contract/support.ts';

// The whole store contract, on a workspace other than the default: its own file attached beside the
// default's to one DuckDB instance. The contract reads "the default workspace": here that is the
// created one, under the default's name.
runStoreContract({
  name: 'duckdb, a created workspace',
  open: async (dir) => {
    const engine = await DuckDbWorkspaces.open(dir);
    if (!(await engine.workspaces()).some((w) => w.name === 'second')) await engine.createWorkspace('second', EMPTY);
    return { ...storeMethods(engine), workspace: () => ({ ...engine.workspace('second'), name: 'default' }) };
  },
  // The DuckDB engine's known defects, as the contract's own DuckDB run declares them.
  skip: ENGINES.duckdb.skip,
});

const EMPTY: Workspace = { apps: [], campaigns: [], canvases: [], segments: [], cards: [] };
const T0 = Date.UTC(2024, 2, 1) / 1000;
const NOW = Date.UTC(2024, 2, 31, 12);

function storeMethods(engine: DuckDbWorkspaces): Store {
  return {
    engine: engine.engine,
    keys: engine.keys,
    states: engine.states,
    workspace: (name) => engine.workspace(name),
    workspaces: () => engine.workspaces(),
    createWorkspace: (name, doc) => engine.createWorkspace(name, doc),
    close: () => engine.close(),
  };
}

/** `users` users with `perUser` sessions each, one a day from T0; ids the same in every workspace. */
function sessions(users: number, perUser: number, tag = 'r'): Uint8Array {
  const lines: string[] = [];
  for (let u = 0; u < users; u++) {
    for (let k = 0; k < perUser; k++) {
      lines.push(JSON.stringify({ id: `${tag}-${u}-${k}`, event_type: 'users.behaviors.app.SessionStart', user_id: `u${u}`, external_user_id: `x${u}`, time: T0 + k * 86_400 + u, app_id: 'app' }));
    }
  }
  return new TextEncoder().encode(lines.join('\n'));
}

const ingest = (data: AnalyticsData, users: number, perUser: number, tag?: string) => data.ingestCurrents({ bytes: sessions(users, perUser, tag), format: 'ndjson' });
const sessionTotal = async (data: AnalyticsData) => (await data.counterSeries({ kind: 'session', units: dayUnits(31, T0 + 30 * 86_400) })).reduce((sum, t) => sum + t.count, 0);
const key = (name: string, workspace: string) => ({ name, workspace, hash: `${name}-${workspace}`.padEnd(64, '0'), permissions: ['admin'], createdAt: new Date(NOW).toISOString() });
const code = async (promise: Promise<unknown>) => promise.then(() => 'resolved', (e: unknown) => (e instanceof StoreError ? e.code : String(e)));

describe('duckdb: several workspaces in one folder', () => {
  let dir: string;
  let engine: DuckDbWorkspaces;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'brazen-ws-'));
    engine = await DuckDbWorkspaces.open(dir, { now: () => NOW });
  });
  afterEach(async () => {
    await engine.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens a folder made by a single-workspace store as its default workspace, adding nothing to it', async () => {
    await engine.close();
    const single = await DuckDbStore.open({ dataDir: dir });
    await ingest(single, 3, 2);
    await single.addApiKey(key('old', 'default'));
    await single.close();
    const before = readdirSync(dir).sort();
    engine = await DuckDbWorkspaces.open(dir);
    expect(await engine.workspaces()).toEqual([{ name: 'default' }]);
    expect(await engine.workspace().data.recordCount()).toBe(6);
    expect((await engine.keys.findApiKey(key('old', 'default').hash))?.name).toBe('old');
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('creates workspaces with their definitions, keeps them apart and finds them again on reopening', async () => {
    await engine.createWorkspace('beta', { ...EMPTY, time_zone: 'America/New_York' });
    await engine.createWorkspace('alpha-2', EMPTY);
    expect(await code(engine.createWorkspace('beta', EMPTY))).toBe('conflict');
    expect(await code(engine.createWorkspace('default', EMPTY))).toBe('conflict');
    for (const bad of ['', 'Beta', '-x', 'a b', '../x', 'x'.repeat(64)]) expect(await code(engine.createWorkspace(bad, EMPTY))).toBe('invalid_input');
    expect(() => engine.workspace('gamma')).toThrow(/workspace gamma does not exist/);

    await ingest(engine.workspace().data, 4, 3);
    await ingest(engine.workspace('beta').data, 2, 5);
    expect([await engine.workspace().data.recordCount(), await engine.workspace('beta').data.recordCount(), await engine.workspace('alpha-2').data.recordCount()]).toEqual([12, 10, 0]);
    expect([await sessionTotal(engine.workspace().data), await sessionTotal(engine.workspace('beta').data)]).toEqual([12, 10]);
    // Keys of every workspace live in the default file; each lists only its own.
    await engine.keys.addApiKey(key('k1', 'default'));
    await engine.keys.addApiKey(key('k2', 'beta'));
    expect((await engine.keys.listApiKeys('beta')).map((k) => k.name)).toEqual(['k2']);

    await engine.close();
    engine = await DuckDbWorkspaces.open(dir);
    expect(await engine.workspaces()).toEqual([
      { name: 'default' },
      { name: 'alpha-2', createdAt: '2024-03-31T12:00:00.000Z' },
      { name: 'beta', createdAt: '2024-03-31T12:00:00.000Z' },
    ]);
    expect((await engine.workspace('beta').catalog.getWorkspace()).time_zone).toBe('America/New_York');
    expect(await engine.workspace('beta').data.recordCount()).toBe(10);
    expect((await engine.keys.findApiKey(key('k2', 'beta').hash))?.workspace).toBe('beta');
  });

  it('passes over a creation cut short, and makes the workspace anew when asked', async () => {
    await engine.close();
    mkdirSync(join(dir, 'workspaces', 'half'), { recursive: true });
    engine = await DuckDbWorkspaces.open(dir);
    expect((await engine.workspaces()).map((w) => w.name)).toEqual(['default']);
    await engine.createWorkspace('half', EMPTY);
    expect(await engine.workspace('half').data.recordCount()).toBe(0);
  });

  it('resets a workspace to nothing, keeping its definitions unless asked, and never its keys', async () => {
    await engine.createWorkspace('beta', { ...EMPTY, time_zone: 'Asia/Tokyo', apps: [{ id: 'app', name: 'App' }] });
    for (const ws of ['default', 'beta']) {
      await ingest(engine.workspace(ws).data, 5, 4);
      await engine.keys.addApiKey(key(`k-${ws}`, ws));
    }
    await engine.states.reset('beta', { definitions: false });
    expect([await engine.workspace('beta').data.recordCount(), await engine.workspace().data.recordCount()]).toEqual([0, 20]);
    expect(await engine.workspace('beta').data.findUsers('external_id', ['x0'])).toEqual(new Map());
    expect((await engine.workspace('beta').catalog.getWorkspace()).apps).toEqual([{ id: 'app', name: 'App' }]);

    await engine.states.reset('beta', { definitions: true });
    expect(await engine.workspace('beta').catalog.getWorkspace()).toEqual({ ...EMPTY, time_zone: 'Asia/Tokyo' });

    // The default file holds every key: a reset of it keeps them all.
    await engine.workspace().catalog.putWorkspace({ ...EMPTY, apps: [{ id: 'd' }] });
    await engine.states.reset('default', { definitions: true });
    expect(await engine.workspace().data.recordCount()).toBe(0);
    expect(await engine.workspace().catalog.getWorkspace()).toEqual(EMPTY);
    expect((await engine.keys.listApiKeys('default')).map((k) => k.name)).toEqual(['k-default']);
    expect((await engine.keys.listApiKeys('beta')).map((k) => k.name)).toEqual(['k-beta']);
    // Data comes in again as into a new workspace.
    await ingest(engine.workspace().data, 2, 1);
    expect(await sessionTotal(engine.workspace().data)).toBe(2);
  });

  it('removes keys of one workspace but those it is told to keep', async () => {
    await engine.createWorkspace('beta', EMPTY);
    for (const name of ['a', 'b', 'c']) await engine.keys.addApiKey(key(name, 'beta'));
    await engine.keys.addApiKey(key('a', 'default'));
    expect(await engine.keys.removeApiKeys('beta', [key('b', 'beta').hash])).toBe(2);
    expect((await engine.keys.listApiKeys('beta')).map((k) => k.name)).toEqual(['b']);
    expect((await engine.keys.listApiKeys('default')).map((k) => k.name)).toEqual(['a']);
  });

  it('keeps every key written while the default workspace is reset or restored (the file holding the keys is swapped)', async () => {
    await engine.createWorkspace('beta', EMPTY);
    await engine.states.saveSnapshot('default', 'empty');
    const written: string[] = [];
    for (let round = 0; round < 12; round++) {
      // A key call and a swap of the default file in the same turn: the key must not be written
      // into the file being swapped out after its keys were copied.
      const name = `k${round}`;
      written.push(name);
      const swap = round % 2 === 0 ? engine.reset('default', { definitions: false }) : engine.states.restoreSnapshot('default', 'empty');
      await Promise.all([engine.keys.addApiKey(key(name, 'beta')), swap]);
    }
    expect((await engine.keys.listApiKeys('beta')).map((k) => k.name).sort()).toEqual(written.sort());
  });

  it('saves and restores a workspace exactly, with its kept profiles; keys stay as they are now', async () => {
    const ws = () => engine.workspace();
    await ingest(ws().data, 50, 3);
    await ws().catalog.putWorkspace({ ...EMPTY, apps: [{ id: 'app' }] });
    expect(await ws().keptProfiles!.refresh()).toBe(50);
    const profileOf = async () => {
      const found = await ws().data.findUsers('external_id', ['x7']);
      return (await ws().data.userProfiles(found.get('x7')!, { fields: ['external_id', 'braze_id', 'apps', 'total_revenue'] }))[0];
    };
    const before = { records: await ws().data.recordCount(), sessions: await sessionTotal(ws().data), profile: await profileOf() };

    const saved = await engine.states.saveSnapshot('default', 'clean');
    expect({ ...saved, bytes: saved.bytes > 0 }).toEqual({ name: 'clean', createdAt: '2024-03-31T12:00:00.000Z', records: 150, bytes: true, replaced: false });
    await engine.keys.addApiKey(key('after', 'default'));
    await ingest(ws().data, 80, 2, 'later');
    await ws().catalog.putWorkspace({ ...EMPTY, apps: [{ id: 'other' }] });
    expect(await ws().data.recordCount()).toBe(310);

    await engine.states.restoreSnapshot('default', 'clean');
    expect({ records: await ws().data.recordCount(), sessions: await sessionTotal(ws().data), profile: await profileOf() }).toEqual(before);
    expect((await ws().catalog.getWorkspace()).apps).toEqual([{ id: 'app' }]);
    // Kept profiles came back with it: nothing to compute again.
    expect(await ws().keptProfiles!.refresh()).toBe(0);
    expect((await engine.keys.listApiKeys('default')).map((k) => k.name)).toEqual(['after']);

    // Restoring again from the same snapshot gives the same workspace again.
    await ingest(ws().data, 3, 1, 'again');
    await engine.states.restoreSnapshot('default', 'clean');
    expect(await ws().data.recordCount()).toBe(150);

    expect((await engine.states.saveSnapshot('default', 'clean')).replaced).toBe(true);
    expect((await engine.states.snapshots('default')).map((s) => s.name)).toEqual(['clean']);
    await engine.states.deleteSnapshot('default', 'clean');
    expect(await engine.states.snapshots('default')).toEqual([]);
    expect(await code(engine.states.restoreSnapshot('default', 'clean'))).toBe('not_found');
    expect(await code(engine.states.deleteSnapshot('default', 'clean'))).toBe('not_found');
    expect(await code(engine.states.saveSnapshot('default', '../x'))).toBe('invalid_input');
    expect(await code(engine.states.saveSnapshot('nobody', 'x'))).toBe('not_found');
    expect(existsSync(join(dir, 'snapshots', 'default'))).toBe(true);
  });

  it('still serves a workspace whose restore failed half way, keys and all', async () => {
    await ingest(engine.workspace().data, 3, 1);
    await engine.keys.addApiKey(key('k', 'default'));
    await engine.states.saveSnapshot('default', 'broken');
    rmSync(join(dir, 'snapshots', 'default', 'broken', 'brazen.duckdb'));
    await expect(engine.states.restoreSnapshot('default', 'broken')).rejects.toThrow(/ENOENT/);
    // Nothing of the data was left to copy back: the workspace is there, empty, and answers.
    expect(await engine.workspace().data.recordCount()).toBe(0);
    await ingest(engine.workspace().data, 1, 1);
    expect(await engine.workspace().data.recordCount()).toBe(1);
    expect((await engine.keys.listApiKeys('default')).map((k) => k.name)).toEqual(['k']);
  });

  it('keeps snapshots per workspace', async () => {
    await engine.createWorkspace('beta', EMPTY);
    await ingest(engine.workspace('beta').data, 4, 1);
    await engine.states.saveSnapshot('beta', 's1');
    await ingest(engine.workspace().data, 9, 1);
    await engine.states.saveSnapshot('default', 's2');
    expect((await engine.states.snapshots('beta')).map((s) => [s.name, s.records])).toEqual([['s1', 4]]);
    expect((await engine.states.snapshots('default')).map((s) => [s.name, s.records])).toEqual([['s2', 9]]);
    expect(await code(engine.states.restoreSnapshot('default', 's1'))).toBe('not_found');
    await ingest(engine.workspace('beta').data, 4, 2, 'more');
    await engine.states.restoreSnapshot('beta', 's1');
    expect([await engine.workspace('beta').data.recordCount(), await engine.workspace().data.recordCount()]).toEqual([4, 9]);
  });

  it('keeps each workspace exact through resets, snapshots and restores of both at once, with records coming in', async () => {
    // A file just detached is still held while a query of the other workspace lists every database:
    // a save must not copy it, nor a restore attach it, until DuckDB has let it go.
    await engine.createWorkspace('second', EMPTY);
    let batch = 0;
    const ops = async (ws: string) => {
      const expected = { now: 0, s1: 0, s2: 0 };
      for (let i = 0; i < 48; i++) {
        const step = i % 6;
        if (step === 0 || step === 5) {
          await engine.states.saveSnapshot(ws, step === 0 ? 's1' : 's2');
          expected[step === 0 ? 's1' : 's2'] = expected.now;
        } else if (step === 1 || step === 4) {
          await ingest(engine.workspace(ws).data, 5, 4, `b${batch++}`);
          expected.now += 20;
        } else if (step === 2) {
          await engine.states.restoreSnapshot(ws, i % 12 === 2 ? 's1' : 's2');
          expected.now = i % 12 === 2 ? expected.s1 : expected.s2;
        } else {
          await engine.states.reset(ws, { definitions: false });
          expected.now = 0;
        }
        expect([ws, i, await engine.workspace(ws).data.recordCount()]).toEqual([ws, i, expected.now]);
      }
    };
    await Promise.all([ops('default'), ops('second')]);
  }, 120_000);

  it('in memory: several workspaces and reset, but no snapshots (a typed error)', async () => {
    await engine.close();
    engine = await DuckDbWorkspaces.open(':memory:');
    await engine.createWorkspace('beta', EMPTY);
    await ingest(engine.workspace('beta').data, 3, 1);
    await ingest(engine.workspace().data, 2, 1);
    await engine.keys.addApiKey(key('k', 'beta'));
    await engine.states.reset('default', { definitions: false });
    expect([await engine.workspace().data.recordCount(), await engine.workspace('beta').data.recordCount()]).toEqual([0, 3]);
    expect((await engine.keys.findApiKey(key('k', 'beta').hash))?.name).toBe('k');
    expect(await code(engine.states.saveSnapshot('beta', 's'))).toBe('capability_missing');
  });
});

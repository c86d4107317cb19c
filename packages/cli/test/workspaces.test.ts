import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbWorkspaces } from '@brazen/store';
import { hashKey } from '@brazen/server';
import { runCli } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'brazen-cli-ws-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const madeKey = (stdout: string) => /Made workspace [a-z0-9_-]+\. Its first API key \(every permission; shown once\): ([0-9a-f-]{36})/.exec(stdout)?.[1];

describe('brazen demo and import --workspace-name', () => {
  it('write into a workspace of the folder, making it (and printing its first key) when there is none', async () => {
    const data = join(dir, 'data');
    const demo = await runCli(['demo', '--users', '20', '--days', '3', '--end', '2024-03-01', '--time-zone', 'Europe/Paris', '--data', data, '--workspace-name', 'shop']);
    expect(demo.code, demo.stderr).toBe(0);
    const shopKey = madeKey(demo.stdout);
    expect(shopKey).toBeDefined();
    expect(demo.stdout).toContain('Demo workspace: 20 users, 3 days (2024-02-27 to 2024-02-29)');

    const file = join(dir, 'sessions.ndjson');
    writeFileSync(file, [1, 2, 3].map((i) => JSON.stringify({ id: `cli-${i}`, event_type: 'users.behaviors.app.SessionStart', user_id: `b${i}`, time: 1709280000 + i })).join('\n'));
    const intoShop = await runCli(['import', 'currents', file, '--data', data, '--workspace-name', 'shop']);
    expect(intoShop.code, intoShop.stderr).toBe(0);
    expect(madeKey(intoShop.stdout)).toBeUndefined();
    const intoNew = await runCli(['import', 'currents', file, '--data', data, '--workspace-name', 'imports']);
    expect(intoNew.code, intoNew.stderr).toBe(0);
    const importsKey = madeKey(intoNew.stdout);
    expect(intoNew.stdout).toContain('3 stored');

    const again = await runCli(['demo', '--users', '20', '--days', '3', '--data', data, '--workspace-name', 'shop']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^brazen: workspace shop of .* already holds \d+ events: build the demo into an empty folder \(--data DIR\) or workspace \(--workspace-name NAME\)/);

    const store = await DuckDbWorkspaces.open(data);
    try {
      expect((await store.workspaces()).map((w) => w.name)).toEqual(['default', 'imports', 'shop']);
      const shop = store.workspace('shop');
      expect((await shop.catalog.getWorkspace()).time_zone).toBe('Europe/Paris');
      const demoRecords = (await shop.data.recordCount()) - 3;
      expect(demo.stdout).toContain(`${demoRecords} Currents records`);
      expect([await store.workspace().data.recordCount(), await store.workspace('imports').data.recordCount()]).toEqual([0, 3]);
      expect((await store.keys.findApiKey(hashKey(shopKey!)))?.workspace).toBe('shop');
      expect((await store.keys.findApiKey(hashKey(importsKey!)))?.workspace).toBe('imports');
    } finally {
      await store.close();
    }
  });

  it('exits 2 on a name a workspace cannot take, or with --url (the key names the workspace)', async () => {
    const [bad, url] = await Promise.all([
      runCli(['demo', '--data', join(dir, 'never'), '--workspace-name', 'Shop Two']),
      runCli(['import', 'currents', dir, '--url', 'http://127.0.0.1:9', '--key', 'k', '--workspace-name', 'shop']),
    ]);
    expect([bad.code, url.code]).toEqual([2, 2]);
    expect(bad.stderr).toContain("argument 'Shop Two' is invalid. must be 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit");
    expect(url.stderr).toContain('--workspace-name is for the data folder; through --url, the key names its workspace');
  });
});

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, exited, startServerProcess, type ServerProcess } from './cli-process.ts';
import { serveStoreArgs } from './test-store.ts';
import { expectedDraws } from './seeded.ts';

/** `brazen serve --faults --faults-seed N --compat legacy`, as a real process. */
describe('brazen serve: --faults, --faults-seed and --compat', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-serve-flags-'));
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const s of servers) {
      s.child.kill('SIGTERM');
      await exited(s.child);
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const auth = { authorization: 'Bearer flags-key' };

  it('--help names the flags', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'serve', '--help']);
    for (const word of ['--faults', '--faults-seed', '--compat <profile>', 'X-Brazen-Fault', '/admin/faults', '"legacy"']) expect(stdout).toContain(word);
  });

  it('with them, faults follow the seed and /users/export/ids takes 75 ids; without, neither', async () => {
    const on = await startServerProcess(join(dir, 'on'), 'flags-key', ['--faults', '--faults-seed', '7', '--compat', 'legacy', ...(await serveStoreArgs(join(dir, 'on')))]);
    servers.push(on);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await fetch(`${on.url}/kpi/dau/data_series?length=1`, { headers: { ...auth, 'x-brazen-fault': '502;p=0.5' } })).status);
    }
    expect(statuses).toEqual(expectedDraws(7, 6).map((d) => (d < 0.5 ? 502 : 200)));
    expect(await (await fetch(`${on.url}/admin/faults`, { headers: auth })).json()).toEqual({ message: 'success', seed: 7, draws: 6, faults: [] });
    const ids = { external_ids: Array.from({ length: 75 }, (_, i) => `u${i}`) };
    const legacy = await fetch(`${on.url}/users/export/ids`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(ids) });
    expect([legacy.status, legacy.headers.get('x-ratelimit-limit')]).toEqual([200, '250000']);

    const off = await startServerProcess(join(dir, 'off'), 'flags-key', await serveStoreArgs(join(dir, 'off')));
    servers.push(off);
    expect((await fetch(`${off.url}/kpi/dau/data_series?length=1`, { headers: { ...auth, 'x-brazen-fault': '502' } })).status).toBe(200);
    expect((await fetch(`${off.url}/admin/faults`, { headers: auth })).status).toBe(404);
    const current = await fetch(`${off.url}/users/export/ids`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(ids) });
    expect([current.status, (await current.json()).message, current.headers.get('x-ratelimit-limit')]).toEqual([
      400, 'external_ids must be an array of at most 50 items', '250',
    ]);
  }, 60_000);
});

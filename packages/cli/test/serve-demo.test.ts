import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from './run-cli.ts';

/** Starts `brazen serve --demo ...` and resolves with its output once it has printed its examples. */
function startServe(args: string[]): Promise<{ stop: () => Promise<void>; output: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--demo', '--port', '0', '--log', 'warn', ...args], {
    env: { ...process.env, BRAZEN_API_KEY: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((done) => child.on('close', () => done()));
  return new Promise((resolveStart, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('API reference:')) {
        resolveStart({
          output,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
}

describe('brazen serve --demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-serve-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the demo in an empty folder, prints a working key and examples, and reuses the data next time', async () => {
    const args = ['--data', dir, '--demo-users', '150', '--demo-days', '14', '--demo-seed', 'readme'];
    const first = await startServe(args);
    try {
      expect(first.output).toContain('Building the demo workspace (150 users, 14 days, seed readme)');
      const key = /stored hashed\): (\S+)/.exec(first.output)?.[1];
      const address = /listening on (http:\/\/\S+)/.exec(first.output)?.[1];
      expect(key).toBeTruthy();
      // The console's link comes first, and its page is served.
      expect(first.output.split('\n').find((l) => l.startsWith('Console: '))).toBe(`Console: ${address}/#key=${key}`);
      expect(first.output.indexOf('Console: ')).toBeLessThan(first.output.indexOf('API key'));
      const page = await fetch(`${address}/`);
      expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      const examples = first.output.split('\n').filter((l) => l.trim().startsWith('curl '));
      expect(examples).toHaveLength(3);
      expect(examples[0]).toContain(`${address}/kpi/dau/data_series?length=30`);
      const res = await fetch(`${address}/kpi/dau/data_series?length=14`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: Array<{ time: string; dau: number }> };
      expect(data).toHaveLength(14);
      // Every day before today has sessions; today only has those before the build (none at 00:01).
      expect(data.slice(0, -1).every((d) => d.dau > 0)).toBe(true);
      // The history stops at the moment of the build: no session in a later hour of today.
      const endOfToday = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 23 * 3_600_000).toISOString();
      const hours = await fetch(`${address}/sessions/data_series?length=24&unit=hour&ending_at=${endOfToday}`, { headers: { authorization: `Bearer ${key}` } });
      const hourly = ((await hours.json()) as { data: Array<{ time: string; sessions: number }> }).data;
      expect(hourly).toHaveLength(24);
      const later = hourly.filter((h) => Date.parse(h.time) > Date.now());
      expect(later.map((h) => h.sessions)).toEqual(later.map(() => 0));
    } finally {
      await first.stop();
    }
    const second = await startServe(args);
    try {
      expect(second.output).not.toContain('Building the demo workspace');
      expect(second.output).toContain('API key (every permission');
    } finally {
      await second.stop();
    }
  });
});

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'brazen-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('brazen command line: help and exit codes', () => {
  it('prints help for every command with exit code 0', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const name of ['serve', 'demo', 'import', 'export']) expect(top.stdout).toContain(name);
    const cases: Array<[string[], string[]]> = [
      [['demo', '--help'], ['--users', '--days', '--seed', '--data', '--end']],
      [['serve', '--help'], ['--demo', '--port', '--data']],
      [['import', 'currents', '--help'], ['<sources...>', '--data', '--url', 'Avro', 's3://BUCKET/PREFIX', '--follow', '--s3-endpoint']],
      [['export', '--help'], ['--url', '--key', '--out', '--length', 'campaigns/list']],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((r, i) => {
      expect(r.code, cases[i][0].join(' ')).toBe(0);
      for (const word of cases[i][1]) expect(r.stdout).toContain(word);
    });
  });

  it('exits 2 on bad usage, naming what is wrong', async () => {
    const [unknown, users, date, missing, what, noKey, zone, memory, port, keep] = await Promise.all([
      runCli(['frobnicate']),
      runCli(['demo', '--users', '0', '--data', join(dir, 'never')]),
      runCli(['demo', '--end', '2024-02-30', '--data', join(dir, 'never')]),
      runCli(['import', 'currents', join(dir, 'no-such-file.avro')]),
      runCli(['export', 'campaigns/nothing', '--key', 'k']),
      runCli(['export', 'kpi/dau/data_series']),
      runCli(['demo', '--time-zone', 'Mars/Olympus', '--data', join(dir, 'never')]),
      runCli(['serve', '--memory-limit', 'lots', '--data', join(dir, 'never')]),
      runCli(['serve', '--port', '65536', '--data', join(dir, 'never')]),
      runCli(['serve', '--keep-profiles-after', '1.5', '--data', join(dir, 'never')]),
    ]);
    expect(keep.code).toBe(2);
    expect(keep.stderr).toContain('must be a whole number of seconds between 0 and 86400');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(users.code).toBe(2);
    expect(users.stderr).toContain('must be an integer between 1 and 16000000');
    expect(date.code).toBe(2);
    expect(date.stderr).toContain('must be a date written YYYY-MM-DD');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no-such-file.avro: no such file or folder');
    expect(what.code).toBe(2);
    expect(what.stderr).toContain('campaigns/nothing is not an export endpoint');
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('an API key is required');
    expect(zone.code).toBe(2);
    expect(zone.stderr).toContain("argument 'Mars/Olympus' is invalid. must be an IANA time zone");
    expect(memory.code).toBe(2);
    expect(memory.stderr).toContain("argument 'lots' is invalid. must be a size such as 512MB or 1GB");
    expect(port.code).toBe(2);
    expect(port.stderr).toContain("argument '65536' is invalid. must be a port number between 0 and 65535");
  });

  it('runs from a bundle of its sources, the same program as the sources themselves', async () => {
    const [bundled, sources] = await Promise.all([
      runCli(['demo', '--help']),
      runCli(['demo', '--help'], { BRAZEN_NO_BUNDLE: '1' }),
    ]);
    expect(bundled.code).toBe(0);
    expect(bundled.stdout).toBe(sources.stdout);
    const bundle = fileURLToPath(new URL('../dist/brazen.mjs', import.meta.url));
    const built = statSync(bundle).mtimeMs;
    for (const source of ['../src/main.ts', '../src/demo.ts', '../../store/src/duckdb/store.ts']) {
      expect(statSync(fileURLToPath(new URL(source, import.meta.url))).mtimeMs).toBeLessThanOrEqual(built);
    }
    expect(readFileSync(bundle, 'utf8')).toMatch(/\/\/# sourceMappingURL=brazen\.mjs\.map\n$/);
  });

  it('exits 1 on a runtime failure with a readable message and no stack trace', async () => {
    const data = join(dir, 'demo-data');
    const first = await runCli(['demo', '--users', '20', '--days', '3', '--end', '2024-03-01', '--data', data]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Demo workspace: 20 users, 3 days (2024-02-27 to 2024-02-29)');
    const again = await runCli(['demo', '--users', '20', '--days', '3', '--data', data]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^brazen: the data folder .* already holds \d+ events: build the demo into an empty folder/);
    expect(again.stderr).not.toContain('    at ');

    const broken = join(dir, 'broken.avro');
    writeFileSync(broken, 'this is not avro');
    const bad = await runCli(['import', 'currents', broken, '--data', join(dir, 'import-data')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('broken.avro: not a readable Avro object container file');

    const unreachable = await runCli(['export', 'kpi/dau/data_series', '--url', 'http://127.0.0.1:9', '--key', 'k', '--out', join(dir, 'out')]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('brazen: GET http://127.0.0.1:9/kpi/dau/data_series');
  });
});

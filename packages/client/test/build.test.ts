import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Source from '../src/index.ts';
import { build } from '../scripts/build.ts';
import { at, currents, startBrazen, type Brazen } from './brazen.ts';

type ClientModule = typeof Source;

/**
 * The published package: built from a clean state here (dist/ is not in git), then loaded as ESM
 * and as CommonJS and used against brazen; its declarations are compiled by a consumer project that
 * has neither typebox nor @brazen/contract installed.
 */
describe('the built package', () => {
  let brazen: Brazen;
  // A package folder of its own (package.json + dist/), so that a build running beside it
  // (npm run build) never meets this one, and index.js is ESM by the package's "type".
  const packageDir = mkdtempSync(join(tmpdir(), 'brazen-client-package-'));
  const distDir = join(packageDir, 'dist');
  beforeAll(async () => {
    await build(distDir);
    copyFileSync(new URL('../package.json', import.meta.url), join(packageDir, 'package.json'));
    brazen = await startBrazen();
    await brazen.client().currentsIngest([currents('users.behaviors.app.SessionStart', 'b1', at('2024-03-31T09:00:00'))]);
  }, 240_000);
  afterAll(async () => {
    await brazen?.close();
    rmSync(packageDir, { recursive: true, force: true });
  });

  const file = (name: string) => readFileSync(join(distDir, name), 'utf8');

  const drive = async (module: ClientModule) => {
    const client = new module.BrazeClient({ apiKey: 'client-test-key', baseUrl: brazen.url });
    expect(await client.kpiDauDataSeries({ length: 2, ending_at: '2024-03-31' })).toEqual({
      message: 'success',
      data: [
        { time: '2024-03-30', dau: 0 },
        { time: '2024-03-31', dau: 1 },
      ],
    });
    const error = await client.kpiDauDataSeries({ length: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(module.BrazeApiError);
    expect(error).toMatchObject({ status: 400, brazeMessage: 'length must be an integer between 1 and 100' });
  };

  it('the ESM build drives brazen', async () => {
    await drive((await import(pathToFileURL(join(distDir, 'index.js')).href)) as ClientModule);
  });

  it('the CommonJS build drives brazen', async () => {
    await drive(createRequire(import.meta.url)(join(distDir, 'index.cjs')) as ClientModule);
  });

  it('loads nothing at run time: no import or require in either build', () => {
    expect(file('index.js')).not.toMatch(/^\s*import\s|\bimport\s*\(|\brequire\s*\(/m);
    expect(file('index.cjs')).not.toMatch(/\brequire\s*\(|\bimport\s*\(/);
  });

  it('the declarations stand alone: no import of typebox, @brazen/contract or anything else', () => {
    for (const name of ['index.d.ts', 'index.d.cts']) {
      expect(file(name)).not.toMatch(/^\s*import\s|\bimport\(|typebox/m);
    }
  });

  it('a TypeScript consumer without typebox compiles against the declarations, as ESM and as CommonJS', () => {
    const consumer = mkdtempSync(join(tmpdir(), 'brazen-client-consumer-'));
    try {
      const installed = join(consumer, 'node_modules', '@brazen', 'client');
      mkdirSync(join(installed, 'dist'), { recursive: true });
      copyFileSync(new URL('../package.json', import.meta.url), join(installed, 'package.json'));
      for (const name of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) copyFileSync(join(distDir, name), join(installed, 'dist', name));
      const usage = `
        const client = new BrazeClient({ apiKey: 'k', baseUrl: 'EU-01' });
        export async function use(): Promise<number> {
          const mau = await client.kpiMauDataSeries({ length: 7, ending_at: '2024-03-01' });
          const first: { time: string; mau: number } | undefined = mau.data[0];
          // @ts-expect-error length is required
          await client.kpiDauDataSeries({});
          // @ts-expect-error unit is day or hour
          await client.sessionsDataSeries({ length: 1, unit: 'week' });
          let n = 0;
          for await (const c of client.items('campaignsList', { include_archived: true })) n += c.is_api_campaign ? 1 : 0;
          for await (const p of client.series('canvasDataSeries', { canvas_id: 'x', length: 60 })) n += p.total_stats.entries;
          for await (const u of client.exportSegmentUsers({ segment_id: 's' })) n += u.custom_events?.length ?? 0;
          const statusOf = (error?: BrazeApiError): number => error?.status ?? 0;
          return n + (first?.mau ?? 0) + statusOf() + (client.rateLimit?.remaining ?? 0);
        }`;
      writeFileSync(join(consumer, 'esm.mts'), `import { BrazeClient, type BrazeApiError } from '@brazen/client';\n${usage}`);
      const cjsImport = "import client_ = require('@brazen/client');\nconst { BrazeClient } = client_;\ntype BrazeApiError = client_.BrazeApiError;";
      writeFileSync(join(consumer, 'cjs.cts'), `${cjsImport}\n${usage}`);
      const program = ts.createProgram([join(consumer, 'esm.mts'), join(consumer, 'cjs.cts')], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.asynciterable.d.ts'],
        types: [],
        skipLibCheck: false,
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);
      const resolved = program.getSourceFiles().map((f) => f.fileName.replace(consumer, '')).filter((f) => f.includes('@brazen'));
      expect(resolved.sort()).toEqual(['/node_modules/@brazen/client/dist/index.d.cts', '/node_modules/@brazen/client/dist/index.d.ts']);
    } finally {
      rmSync(consumer, { recursive: true, force: true });
    }
  }, 180_000);
});

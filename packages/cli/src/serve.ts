import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { DuckDbStore, type Workspace } from '@brazen/store';
import { buildApp, hashKey, mergeWorkspace } from '@brazen/server';

export interface ServeOptions {
  port: string;
  host: string;
  data: string;
  workspace?: string;
  log: string;
}

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the Braze Export API from the embedded store in the data folder')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', process.env.PORT ?? '4000')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-d, --data <dir>', 'data folder (one DuckDB file lives there)', process.env.BRAZEN_DATA ?? '.brazen')
    .option('-w, --workspace <file>', 'workspace JSON document to apply at start (SPEC §5)')
    .option('--log <level>', 'log level: fatal, error, warn, info, debug', 'info')
    .addHelpText('after', '\nBRAZEN_API_KEY=KEY makes that key with every permission at start.')
    .action(async (options: ServeOptions) => {
      await serve(options);
    });
}

export async function serve(options: ServeOptions): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (got ${options.port})`);
  const dataDir = resolve(options.data);
  const store = await DuckDbStore.open({ dataDir });
  const app = await buildApp({ store, tmpDir: join(dataDir, 'tmp'), logger: { level: options.log } });
  if (options.workspace) {
    let doc: Workspace;
    try {
      doc = JSON.parse(readFileSync(options.workspace, 'utf8')) as Workspace;
    } catch (error) {
      throw new Error(`--workspace ${options.workspace} cannot be read as JSON: ${(error as Error).message}`);
    }
    try {
      await store.putWorkspace(await mergeWorkspace(await store.getWorkspace(), doc as Record<string, unknown>));
    } catch (error) {
      throw new Error(`--workspace ${options.workspace}: ${(error as Error).message}`);
    }
  }
  const key = process.env.BRAZEN_API_KEY;
  if (key) {
    await store.addApiKey({ name: 'BRAZEN_API_KEY', hash: hashKey(key), permissions: ALL_PERMISSIONS, createdAt: new Date().toISOString() });
  }
  const address = await app.listen({ port, host: options.host });
  process.stdout.write(`brazen listening on ${address} (store: duckdb at ${dataDir})\n`);
  if (!key) process.stdout.write('No BRAZEN_API_KEY given: set one to call the API (BRAZEN_API_KEY=... brazen serve).\n');

  await new Promise<void>((done) => {
    const stop = async (signal: string) => {
      process.stdout.write(`brazen: ${signal}, shutting down\n`);
      await app.close();
      await store.close();
      done();
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}


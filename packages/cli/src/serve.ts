import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { redactStoreUrl, RedisLeases, type Workspace } from '@brazen/store';
import { buildApp, hashKey, loggerOptions, mergeWorkspace, Metrics, RedisRateCounter, type CompatName } from '@brazen/server';
import { memorySize, portNumber, positiveInteger, seconds, uint32 } from './options.ts';
import { prepareDemo, printDemoWelcome, timing, type DemoServeOptions } from './serve-demo.ts';
import { openStore, storeUrl } from './open-store.ts';
import { POLL_INTERVAL_HELP, S3_ENDPOINT_HELP, S3_REGION_HELP } from './import.ts';
import { followCurrentsInServer } from './serve-follow.ts';
import { CurrentsFileError } from './currents-files.ts';
import { parseBucketUrl } from './currents-bucket.ts';

export interface ServeOptions {
  /** From the command line a number; from PORT (the default) a string, checked in `serve`. */
  port: string | number;
  host: string;
  data: string;
  store?: string;
  workspace?: string;
  log: string;
  demo?: boolean;
  redis?: string;
  rateLimits: boolean;
  allowPrivateCallbacks?: boolean;
  memoryLimit?: string;
  keepProfilesAfter: number;
  compat: CompatName;
  faults?: boolean;
  faultsSeed: number;
  followCurrents?: string[];
  s3Endpoint?: string;
  s3Region?: string;
  pollInterval: number;
  /** With --redis: time to live of an export job's lease (seconds). */
  leaseSeconds?: number;
}

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the Braze Export API from the embedded store in the data folder')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', (value: string): number | string => portNumber(value), process.env.PORT ?? '4000')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-d, --data <dir>', 'data folder (one DuckDB file lives there; the server keeps its export files there too)', process.env.BRAZEN_DATA ?? '.brazen')
    .option('--store <url>', 'where the data lives: duckdb:PATH (default: the data folder), clickhouse://[USER[:PASSWORD]@]HOST:HTTP_PORT[,HOST:PORT...]/DATABASE[?cluster=NAME] (BRAZEN_CLICKHOUSE_USER, BRAZEN_CLICKHOUSE_PASSWORD), chdb:PATH', process.env.BRAZEN_STORE)
    .option('-w, --workspace <file>', 'workspace JSON document to apply at start (SPEC §5)')
    .option('--log <level>', 'log level: fatal, error, warn, info, debug', 'info')
    .option('--redis <url>', 'Redis (redis://host:port) shared by several servers on one store: rate limits, and the leases of ingestion batches and export jobs', process.env.BRAZEN_REDIS_URL)
    .option('--lease-seconds <seconds>', 'with --redis: how long a server holds an export job without renewing it (another server takes over a dead one\'s jobs after this)', seconds(3600), 30)
    .option('--no-rate-limits', 'turn off the per-key rate limits')
    .addOption(
      new Option('--compat <profile>', "Braze's limits to hold: current (today's docs: /users/export/ids 250 a minute and 50 ids) or legacy (75 ids, the older rate limits)")
        .choices(['current', 'legacy'])
        .default('current'),
    )
    .option('--faults', 'answer the X-Brazen-Fault header and /admin/faults with faults on demand (429, 500, 502, 503, latency=MS, reset, truncate; ;p=PROBABILITY)')
    .option('--faults-seed <n>', 'seed of the generator ;p= fault rules draw from, so a run repeats exactly', uint32, 1)
    .option('--memory-limit <size>', "DuckDB's memory limit (e.g. 1GB); the server's memory stays flat under it", memorySize, process.env.BRAZEN_MEMORY_LIMIT ?? '1GB')
    .option('--keep-profiles-after <seconds>', 'bring the user profiles exports read up to date once no request came for this long after a change (0: never in the background)', seconds(86_400), 30)
    .option('--allow-private-callbacks', 'let export callback_endpoint URLs reach loopback and private addresses')
    .option('--follow-currents <s3-url...>', 'import each new object of a Currents bucket (s3://BUCKET/PREFIX) once, while serving', bucketUrls)
    .option('--s3-endpoint <url>', S3_ENDPOINT_HELP)
    .option('--s3-region <region>', S3_REGION_HELP)
    .option('--poll-interval <seconds>', POLL_INTERVAL_HELP, positiveInteger(86_400), 60)
    .option('--demo', 'build the demo workspace first when the data folder holds no events, and print a key and example requests')
    .option('--demo-users <n>', 'users of the demo workspace', positiveInteger(16_000_000), 10_000)
    .option('--demo-days <n>', 'days of history of the demo workspace', positiveInteger(3650), 90)
    .option('--demo-seed <seed>', 'seed of the demo workspace', '1')
    .addHelpText(
      'after',
      '\nBRAZEN_API_KEY=KEY makes that key with every permission at start.\n' +
        'With --faults, a request carrying X-Brazen-Fault: 503;p=0.3,latency=200 meets those faults; PUT /admin/faults\n' +
        '{"key_name": "NAME", "rules": "..."} sets them for every request of a key, {"seed": N} starts the draws again.',
    )
    .action(async (options: ServeOptions & DemoServeOptions) => {
      await serve(options);
    });
}

/** `--follow-currents s3://BUCKET/PREFIX...`, each checked (a bad one is bad usage). */
function bucketUrls(value: string, previous: string[] | undefined): string[] {
  try {
    parseBucketUrl(value);
  } catch (error) {
    if (error instanceof CurrentsFileError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return [...(previous ?? []), value];
}

/** The port given on the command line (already checked), or from PORT (checked here, with the same rule). */
function portFrom(value: string | number): number {
  if (typeof value === 'number') return value;
  try {
    return portNumber(value);
  } catch (error) {
    throw new Error(`--port ${(error as Error).message} (got ${value})`);
  }
}

export async function serve(options: ServeOptions & Partial<DemoServeOptions>): Promise<void> {
  const port = portFrom(options.port);
  const dataDir = resolve(options.data);
  const url = storeUrl(options.store, dataDir);
  // Several brazen processes sharing a store share Redis: rate limits, and the leases that make one
  // process at a time store a workspace's batch or run an export job.
  const { Redis } = options.redis ? await import('ioredis') : { Redis: undefined };
  const leases = Redis && options.redis ? new RedisLeases(new Redis(options.redis, { maxRetriesPerRequest: 2 })) : undefined;
  timing('open the store');
  const store = await openStore(url, options.memoryLimit, leases);
  const workspace = store.workspace();
  // Before the demo's build: a write made after it would wait for the rest of it.
  const key = process.env.BRAZEN_API_KEY;
  if (key) {
    await store.keys.addApiKey({ name: 'BRAZEN_API_KEY', workspace: workspace.name, hash: hashKey(key), permissions: ALL_PERMISSIONS, createdAt: new Date().toISOString() });
  }
  // With the demo, the app is built while the store takes its records (this thread is free then).
  let building: ReturnType<typeof buildApp> | undefined;
  const startApp = () => (building ??= makeApp());
  const makeApp = () => {
    const rateCounter = Redis && options.redis ? new RedisRateCounter(new Redis(options.redis, { maxRetriesPerRequest: 2 })) : undefined;
    const app = buildApp({
      store,
      tmpDir: join(dataDir, 'tmp'),
      logger: loggerOptions(options.log),
      rateLimits: options.rateLimits === false ? false : undefined,
      compat: options.compat ?? 'current',
      faults: options.faults ? { seed: options.faultsSeed ?? 1 } : undefined,
      rateCounter,
      metrics: new Metrics(true),
      exports: {
        callback: { allowPrivate: options.allowPrivateCallbacks === true },
        // With other processes on the store, each looks now and then for jobs whose process died.
        ...(leases ? { leases, leaseMs: (options.leaseSeconds ?? 30) * 1000, pollMs: Math.max(500, ((options.leaseSeconds ?? 30) * 1000) / 3) } : {}),
      },
      profiles: { idleMs: options.keepProfilesAfter === 0 ? false : options.keepProfilesAfter * 1000 },
    });
    app.catch(() => undefined); // started while the demo is stored, awaited below
    return app;
  };
  const demo = options.demo
    ? await prepareDemo(store, dataDir, { demoUsers: 10_000, demoDays: 90, demoSeed: '1', ...options }, process.env.BRAZEN_API_KEY, startApp)
    : undefined;
  // The rest of the demo's build goes on while the server starts and answers (each read waits for
  // what it needs).
  const demoComplete = demo?.complete.then(() => timing('demo complete'), (error: unknown) => {
    process.stderr.write(`brazen: the demo build could not be completed: ${(error as Error).message}\n`);
  });
  const app = await startApp();
  if (options.workspace) {
    let doc: Workspace;
    try {
      doc = JSON.parse(readFileSync(options.workspace, 'utf8')) as Workspace;
    } catch (error) {
      throw new Error(`--workspace ${options.workspace} cannot be read as JSON: ${(error as Error).message}`);
    }
    try {
      await workspace.catalog.putWorkspace(await mergeWorkspace(await workspace.catalog.getWorkspace(), doc as Record<string, unknown>));
    } catch (error) {
      throw new Error(`--workspace ${options.workspace}: ${(error as Error).message}`);
    }
  }
  const follower = options.followCurrents?.length
    // Through the workspace's gate: a reset or a restore of it (POST /admin/...) waits for an
    // object being stored, and the follower then writes into the workspace as it is.
    ? followCurrentsInServer(app, app.workspaces.gated(workspace.name), {
      urls: options.followCurrents, endpoint: options.s3Endpoint, region: options.s3Region, intervalMs: (options.pollInterval ?? 60) * 1000,
    })
    : undefined;
  timing('listen');
  const address = await app.listen({ port, host: options.host });
  process.stdout.write(`brazen listening on ${address} (store: ${store.engine} at ${redactStoreUrl(url.replace(/^duckdb:/, ''))})\n`);
  follower?.start();
  if (demo) {
    await printDemoWelcome(app, workspace, address, demo);
    timing('ready');
  } else if (!key) process.stdout.write('No BRAZEN_API_KEY given: set one to call the API (BRAZEN_API_KEY=... brazen serve).\n');

  await new Promise<void>((done) => {
    const stop = async (signal: string) => {
      process.stdout.write(`brazen: ${signal}, shutting down\n`);
      await demoComplete;
      await app.close();
      await store.close();
      await leases?.close();
      done();
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}


import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { DEFAULT_WORKSPACE, type Store } from '@brazen/store';
import { parseIsoInstant } from '@brazen/analytics';
import { installAuth } from './auth.ts';
import { installErrorHandling } from './errors.ts';
import { adminRoutes } from './routes/admin.ts';
import { counterRoutes } from './routes/counters.ts';
import { customDataRoutes } from './routes/custom-data.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { sweepCurrentsBodies } from './ingest/currents.ts';
import { kpiRoutes } from './routes/kpi.ts';
import { segmentRoutes } from './routes/segments.ts';
import { usersExportRoutes } from './routes/users-export.ts';
import type { ExportRunnerOptions } from './export/runner.ts';
import { campaignRoutes } from './routes/campaigns.ts';
import { canvasRoutes } from './routes/canvas.ts';
import { feedRoutes } from './routes/feed.ts';
import { consoleRoutes } from './routes/console.ts';
import { installRateLimits } from './limits/hook.ts';
import { MemoryRateCounter, RateLimiter, type RateCounter, type RateLimitConfig } from './limits/rate-limit.ts';
import { COMPAT_PROFILES, type CompatName } from './limits/profiles.ts';
import { Metrics, installObservability } from './observability.ts';
import { FaultInjectors } from './faults/injector.ts';
import { installFaults } from './faults/hook.ts';
import { faultRoutes } from './routes/faults.ts';
import type { ProfileKeeper, ProfileKeeperOptions } from './export/profile-keeper.ts';
import { randomUUID } from 'node:crypto';
import { WorkspaceContexts } from './workspaces.ts';
import { workspaceRoutes } from './routes/workspaces.ts';

export interface AppOptions {
  store: Store;
  /** Epoch milliseconds; tests inject a fixed clock. */
  now?: () => number;
  /** Where the server keeps its files (exports); defaults to the OS temp folder. */
  tmpDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** Largest JSON body (bytes); /currents has its own, larger limit. */
  bodyLimit?: number;
  currentsBodyLimit?: number;
  /** Braze's limits of today (`current`, the default) or the older ones (`legacy`): rate limits
   * and the most ids a /users/export/ids request may name. */
  compat?: CompatName;
  /** Braze's Custom Currents connector (POST /currents/connector): largest body, and how many batches
   * may wait for the store at once before more are answered 429. */
  connector?: { bodyLimit?: number; maxPendingBatches?: number };
  /** Rate limits (those of the `compat` profile unless given); `false` turns them off. */
  rateLimits?: RateLimitConfig | false;
  /** Where request counts live: in memory by default, Redis when several servers share a store. */
  rateCounter?: RateCounter;
  /** Faults on demand (`X-Brazen-Fault`, /admin/faults) for testing consumers; off unless given.
   * `seed` starts the generator `;p=` rules draw from (default 1). */
  faults?: { seed?: number };
  /** Prometheus metrics; default: a registry of the app's own. */
  metrics?: Metrics;
  /** User exports: where the server keeps them (default TMPDIR/exports), callback retries. */
  exports?: Partial<ExportRunnerOptions>;
  /** When the user profiles that exports read are brought up to date in the background. */
  profiles?: ProfileKeeperOptions;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Brings the default workspace's kept user profiles up to date while the server is quiet
     * (tests wait on it); only when the engine keeps profiles. */
    readonly profileKeeper?: ProfileKeeper;
  }
}

function newAjv(coerceTypes: 'array' | false): Ajv {
  return new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    verbose: true,
    strict: false,
    formats: { iso8601: (value: string) => parseIsoInstant(value, 'UTC') !== undefined },
  });
}

/**
 * A compiled validator or serializer, compiled on its first call. Compiling the schemas of every
 * route takes about half a second, which `brazen serve` would otherwise spend before it listens;
 * a route pays for its own schemas once, on its first request. Ajv's `errors` (which Fastify reads
 * from the function it was given) are passed on.
 */
function whenFirstUsed<F extends (data: never) => unknown>(compile: () => F): F {
  let compiled: F | undefined;
  const run = ((data: never) => {
    compiled ??= compile();
    const result = compiled(data);
    (run as { errors?: unknown }).errors = (compiled as { errors?: unknown }).errors;
    return result;
  }) as F;
  return run;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const tmpDir = options.tmpDir ?? tmpdir();
  mkdirSync(tmpDir, { recursive: true });
  sweepCurrentsBodies(tmpDir);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Fastify's own serializers (fast-json-stringify), each compiled when its route first answers.
    schemaController: {
      compilersFactory: {
        buildSerializer: (...args: Parameters<ReturnType<typeof SerializerSelector>>) => {
          const build = SerializerSelector()(...args);
          return (routeSchema: Parameters<typeof build>[0]) => whenFirstUsed(() => build(routeSchema));
        },
      },
    },
  });
  // Query strings are text: coerce them to the schema's types. Bodies are JSON: never coerce them
  // (a string where an array belongs is an error, not a one-item array).
  const queryAjv = newAjv('array');
  const bodyAjv = newAjv(false);
  app.setValidatorCompiler(({ schema, httpPart }) => whenFirstUsed(() => (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema)));
  const now = options.now ?? Date.now;
  // Each request is served by its key's workspace: its data, definitions, exports and kept profiles.
  const workspaces = new WorkspaceContexts(options.store, {
    now,
    exports: { dir: join(tmpDir, 'exports'), ...options.exports },
    profiles: options.profiles,
    log: app.log,
  });
  app.decorate('workspaces', workspaces);
  app.decorate('exportRunner', { getter: () => workspaces.context().exports });
  app.decorate('profileKeeper', { getter: () => workspaces.keeper() });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'brazen: the Braze Export API, self-hosted',
        version: '0.1.0',
        description: 'Every endpoint of the Braze Export REST API answered from real stored data, plus ingestion and admin.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  installErrorHandling(app);
  installAuth(app, options.store.keys);
  const compat = COMPAT_PROFILES[options.compat ?? 'current'];
  if (options.rateLimits !== false) {
    const limiter = new RateLimiter(options.rateLimits ?? compat.rateLimits, options.rateCounter ?? new MemoryRateCounter());
    installRateLimits(app, limiter, now);
    app.addHook('onClose', () => limiter.close());
  }
  // Through the workspace's gate: during a restore of `default`, /ready waits for it rather than fail.
  installObservability(app, () => workspaces.use(DEFAULT_WORKSPACE, (ctx) => ctx.catalog.getWorkspace()), options.metrics ?? new Metrics(false));
  if (options.faults) {
    const injectors = new FaultInjectors(options.faults.seed ?? 1);
    installFaults(app, { injectors, rateLimits: options.rateLimits || compat.rateLimits, now, metrics: app.metrics });
    faultRoutes(app, injectors);
  }

  // An engine that keeps segments or profiles brings them up to date while the server is quiet: any
  // request makes the server busy; a write (ingestion, a workspace) may leave its workspace's behind.
  app.addHook('onRequest', async () => workspaces.requestArrived());
  app.addHook('onResponse', async (request, reply) => {
    if (request.apiKey && request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 300) workspaces.dataChanged(request.apiKey.workspace);
  });
  // Export jobs left unfinished are picked up, and profiles kept, in every workspace.
  app.addHook('onReady', async () => workspaces.startAll());
  app.addHook('onClose', async () => workspaces.closeAll());

  kpiRoutes(app);
  counterRoutes(app);
  customDataRoutes(app);
  ingestRoutes(app, {
    currentsBodyLimit: options.currentsBodyLimit ?? 512 * 1024 * 1024,
    tmpDir,
    connectorBodyLimit: options.connector?.bodyLimit ?? 64 * 1024 * 1024,
    connectorMaxPending: options.connector?.maxPendingBatches ?? 256,
  });
  adminRoutes(app);
  workspaceRoutes(app);
  segmentRoutes(app);
  usersExportRoutes(app, compat);
  campaignRoutes(app);
  canvasRoutes(app);
  feedRoutes(app);
  consoleRoutes(app);
  return app;
}

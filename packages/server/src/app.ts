import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Store } from '@brazen/store';
import { parseIsoInstant } from '@brazen/analytics';
import { installAuth } from './auth.ts';
import { ApiContext } from './context.ts';
import { installErrorHandling } from './errors.ts';
import { adminRoutes } from './routes/admin.ts';
import { counterRoutes } from './routes/counters.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { kpiRoutes } from './routes/kpi.ts';

export interface AppOptions {
  store: Store;
  /** Epoch milliseconds; tests inject a fixed clock. */
  now?: () => number;
  /** Where request bodies are spooled for the store; defaults to the OS temp folder. */
  tmpDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** Largest JSON body (bytes); /currents has its own, larger limit. */
  bodyLimit?: number;
  currentsBodyLimit?: number;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const tmpDir = options.tmpDir ?? tmpdir();
  mkdirSync(tmpDir, { recursive: true });
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    ajv: {
      customOptions: {
        coerceTypes: 'array',
        removeAdditional: false,
        allErrors: false,
        verbose: true,
        formats: { iso8601: (value: string) => parseIsoInstant(value, 'UTC') !== undefined },
      },
    },
  });
  const ctx = new ApiContext(options.store, options.now ?? Date.now);

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
  installAuth(app, options.store);

  kpiRoutes(app, ctx);
  counterRoutes(app, ctx);
  ingestRoutes(app, ctx, { tmpDir, currentsBodyLimit: options.currentsBodyLimit ?? 512 * 1024 * 1024 });
  adminRoutes(app, ctx);
  return app;
}

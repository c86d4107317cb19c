import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentsConnector, currentsIngest, usersTrack } from '@brazen/contract';
import { StoreError } from '@brazen/store';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ConnectorAdmission, connectorEvents, connectorRecords } from '../ingest/connector.ts';
import { ingestCurrentsStream } from '../ingest/currents.ts';
import { normalizeTrack } from '../ingest/track.ts';
import { rejectionReason } from '../ingest/rejection-reason.ts';
import type { Metrics } from '../observability.ts';
import { route } from './route.ts';

export interface IngestOptions {
  /** Largest /currents body, bytes. */
  currentsBodyLimit: number;
  /** Where /currents bodies are written as they arrive. */
  tmpDir: string;
  /** Largest /currents/connector body, bytes. */
  connectorBodyLimit: number;
  /** Connector batches on their way to the store at once; more are answered 429. */
  connectorMaxPending: number;
}

export function ingestRoutes(app: FastifyInstance, options: IngestOptions): void {
  route(
    app,
    usersTrack,
    async ({ body, request, ctx }) => {
      const ws = await ctx.getWorkspace();
      const currencies = new Set(['USD', ...Object.keys(ws.currency_rates ?? {}).map((c) => c.toUpperCase())]);
      const { batch, errors } = normalizeTrack(body, { now: ctx.now() / 1000, zone: ws.time_zone ?? 'UTC', currencies });
      const result = await ctx.data.track(batch);
      request.server.metrics.ingested.inc({ endpoint: '/users/track' }, result.eventsProcessed + result.purchasesProcessed + result.attributesProcessed);
      countRejected(request.server.metrics, '/users/track', errors.map((e) => rejectionReason(e.type, e.input_array === 'attributes' ? 'attributes' : 'record')));
      return {
        message: 'success',
        attributes_processed: result.attributesProcessed,
        events_processed: result.eventsProcessed,
        purchases_processed: result.purchasesProcessed,
        ...(errors.length > 0 ? { errors } : {}),
      };
    },
    { lenientBody: true },
  );

  // Currents bodies stay bytes: they are parsed by the store's engine, not by JSON.parse, and are
  // read as they arrive into a file, never held whole in memory.
  withRawBody(app, undefined, (scope) => {
    route(
      scope,
      currentsIngest,
      async ({ request, ctx }) => {
        const body = request.body as unknown as AsyncIterable<Buffer> | undefined;
        const result = await ingestCurrentsStream(ctx.data, body, {
          limit: options.currentsBodyLimit, declared: Number(request.headers['content-length']), tmpDir: options.tmpDir,
        });
        request.server.metrics.ingested.inc({ endpoint: '/currents' }, result.stored);
        countRejected(request.server.metrics, '/currents', result.errors.map((e) => rejectionReason(e.message)));
        return {
          message: 'success',
          events_processed: result.stored,
          duplicates: result.duplicates,
          ...(result.errors.length > 0 ? { errors: result.errors.map((e) => ({ index: e.index, message: e.message })) } : {}),
        };
      },
      { lenientBody: true },
    );
  });

  // Braze's Custom Currents connector. Every answer but a 2xx makes Braze send the batch again
  // (it drops one answered 4xx other than 429): a batch is acknowledged once committed, turned
  // away with 429 when the writer is behind and 503 when the store cannot take it now.
  const admission = new ConnectorAdmission(options.connectorMaxPending);
  app.addHook('onClose', async () => admission.close());
  withRawBody(app, options.connectorBodyLimit, (scope) => {
    route(
      scope,
      currentsConnector,
      async ({ request, reply, ctx }) => {
        let leave: () => void;
        try {
          leave = admission.admit();
        } catch (error) {
          reply.header('retry-after', '1');
          throw error;
        }
        try {
          const events = connectorEvents(request.body as unknown as Buffer);
          const { ndjson, positions, errors } = connectorRecords(events);
          let stored = 0;
          let duplicates = 0;
          if (positions.length > 0) {
            const result = await ingestStored(request, reply, () => ctx.data.ingestCurrents({ bytes: Buffer.from(ndjson), format: 'ndjson' }));
            stored = result.stored;
            duplicates = result.duplicates;
            errors.push(...result.errors.map((e) => ({ index: positions[e.index], message: e.message })));
            errors.sort((a, b) => a.index - b.index);
          }
          request.server.metrics.ingested.inc({ endpoint: '/currents/connector' }, stored);
          countRejected(request.server.metrics, '/currents/connector', errors.map((e) => rejectionReason(e.message)));
          return { message: 'success', events_processed: stored, duplicates, ...(errors.length > 0 ? { errors } : {}) };
        } finally {
          leave();
        }
      },
      { lenientBody: true },
    );
  });
}

/** Routes whose bodies reach them as the request's stream of bytes (`bodyLimit` undefined), or as
 * bytes read whole up to `bodyLimit`, whatever their content type. */
function withRawBody(app: FastifyInstance, bodyLimit: number | undefined, routes: (scope: FastifyInstance) => void): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    if (bodyLimit === undefined) scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    else scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
    routes(scope);
  });
}

/** The store's answer; a failure that is not the body's fault becomes a 503 that Braze retries. */
async function ingestStored<T>(request: FastifyRequest, reply: FastifyReply, store: () => Promise<T>): Promise<T> {
  try {
    return await store();
  } catch (error) {
    if ((error instanceof StoreError && error.code === 'invalid_input') || (error instanceof ApiError && error.status < 500)) throw error;
    request.log.error({ err: error }, 'a Currents connector batch could not be stored');
    reply.header('retry-after', '5');
    throw new ApiError(503, 'the batch could not be stored now: send it again later');
  }
}

function countRejected(metrics: Metrics, endpoint: string, reasons: string[]): void {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  for (const [reason, n] of counts) metrics.rejected.inc({ endpoint, reason }, n);
}

import type { FastifyInstance } from 'fastify';
import { currentsIngest, usersTrack } from '@brazen/contract';
import type { ApiContext } from '../context.ts';
import { ingestCurrentsBody } from '../ingest/currents.ts';
import { normalizeTrack } from '../ingest/track.ts';
import { rejectionReason } from '../ingest/rejection-reason.ts';
import type { Metrics } from '../observability.ts';
import { route } from './route.ts';

export interface IngestOptions {
  /** Largest /currents body, bytes. */
  currentsBodyLimit: number;
}

export function ingestRoutes(app: FastifyInstance, ctx: ApiContext, options: IngestOptions): void {
  route(
    app,
    usersTrack,
    async ({ body, request }) => {
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

  // Currents bodies stay bytes: they are parsed by the store's engine, not by JSON.parse.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.currentsBodyLimit }, (_req, body, done) => done(null, body));
    route(
      scope,
      currentsIngest,
      async ({ request }) => {
        const body = request.body as unknown as Buffer;
        const result = await ingestCurrentsBody(ctx.data, body);
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
}

function countRejected(metrics: Metrics, endpoint: string, reasons: string[]): void {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  for (const [reason, n] of counts) metrics.rejected.inc({ endpoint, reason }, n);
}

import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one server; a registry of its own so several apps can live in a process. */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'brazen_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'brazen_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly ingested = new Counter({
    name: 'brazen_ingested_records_total',
    help: 'Records stored by ingestion, by endpoint (duplicates and rejected records excluded)',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'brazen_rejected_records_total',
    help: 'Records rejected one by one by ingestion, by endpoint and reason',
    labelNames: ['endpoint', 'reason'] as const,
    registers: [this.registry],
  });

  readonly faults = new Counter({
    name: 'brazen_faults_total',
    help: 'Faults injected (brazen serve --faults), by rule and route',
    labelNames: ['rule', 'route'] as const,
    registers: [this.registry],
  });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'brazen_' });
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/** /metrics (Prometheus), /health (the process answers) and /ready (the store answers). */
/** `storeAnswers` resolves when the store answers (a read of the default workspace's definitions). */
export function installObservability(app: FastifyInstance, storeAnswers: () => Promise<unknown>, metrics: Metrics): void {
  app.decorate('metrics', metrics);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await storeAnswers();
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ status: 'unavailable', message: 'the store does not answer' });
    }
  });
}

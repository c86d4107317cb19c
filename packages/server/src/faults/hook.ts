import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { tooManyRequests } from '../limits/hook.ts';
import { limitWindow, type RateLimitConfig } from '../limits/rate-limit.ts';
import type { Metrics } from '../observability.ts';
import type { FaultInjectors } from './injector.ts';
import { FaultRuleError, parseFaultRules, planFaults, type FaultRule } from './rules.ts';

export const FAULT_HEADER = 'x-brazen-fault';

export interface FaultOptions {
  injectors: FaultInjectors;
  /** The limits a `429` fault names in its headers (those of the server's profile, counted or not). */
  rateLimits: RateLimitConfig;
  now: () => number;
  metrics: Metrics;
}

/**
 * Faults on demand (`brazen serve --faults`): the rules of the request's key, then those of its
 * `X-Brazen-Fault` header, applied to every authenticated request after its key is checked and
 * counted against the rate limits (a real request would have been), /admin/faults excepted.
 */
export function installFaults(app: FastifyInstance, options: FaultOptions): void {
  const truncated = new WeakSet<FastifyRequest>();

  app.addHook('preValidation', async (request, reply) => {
    const key = request.apiKey;
    const path = request.routeOptions.url ?? request.url;
    if (!key || path.startsWith('/admin/faults')) return;
    const header = request.headers[FAULT_HEADER];
    const injector = options.injectors.of(key.workspace);
    let rules: FaultRule[] = injector.keyRules(key.name);
    if (header !== undefined) {
      try {
        rules = [...rules, ...parseFaultRules(Array.isArray(header) ? header.join(',') : header)];
      } catch (error) {
        if (error instanceof FaultRuleError) throw new ApiError(400, `X-Brazen-Fault ${error.message}`);
        throw error;
      }
    }
    if (rules.length === 0) return;
    const plan = planFaults(rules, injector.draw);
    for (const rule of plan.applied) {
      options.metrics.faults.inc({ rule: rule.kind, route: path });
      request.log.info({ fault: rule.text, route: path }, 'fault injected');
    }
    if (plan.latencyMs > 0) await sleep(plan.latencyMs);
    const outcome = plan.outcome?.kind;
    if (outcome === undefined) return;
    if (outcome === '429') {
      const window = limitWindow(options.rateLimits, path, request.routeOptions.config.ratePool, options.now());
      throw tooManyRequests(reply, { limit: window.limit.limit, reset: window.reset }, path, options.now(), ' (brazen fault 429)');
    }
    if (outcome === 'reset') {
      // No answer at all: the connection goes, as when a load balancer drops it.
      reply.hijack();
      request.raw.socket.destroy();
      return;
    }
    if (outcome === 'truncate') {
      truncated.add(request);
      return;
    }
    throw new ApiError(Number(outcome), `brazen fault ${outcome}: the server answered ${outcome} because X-Brazen-Fault or the key's faults asked for it`);
  });

  // A truncated answer keeps its status, headers and Content-Length, sends the first half of its
  // body, and the connection is closed: the client reads a body that ends too soon.
  app.addHook('onSend', async (request, reply, payload) => {
    if (!truncated.has(request) || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) return payload;
    const body = Buffer.from(payload);
    reply.header('content-length', body.length);
    const half = new Readable({ read() {} });
    half.push(body.subarray(0, Math.floor(body.length / 2)));
    // Once the half is on its way, the stream fails, and Fastify destroys the connection.
    setImmediate(() => half.destroy(new Error('brazen fault truncate: connection closed mid-body')));
    return half;
  });
}

import type { FastifyServerOptions } from 'fastify';

/** Structured logs (pino) with request ids, and no secret in them: the Authorization header and a
 * legacy `api_key` in the query string are redacted. */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
    serializers: {
      req(req: { method: string; url: string; id: string; ip?: string }) {
        return { method: req.method, url: redactUrl(req.url), reqId: req.id, remoteAddress: req.ip };
      },
    },
  };
}

export function redactUrl(url: string): string {
  return url.replace(/([?&]api_key=)[^&]*/gi, '$1[redacted]');
}

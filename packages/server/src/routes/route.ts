import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Endpoint } from '@brazen/contract';
import type { Static, TSchema } from 'typebox';

type Maybe<T> = T extends TSchema ? Static<T> : undefined;

export interface RouteInput<E extends Endpoint> {
  query: Maybe<E['querystring']>;
  body: Maybe<E['body']>;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteOptions {
  /** Validate the body in the handler instead (per-object errors rather than a 400 for the whole). */
  lenientBody?: boolean;
}

/** Registers one endpoint of the contract: its schemas validate the request and serialize the answer. */
export function route<E extends Endpoint>(
  app: FastifyInstance,
  endpoint: E,
  handler: (input: RouteInput<E>) => Promise<Static<E['response']>>,
  options: RouteOptions = {},
): void {
  const status = endpoint.status ?? 200;
  app.withTypeProvider<TypeBoxTypeProvider>().route({
    method: endpoint.method,
    url: endpoint.path,
    config: { permission: endpoint.permission, ratePool: endpoint.ratePool },
    attachValidation: options.lenientBody === true,
    schema: {
      summary: endpoint.summary,
      tags: [endpoint.tag],
      security: [{ bearer: [] }],
      ...(endpoint.querystring ? { querystring: endpoint.querystring } : {}),
      ...(endpoint.body ? { body: endpoint.body } : {}),
      response: { [status]: endpoint.response },
    },
    handler: async (request, reply) => {
      const result = await handler({
        query: request.query as Maybe<E['querystring']>,
        body: request.body as Maybe<E['body']>,
        request,
        reply,
      });
      reply.status(status);
      return result;
    },
  });
}

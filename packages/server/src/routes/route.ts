import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Endpoint } from '@brazen/contract';
import type { Static, TSchema } from 'typebox';
import { DEFAULT_WORKSPACE } from '@brazen/store';
import type { ApiContext } from '../context.ts';

type Maybe<T> = T extends TSchema ? Static<T> : undefined;

export interface RouteInput<E extends Endpoint> {
  params: Maybe<E['params']>;
  query: Maybe<E['querystring']>;
  body: Maybe<E['body']>;
  request: FastifyRequest;
  reply: FastifyReply;
  /** The workspace of the request's API key: the only one the request can read or change. */
  ctx: ApiContext;
}

export interface RouteOptions {
  /** Validate the body in the handler instead (per-object errors rather than a 400 for the whole). */
  lenientBody?: boolean;
  /** The handler changes its workspace as a whole (reset, snapshots) through
   * `workspaces.change`, which waits for the workspace's other requests: it holds none itself. */
  changesWorkspace?: boolean;
  /** A request with no body at all is taken as `{}` (every field of the body is optional, or a
   * missing one is better named than "body must be an object"). */
  optionalBody?: boolean;
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
    ...(options.optionalBody ? {
      preValidation: async (request: FastifyRequest) => {
        request.body ??= {};
      },
    } : {}),
    schema: {
      summary: endpoint.summary,
      tags: [endpoint.tag],
      security: [{ bearer: [] }],
      ...(endpoint.params ? { params: endpoint.params } : {}),
      ...(endpoint.querystring ? { querystring: endpoint.querystring } : {}),
      ...(endpoint.body ? { body: endpoint.body } : {}),
      response: { [status]: endpoint.response },
    },
    // The handler runs in its workspace: a reset or a restore of that workspace waits for it to
    // finish, and it waits for one under way.
    handler: async (request, reply) => {
      const workspace = request.apiKey?.workspace ?? DEFAULT_WORKSPACE;
      const run = async (ctx: ApiContext) => {
        const result = await handler({
          params: request.params as Maybe<E['params']>,
          query: request.query as Maybe<E['querystring']>,
          body: request.body as Maybe<E['body']>,
          request,
          reply,
          ctx,
        });
        reply.status(status);
        return result;
      };
      const { workspaces } = request.server;
      return options.changesWorkspace ? run(workspaces.context(workspace)) : workspaces.use(workspace, run);
    },
  });
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { consoleFiles, type ConsoleFiles } from '@brazen/console';

/**
 * GET / serves the console (packages/console): a page that reads this API with a key, like any
 * other consumer. Its script and stylesheet are named by their hash and cached for a year; the page
 * itself is revalidated (ETag), so a new build is picked up on the next load. Nothing is fetched
 * from another host, which the Content-Security-Policy also says.
 */
export function consoleRoutes(app: FastifyInstance): void {
  let files: Promise<ConsoleFiles> | undefined;
  const load = () => {
    files ??= consoleFiles().catch((error: unknown) => {
      files = undefined;
      throw error;
    });
    return files;
  };
  // A listening server builds (or reads) the files at once, so the first visit does not wait.
  app.addHook('onListen', async () => {
    load().catch((error: unknown) => app.log.error({ err: error }, 'the console could not be built'));
  });

  const send = async (path: string, request: FastifyRequest, reply: FastifyReply) => {
    const file = (await load()).get(path);
    if (!file) return reply.status(404).send({ message: `no endpoint GET ${request.url}` });
    reply
      .header('content-type', file.contentType)
      .header('etag', file.etag)
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('x-content-type-options', 'nosniff');
    if (path === '/') {
      reply
        .header('content-security-policy', "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
        .header('referrer-policy', 'no-referrer');
    }
    if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
    return reply.send(file.body);
  };
  app.get('/', { schema: { hide: true } }, (request, reply) => send('/', request, reply));
  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, (request, reply) => send(`/assets/${request.params.file}`, request, reply));
}

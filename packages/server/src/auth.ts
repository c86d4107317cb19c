import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyRecord, KeyCatalog } from '@brazen/store';
import { ApiError } from './errors.ts';

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** A new REST API key in Braze's form (a UUID). */
export const newApiKey = (): string => {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Braze permission the key needs; routes without one are public (docs, health). */
    permission?: string;
  }
  interface FastifyRequest {
    apiKey?: ApiKeyRecord;
  }
  interface FastifyInstance {
    /** Forgets the keys this server has cached, after keys were removed. */
    forgetApiKeys(): void;
  }
}

/** The key of a request: `Authorization: Bearer KEY`, or Braze's legacy `api_key` (query or JSON body). */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match) return match[1].trim();
  }
  const query = request.query as Record<string, unknown> | undefined;
  if (query && typeof query.api_key === 'string') return query.api_key;
  const body = request.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body) && typeof body.api_key === 'string') return body.api_key;
  return undefined;
}

/** Checks key and permission before validation, so a caller without a key learns nothing else. */
export function installAuth(app: FastifyInstance, keys: KeyCatalog): void {
  const cache = new Map<string, { key: ApiKeyRecord | undefined; at: number }>();
  // Known keys are cached briefly (several servers may share a store); unknown ones never are, so
  // random keys cannot grow the cache.
  const lookup = async (hash: string) => {
    const hit = cache.get(hash);
    if (hit && Date.now() - hit.at < 30_000) return hit.key;
    const key = await keys.findApiKey(hash);
    if (key) {
      if (cache.size >= 10_000) cache.clear();
      cache.set(hash, { key, at: Date.now() });
    }
    return key;
  };
  app.decorate('forgetApiKeys', () => cache.clear());
  app.addHook('preValidation', async (request) => {
    const permission = request.routeOptions.config.permission;
    if (!permission) return;
    const presented = presentedKey(request);
    if (!presented) throw new ApiError(401, 'missing REST API key: send Authorization: Bearer YOUR-REST-API-KEY');
    const hash = hashKey(presented);
    const key = await lookup(hash);
    if (!key || !timingSafeEqual(Buffer.from(key.hash, 'hex'), Buffer.from(hash, 'hex'))) {
      throw new ApiError(401, 'unknown REST API key');
    }
    if (!key.permissions.includes(permission)) {
      throw new ApiError(403, `this API key does not have the ${permission} permission`);
    }
    request.apiKey = key;
  });
}

import type { FastifyInstance } from 'fastify';
import { adminCreateApiKey, adminGetWorkspace, adminListApiKeys, adminPutWorkspace, ALL_PERMISSIONS } from '@brazen/contract';
import type { Workspace } from '@brazen/store';
import { hashKey, newApiKey } from '../auth.ts';
import { checkTimeZone, type ApiContext } from '../context.ts';
import { badRequest } from '../errors.ts';
import { checkSegmentDefinitions } from '../segment-definitions.ts';
import { checkCustomDataDefinition } from '../custom-data/definitions.ts';
import { route } from './route.ts';

const COLLECTIONS = ['apps', 'campaigns', 'canvases', 'segments', 'cards'] as const;
/** Definitions of custom data, upserted by name (Braze names custom events and attributes, no ids). */
const NAMED_COLLECTIONS = ['custom_events', 'custom_attributes'] as const;

export function adminRoutes(app: FastifyInstance): void {
  route(app, adminCreateApiKey, async ({ body, ctx }) => {
    const unknown = body.permissions.filter((p) => !ALL_PERMISSIONS.includes(p));
    if (unknown.length > 0) throw badRequest(`permissions has unknown permission ${unknown.join(', ')}`);
    const key = newApiKey();
    await ctx.keys.addApiKey({ name: body.name, workspace: ctx.store.name, hash: hashKey(key), permissions: body.permissions, createdAt: new Date(ctx.now()).toISOString() });
    return { message: 'success', name: body.name, key, permissions: body.permissions };
  });

  // Names, permissions and dates only: the key was shown once, and its hash stays in the store.
  route(app, adminListApiKeys, async ({ ctx }) => ({
    message: 'success',
    api_keys: (await ctx.keys.listApiKeys(ctx.store.name)).map((k) => ({ name: k.name, permissions: k.permissions, created_at: k.createdAt })),
  }));

  route(app, adminGetWorkspace, async ({ ctx }) => ({ message: 'success', time_zone: 'UTC', ...(await ctx.getWorkspace()) }) as never);

  route(app, adminPutWorkspace, async ({ body, ctx }) => {
    const ws = await mergeWorkspace(await ctx.catalog.getWorkspace(), body as unknown as Record<string, unknown>);
    await ctx.putWorkspace(ws);
    return { message: 'success', time_zone: 'UTC', ...ws } as never;
  });
}

/** Upserts each object by id into the stored document; settings given replace the stored ones. */
export async function mergeWorkspace(current: Workspace, patch: Record<string, unknown>): Promise<Workspace> {
  checkSegmentDefinitions(patch);
  const next: Workspace = structuredClone(current);
  const { api_key: _key, ...rest } = patch;
  for (const [key, value] of Object.entries(rest)) {
    if ((COLLECTIONS as readonly string[]).includes(key) || (NAMED_COLLECTIONS as readonly string[]).includes(key)) continue;
    if (key === 'time_zone') next.time_zone = checkTimeZone(value);
    else if (key === 'currency_rates') next.currency_rates = checkRates(value);
    else next[key] = value;
  }
  for (const name of COLLECTIONS) {
    const given = rest[name];
    if (given === undefined) continue;
    if (!Array.isArray(given)) throw badRequest(`${name} must be an array`);
    const list = [...(next[name] as Array<Record<string, unknown>>)];
    given.forEach((item, i) => {
      if (typeof item !== 'object' || item === null || typeof (item as { id?: unknown }).id !== 'string' || !(item as { id: string }).id) {
        throw badRequest(`${name}[${i}].id is required and must be a non-empty string`);
      }
      const at = list.findIndex((x) => x.id === (item as { id: string }).id);
      if (at >= 0) list[at] = item as Record<string, unknown>;
      else list.push(item as Record<string, unknown>);
    });
    (next as Record<string, unknown>)[name] = list;
  }
  for (const name of NAMED_COLLECTIONS) {
    const given = rest[name];
    if (given === undefined) continue;
    if (!Array.isArray(given)) throw badRequest(`${name} must be an array`);
    const list = [...((next[name] as Array<Record<string, unknown>> | undefined) ?? [])];
    given.forEach((item, i) => {
      const definition = checkCustomDataDefinition(name, item, i);
      const at = list.findIndex((x) => x.name === definition.name);
      if (at >= 0) list[at] = definition;
      else list.push(definition);
    });
    next[name] = list;
  }
  return next;
}

function checkRates(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('currency_rates must be an object of currency: USD per unit');
  const out: Record<string, number> = {};
  for (const [code, rate] of Object.entries(value)) {
    if (!/^[A-Za-z]{3}$/.test(code)) throw badRequest(`currency_rates.${code} must be named by an ISO 4217 code`);
    if (typeof rate !== 'number' || !(rate > 0)) throw badRequest(`currency_rates.${code} must be a positive number`);
    out[code.toUpperCase()] = rate;
  }
  return out;
}

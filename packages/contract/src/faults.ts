import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, Message } from './common.ts';

/**
 * Faults on demand for testing consumers (`brazen serve --faults`). These endpoints exist only on
 * a server started with `--faults`, so they are not among `endpoints` (which every server answers).
 */

const Rules = Type.String({
  description: 'Comma-separated rules: 429, 500, 502, 503, latency=MS, reset, truncate, each optionally ;p=PROBABILITY (e.g. "503;p=0.1,latency=200"); empty clears',
});

export const FaultsState = Type.Object({
  message: Message,
  seed: Type.Integer({ description: 'Seed of the generator every ;p= rule draws from' }),
  draws: Type.Integer({ minimum: 0, description: 'Numbers drawn since the generator was seeded' }),
  faults: Type.Array(Type.Object({ key_name: Type.String(), rules: Type.String() }), { description: 'Rules set per API key name' }),
});

export const PutFaultsBody = Type.Object({
  api_key: ApiKeyParam,
  key_name: Type.Optional(Type.String({ minLength: 1, description: 'Name of the API key(s) the rules apply to' })),
  rules: Type.Optional(Rules),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: 'Start the generator again from this seed' })),
});

export const adminGetFaults = defineEndpoint({
  method: 'GET',
  path: '/admin/faults',
  permission: 'admin',
  summary: 'Faults set per API key, and the state of the seeded generator (only with --faults)',
  tag: 'Admin',
  querystring: Type.Object({ api_key: ApiKeyParam }),
  response: FaultsState,
});

export const adminPutFaults = defineEndpoint({
  method: 'PUT',
  path: '/admin/faults',
  permission: 'admin',
  summary: "Set an API key's faults, or seed the generator again (only with --faults)",
  tag: 'Admin',
  body: PutFaultsBody,
  response: FaultsState,
});

/** The endpoints a server started with `--faults` adds. */
export const faultEndpoints = { adminGetFaults, adminPutFaults } as const;

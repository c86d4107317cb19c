import fc from 'fast-check';
import type { Endpoint } from '@brazen/contract';
import type { FastifyInstance } from 'fastify';

/** Values a confused or hostile client sends. */
const junk = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer().map(String),
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom('', '0', '-1', '101', '1e309', 'null', 'true', 'day', 'hour', 'desc', '2024-02-30', '2024-03-01T25:00:00Z', '9999-12-31', 'x'.repeat(5000), '%00', "' OR 1=1 --"),
  fc.date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2200-01-01') }).map((d) => d.toISOString()),
);

const jsonValue = fc.jsonValue({ maxDepth: 3 });

function propertyNames(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

/** A request for an endpoint: known parameters with junk values, plus unknown ones. */
export function requestArbitrary(endpoint: Endpoint) {
  const names = propertyNames(endpoint.querystring).filter((n) => n !== 'api_key');
  const query = fc.dictionary(fc.oneof(fc.constantFrom(...(names.length ? names : ['page'])), fc.string({ maxLength: 8 })), junk, { maxKeys: 6 });
  const bodyNames = propertyNames(endpoint.body).filter((n) => n !== 'api_key');
  const body = fc.oneof(
    fc.dictionary(fc.oneof(fc.constantFrom(...(bodyNames.length ? bodyNames : ['x'])), fc.string({ maxLength: 8 })), jsonValue, { maxKeys: 5 }),
    jsonValue,
    fc.string(),
  );
  return fc.record({ query, body });
}

export interface FuzzOutcome {
  status: number;
  message: unknown;
}

export async function send(app: FastifyInstance, endpoint: Endpoint, key: string, req: { query: Record<string, string>; body: unknown }): Promise<FuzzOutcome> {
  const search = new URLSearchParams(req.query).toString();
  const res = await app.inject({
    method: endpoint.method,
    url: `${endpoint.path}${search ? `?${search}` : ''}`,
    headers: { authorization: `Bearer ${key}`, ...(endpoint.method === 'GET' ? {} : { 'content-type': 'application/json' }) },
    payload: endpoint.method === 'GET' ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body),
  });
  let message: unknown;
  try {
    message = res.json().message;
  } catch {
    message = undefined;
  }
  return { status: res.statusCode, message };
}

/** The rule: never a 5xx; a 4xx says what is wrong, naming the parameter when one is at fault. */
export function acceptable(endpoint: Endpoint, req: { query: Record<string, string>; body: unknown }, out: FuzzOutcome): boolean {
  if (out.status >= 500) return false;
  if (out.status < 400) return true;
  if (typeof out.message !== 'string' || out.message.length === 0) return false;
  if (out.status !== 400) return true;
  const names = [...Object.keys(req.query), ...propertyNames(endpoint.querystring), ...propertyNames(endpoint.body), 'body', 'length', 'starting_at', 'ending_at', 'global_control_group'];
  return names.some((n) => n && (out.message as string).includes(n));
}

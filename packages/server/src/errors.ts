import type { FastifyError, FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { StoreError } from '@brazen/store';

/** An error a route raises on purpose: its status and message reach the caller as they are. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown[],
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new ApiError(400, message);

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  parentSchema?: TSchema;
  message?: string;
}

/** `length must be an integer between 1 and 100`: the parameter, and what it must be. */
export function describeValidation(errors: AjvError[], dataVar: string, root?: TSchema): string {
  // A union (`unit`: day | hour) fails once per branch and then as a whole: describe the whole.
  const e = errors.find((x) => x.keyword === 'anyOf') ?? errors[0];
  if (!e) return `${dataVar} is not valid`;
  if (e.keyword === 'required') return `${joinPath(e.instancePath, String(e.params.missingProperty))} is required`;
  if (e.keyword === 'additionalProperties') {
    return `${joinPath(e.instancePath, String(e.params.additionalProperty))} is not a known field`;
  }
  const name = joinPath(e.instancePath) || dataVar;
  const schema = propertySchema(root, e.instancePath) ?? e.parentSchema;
  return `${name} must be ${expectation(schema, e)}`;
}

function joinPath(instancePath: string, last?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (last !== undefined) parts.push(last);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function propertySchema(root: TSchema | undefined, instancePath: string): TSchema | undefined {
  let node: TSchema | undefined = root;
  for (const part of instancePath.split('/').filter(Boolean)) {
    if (!node) return undefined;
    const n = node as { properties?: Record<string, TSchema>; items?: TSchema };
    node = /^\d+$/.test(part) && n.items ? n.items : n.properties?.[part];
  }
  return node;
}

function expectation(schema: TSchema | undefined, e: AjvError): string {
  const s = (schema ?? {}) as Record<string, unknown>;
  const literals = (s.anyOf as Array<Record<string, unknown>> | undefined)?.map((x) => x.const).filter((x) => x !== undefined);
  if (literals && literals.length > 0) return `one of ${literals.join(', ')}`;
  if (s.type === 'integer') {
    if (s.minimum !== undefined && s.maximum !== undefined) return `an integer between ${s.minimum} and ${s.maximum}`;
    if (s.minimum !== undefined) return `an integer of at least ${s.minimum}`;
    if (s.maximum !== undefined) return `an integer of at most ${s.maximum}`;
    return 'an integer';
  }
  if (s.type === 'number') return 'a number';
  if (s.type === 'boolean') return 'true or false';
  if (s.format === 'iso8601') return 'an ISO 8601 date or date-time (e.g. 2024-03-01T23:59:59-05:00)';
  if (s.type === 'array') {
    if (e.keyword === 'maxItems') return `an array of at most ${s.maxItems} items`;
    if (e.keyword === 'minItems') return `an array of at least ${s.minItems} items`;
    return 'an array';
  }
  if (s.type === 'string') {
    if (e.keyword === 'maxLength') return `a string of at most ${s.maxLength} characters`;
    if (e.keyword === 'minLength') return `a non-empty string`;
    return 'a string';
  }
  if (s.type === 'object') return 'an object';
  return e.message ?? 'valid';
}

/** What a caller sees of an engine's error: its input was wrong, try again later, or not here. */
export const STORE_ERROR_STATUS: Record<StoreError['code'], number> = {
  invalid_input: 400,
  unavailable: 503,
  capability_missing: 501,
  not_found: 404,
  conflict: 409,
};

export function installErrorHandling(app: FastifyInstance): void {
  app.setSchemaErrorFormatter((errors, dataVar) => {
    const err = new Error(describeValidation(errors as unknown as AjvError[], dataVar)) as Error & { statusCode: number };
    err.statusCode = 400;
    return err;
  });
  app.setErrorHandler((error: FastifyError | ApiError | StoreError, request, reply) => {
    if (error instanceof ApiError || error instanceof StoreError) {
      const status = error instanceof ApiError ? error.status : STORE_ERROR_STATUS[error.code];
      // An engine that cannot take the work now: a sender may try again in a second.
      if (error instanceof StoreError && error.code === 'unavailable') reply.header('retry-after', '1');
      return reply.status(status).send(error.errors ? { message: error.message, errors: error.errors } : { message: error.message });
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.status(status).send({ message: bodyMessage(error as FastifyError) });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ message: 'internal error; the request id is ' + request.id });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ message: `no endpoint ${request.method} ${request.url.split('?')[0]}` }),
  );
}

/** Fastify's own request errors, reworded to name what is wrong the way brazen's do. */
function bodyMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'body must be a JSON object (it is empty)';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return `body is not valid JSON: ${error.message}`;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `body is too large: ${error.message}`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `body must be sent as application/json (${error.message})`;
    default:
      return error.message;
  }
}

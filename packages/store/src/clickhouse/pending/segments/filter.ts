/**
 * Segment filters (SPEC §5): a JSON tree of `and`, `or`, `not` and leaves. This module is the
 * type and its validation; `describe.ts` says a filter in words and `sql.ts` evaluates it.
 */

export const ATTRIBUTE_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists', 'not_exists'] as const;
export const COUNT_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;

export type AttributeOp = (typeof ATTRIBUTE_OPS)[number];
export type CountOp = (typeof COUNT_OPS)[number];
export type Scalar = string | number | boolean;

export interface AttributeLeaf {
  attribute: string;
  op: AttributeOp;
  /** A scalar; an array of scalars for `in`; absent for `exists` and `not_exists`. */
  value?: Scalar | Scalar[];
}
export interface CustomEventLeaf {
  custom_event: string;
  op: CountOp;
  count: number;
  within_days?: number;
}
export interface PurchasedLeaf {
  /** A product id, or null for any product. */
  purchased: string | null;
  op: CountOp;
  count: number;
  within_days?: number;
}
export interface LastSessionLeaf {
  last_session_within_days: number;
}
export interface SessionCountLeaf {
  session_count: { op: CountOp; value: number };
}
export interface ReceivedCampaignLeaf {
  received_campaign: string;
  within_days?: number;
}
export interface RandomBucketLeaf {
  random_bucket: { gte?: number; lte?: number };
}

export type SegmentLeaf =
  | AttributeLeaf | CustomEventLeaf | PurchasedLeaf | LastSessionLeaf | SessionCountLeaf | ReceivedCampaignLeaf | RandomBucketLeaf;

export type SegmentFilter = { and: SegmentFilter[] } | { or: SegmentFilter[] } | { not: SegmentFilter } | SegmentLeaf;

/** Bad filter: `path` names the offending part, e.g. `segments[0].filter.and[1].op`. */
export class FilterError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path} ${reason}`);
  }
}

const LEAF_KEYS = {
  attribute: ['attribute', 'op', 'value'],
  custom_event: ['custom_event', 'op', 'count', 'within_days'],
  purchased: ['purchased', 'op', 'count', 'within_days'],
  last_session_within_days: ['last_session_within_days'],
  session_count: ['session_count'],
  received_campaign: ['received_campaign', 'within_days'],
  random_bucket: ['random_bucket'],
} as const;
const KINDS = ['and', 'or', 'not', ...Object.keys(LEAF_KEYS)];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Checks a filter as written in the workspace document and returns it typed. */
export function parseSegmentFilter(value: unknown, path = 'filter'): SegmentFilter {
  if (!isObject(value)) throw new FilterError(path, 'must be an object such as {"and": [...]} or a leaf such as {"attribute": ...}');
  const kinds = Object.keys(value).filter((k) => KINDS.includes(k));
  if (kinds.length !== 1) {
    throw new FilterError(path, kinds.length === 0
      ? `must have one of the keys ${KINDS.join(', ')}`
      : `must have only one of the keys ${kinds.join(', ')}`);
  }
  const kind = kinds[0];
  if (kind === 'and' || kind === 'or') {
    only(value, [kind], path);
    const list = value[kind];
    if (!Array.isArray(list) || list.length === 0) throw new FilterError(`${path}.${kind}`, 'must be a non-empty array of filters');
    return { [kind]: list.map((f, i) => parseSegmentFilter(f, `${path}.${kind}[${i}]`)) } as SegmentFilter;
  }
  if (kind === 'not') {
    only(value, ['not'], path);
    return { not: parseSegmentFilter(value.not, `${path}.not`) };
  }
  only(value, LEAF_KEYS[kind as keyof typeof LEAF_KEYS], path);
  switch (kind) {
    case 'attribute': return attributeLeaf(value, path);
    case 'custom_event': return { custom_event: name(value, 'custom_event', path), ...counted(value, path) };
    case 'purchased': {
      const product = value.purchased === null ? null : name(value, 'purchased', path);
      return { purchased: product, ...counted(value, path) };
    }
    case 'last_session_within_days':
      return { last_session_within_days: days(value.last_session_within_days, `${path}.last_session_within_days`) };
    case 'session_count': {
      const sc = value.session_count;
      if (!isObject(sc)) throw new FilterError(`${path}.session_count`, 'must be an object {"op": "gte", "value": 10}');
      only(sc, ['op', 'value'], `${path}.session_count`);
      return { session_count: { op: countOp(sc.op, `${path}.session_count.op`), value: count(sc.value, `${path}.session_count.value`) } };
    }
    case 'received_campaign': {
      const leaf: ReceivedCampaignLeaf = { received_campaign: name(value, 'received_campaign', path) };
      if (value.within_days !== undefined) leaf.within_days = days(value.within_days, `${path}.within_days`);
      return leaf;
    }
    default: return randomBucket(value.random_bucket, `${path}.random_bucket`);
  }
}

function only(o: Record<string, unknown>, allowed: readonly string[], path: string): void {
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new FilterError(`${path}.${extra}`, `is not a known field here (allowed: ${allowed.join(', ')})`);
}

function name(o: Record<string, unknown>, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new FilterError(`${path}.${key}`, 'must be a non-empty string');
  return v;
}

function countOp(v: unknown, path: string): CountOp {
  if (typeof v !== 'string' || !(COUNT_OPS as readonly string[]).includes(v)) throw new FilterError(path, `must be one of ${COUNT_OPS.join(', ')}`);
  return v as CountOp;
}

function count(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new FilterError(path, 'must be an integer of at least 0');
  return v;
}

function days(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 3650) throw new FilterError(path, 'must be an integer number of days between 1 and 3650');
  return v;
}

/** `op` defaults to gte and `count` to 1: `{"custom_event": "Played"}` is "performed Played at least once". */
function counted(o: Record<string, unknown>, path: string): { op: CountOp; count: number; within_days?: number } {
  const out: { op: CountOp; count: number; within_days?: number } = {
    op: o.op === undefined ? 'gte' : countOp(o.op, `${path}.op`),
    count: o.count === undefined ? 1 : count(o.count, `${path}.count`),
  };
  if (o.within_days !== undefined) out.within_days = days(o.within_days, `${path}.within_days`);
  return out;
}

function attributeLeaf(o: Record<string, unknown>, path: string): AttributeLeaf {
  const attribute = name(o, 'attribute', path);
  if (typeof o.op !== 'string' || !(ATTRIBUTE_OPS as readonly string[]).includes(o.op)) {
    throw new FilterError(`${path}.op`, `must be one of ${ATTRIBUTE_OPS.join(', ')}`);
  }
  const op = o.op as AttributeOp;
  if (op === 'exists' || op === 'not_exists') {
    if (o.value !== undefined) throw new FilterError(`${path}.value`, `must be left out with op ${op}`);
    return { attribute, op };
  }
  if (op === 'in') {
    if (!Array.isArray(o.value) || o.value.length === 0 || !o.value.every(isScalar)) {
      throw new FilterError(`${path}.value`, 'must be a non-empty array of strings, numbers or booleans with op in');
    }
    return { attribute, op, value: o.value };
  }
  if (!isScalar(o.value)) throw new FilterError(`${path}.value`, `must be a string, number or boolean with op ${op}`);
  if (['gt', 'gte', 'lt', 'lte'].includes(op) && typeof o.value === 'boolean') {
    throw new FilterError(`${path}.value`, `must be a number or a string with op ${op}`);
  }
  if (op === 'contains' && typeof o.value === 'boolean') throw new FilterError(`${path}.value`, 'must be a string or a number with op contains');
  return { attribute, op, value: o.value };
}

function randomBucket(v: unknown, path: string): RandomBucketLeaf {
  if (!isObject(v)) throw new FilterError(path, 'must be an object {"gte": 0, "lte": 4999}');
  only(v, ['gte', 'lte'], path);
  const bound = (key: 'gte' | 'lte') => {
    const b = v[key];
    if (b === undefined) return undefined;
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 9999) throw new FilterError(`${path}.${key}`, 'must be an integer between 0 and 9999');
    return b;
  };
  const gte = bound('gte');
  const lte = bound('lte');
  if (gte === undefined && lte === undefined) throw new FilterError(path, 'must have gte, lte or both');
  if (gte !== undefined && lte !== undefined && gte > lte) throw new FilterError(`${path}.gte`, 'must not be greater than lte');
  return { random_bucket: { ...(gte !== undefined ? { gte } : {}), ...(lte !== undefined ? { lte } : {}) } };
}

/** The random bucket number (0–9999) of a user: a stable function of the braze_id, the same on
 * every store: the first 8 hex digits of md5(braze_id), modulo 10,000. */
export const RANDOM_BUCKET_DEFINITION = 'first 8 hexadecimal digits of md5(braze_id), as an integer, modulo 10000';

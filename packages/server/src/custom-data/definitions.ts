import { byCodePoint, parseIsoInstant } from '@brazen/analytics';
import { CUSTOM_ATTRIBUTE_DATA_TYPES } from '@brazen/contract';
import type { CustomAttributeSample, Workspace } from '@brazen/store';
import { badRequest } from '../errors.ts';

/**
 * The items of GET /events and GET /custom_attributes: names recorded in the store and names the
 * workspace document defines (Braze lets a dashboard pre-populate them), with what the document
 * says about each (description, status, tags; a forced data type), in code-point order.
 */

export type CustomDataType = (typeof CUSTOM_ATTRIBUTE_DATA_TYPES)[number];

/** Braze's default for the most items a custom attribute array keeps. */
export const DEFAULT_ARRAY_LENGTH = 25;

interface Definition {
  name: string;
  description?: string | null;
  status?: string;
  tag_names?: string[];
  included_in_analytics_report?: boolean;
  data_type?: string;
  array_length?: number | null;
}

export interface CustomEventItem {
  name: string;
  description: string | null;
  included_in_analytics_report: boolean;
  status: string;
  tag_names: string[];
}

export interface CustomAttributeItem {
  name: string;
  description: string | null;
  data_type: string;
  array_length: number | null;
  status: string;
  tag_names: string[];
}

/** A date as Braze's /users/track takes one (`2024-03-01`, `2024-03-01T10:00:00Z`, with an offset or
 * fractional seconds; brazen stores `{"$time": ...}` values in that form too). */
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** The data type Braze gives a custom attribute from the first value it receives. */
export function dataTypeOf(value: unknown): CustomDataType {
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'number') return 'Number';
  if (typeof value === 'string') return DATE_LIKE.test(value) && parseIsoInstant(value.replace(' ', 'T'), 'UTC') !== undefined ? 'Time' : 'String';
  if (Array.isArray(value)) {
    const objects = value.length > 0 && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    return objects ? 'Array of Objects' : 'Array';
  }
  return 'Object';
}

const definitionsOf = (ws: Workspace, key: 'custom_events' | 'custom_attributes'): Map<string, Definition> =>
  new Map(((ws[key] as Definition[] | undefined) ?? []).map((d) => [d.name, d]));

/** Names recorded and defined, each once, in code-point order. */
function mergedNames(recorded: Iterable<string>, defined: Map<string, Definition>): string[] {
  return [...new Set([...recorded, ...defined.keys()])].sort(byCodePoint);
}

export function customEventItems(recorded: string[], ws: Workspace): CustomEventItem[] {
  const defined = definitionsOf(ws, 'custom_events');
  return mergedNames(recorded, defined).map((name) => {
    const d = defined.get(name);
    return {
      name,
      description: d?.description ?? null,
      included_in_analytics_report: d?.included_in_analytics_report ?? false,
      status: d?.status ?? 'Active',
      tag_names: d?.tag_names ?? [],
    };
  });
}

export function customAttributeItems(samples: CustomAttributeSample[], ws: Workspace): CustomAttributeItem[] {
  const defined = definitionsOf(ws, 'custom_attributes');
  const first = new Map(samples.map((s) => [s.name, s.firstValue]));
  return mergedNames(first.keys(), defined).map((name) => {
    const d = defined.get(name);
    // A defined name without data and without a type is a String, Braze's first choice.
    const dataType = d?.data_type ?? (first.has(name) ? dataTypeOf(first.get(name)) : 'String');
    const isArray = dataType === 'Array' || dataType === 'Array of Objects';
    return {
      name,
      description: d?.description ?? null,
      data_type: dataType,
      array_length: d?.array_length !== undefined ? d.array_length : isArray ? DEFAULT_ARRAY_LENGTH : null,
      status: d?.status ?? 'Active',
      tag_names: d?.tag_names ?? [],
    };
  });
}

/** Checks one definition of the workspace document's `custom_events` or `custom_attributes`. */
export function checkCustomDataDefinition(list: 'custom_events' | 'custom_attributes', item: unknown, i: number): Record<string, unknown> {
  const at = `${list}[${i}]`;
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw badRequest(`${at} must be an object`);
  const d = item as Record<string, unknown>;
  if (typeof d.name !== 'string' || d.name === '') throw badRequest(`${at}.name is required and must be a non-empty string`);
  if (d.description !== undefined && d.description !== null && typeof d.description !== 'string') throw badRequest(`${at}.description must be a string or null`);
  if (d.status !== undefined && typeof d.status !== 'string') throw badRequest(`${at}.status must be a string`);
  if (d.tag_names !== undefined && (!Array.isArray(d.tag_names) || d.tag_names.some((t) => typeof t !== 'string'))) {
    throw badRequest(`${at}.tag_names must be an array of strings`);
  }
  if (list === 'custom_events' && d.included_in_analytics_report !== undefined && typeof d.included_in_analytics_report !== 'boolean') {
    throw badRequest(`${at}.included_in_analytics_report must be true or false`);
  }
  if (list === 'custom_attributes') {
    if (d.data_type !== undefined && !(CUSTOM_ATTRIBUTE_DATA_TYPES as readonly unknown[]).includes(d.data_type)) {
      throw badRequest(`${at}.data_type must be one of ${CUSTOM_ATTRIBUTE_DATA_TYPES.join(', ')}`);
    }
    if (d.array_length !== undefined && d.array_length !== null && !(Number.isInteger(d.array_length) && (d.array_length as number) >= 1)) {
      throw badRequest(`${at}.array_length must be a positive integer or null`);
    }
  }
  return d;
}

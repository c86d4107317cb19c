/**
 * Where one Currents event type feeds several counters, a field of the record decides the action:
 * a push open from a button, an in-app click on the first or second button, an SMS reply that opts
 * out or asks for help, an email open by a machine. The rules are data, so that an engine that
 * classifies in SQL generates its expression from them (`duckdb/campaigns-sql.ts`).
 */

/** How a record's field (read as text, see `payloadText`) is tested. */
export type FieldTest =
  /** The field is present and not null. */
  | { kind: 'present' }
  /** The text is one of these. */
  | { kind: 'in'; values: readonly string[] }
  | { kind: 'equals'; value: string }
  /** A keyword: the text with spaces trimmed, upper-cased, is this. */
  | { kind: 'keyword'; value: string };

export interface ActionRefinement {
  /** Catalogue channel and action of the event. */
  channel: string;
  action: string;
  field: string;
  test: FieldTest;
  /** The action instead; with `appendValue` the field's text follows it (`button_` + `0`). */
  becomes: string;
  appendValue?: boolean;
}

/** In order: the first that applies decides. */
export const ACTION_REFINEMENTS: readonly ActionRefinement[] = [
  { channel: 'push', action: 'open', field: 'button_string', test: { kind: 'present' }, becomes: 'open_button' },
  { channel: 'in_app_message', action: 'click', field: 'button_id', test: { kind: 'in', values: ['0', '1'] }, becomes: 'button_', appendValue: true },
  { channel: 'sms', action: 'inbound_receive', field: 'action', test: { kind: 'equals', value: 'Unsubscribed' }, becomes: 'opt_out' },
  { channel: 'sms', action: 'inbound_receive', field: 'message_body', test: { kind: 'keyword', value: 'HELP' }, becomes: 'help' },
];

/** An email open that a mail client's privacy proxy made counts as opened and also as a machine open. */
export const MACHINE_OPEN = {
  channel: 'email', action: 'open', field: 'machine_open', test: { kind: 'equals', value: 'true' }, adds: 'machine_open',
} as const satisfies { channel: string; action: string; field: string; test: FieldTest; adds: string };

/** The field of a step's message variation (Canvas step events carry it in the record only). */
export const STEP_VARIATION_FIELD = 'canvas_step_message_variation_id';

/**
 * A field of a record as text, as SQL engines read JSON (DuckDB's `json_extract_string`): a string
 * as is, true/false, a number in its shortest form, an object or array as compact JSON; absent or
 * null is null. (A number written with a fraction or exponent, `1.0`, is `1` here: the parsed record
 * no longer knows how it was written.)
 */
export function payloadText(payload: Readonly<Record<string, unknown>>, field: string): string | null {
  if (!Object.hasOwn(payload, field)) return null;
  return jsonText(payload[field]);
}

export function jsonText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** SQL's `trim` removes spaces only (not tabs or newlines). */
const trimSpaces = (text: string) => text.replace(/^ +| +$/g, '');

export function passes(text: string | null, test: FieldTest): boolean {
  if (text === null) return false;
  switch (test.kind) {
    case 'present': return true;
    case 'in': return test.values.includes(text);
    case 'equals': return text === test.value;
    case 'keyword': return trimSpaces(text).toUpperCase() === test.value;
  }
}

/** The action of an event of catalogue `channel` and `action`, refined by its record. */
export function refinedAction(channel: string, action: string, payload: Readonly<Record<string, unknown>>): string {
  for (const r of ACTION_REFINEMENTS) {
    if (r.channel !== channel || r.action !== action) continue;
    const text = payloadText(payload, r.field);
    if (passes(text, r.test)) return r.appendValue ? r.becomes + text : r.becomes;
  }
  return action;
}

/** Whether an event is also a machine open. */
export function isMachineOpen(channel: string, action: string, payload: Readonly<Record<string, unknown>>): boolean {
  return channel === MACHINE_OPEN.channel && action === MACHINE_OPEN.action && passes(payloadText(payload, MACHINE_OPEN.field), MACHINE_OPEN.test);
}

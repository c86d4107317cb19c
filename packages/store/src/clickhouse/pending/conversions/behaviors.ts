/**
 * Conversions (SPEC §3). A campaign (or Canvas) lists up to four `conversion_behaviors`; index 0
 * is `conversions`, 1–3 are `conversions1`–`conversions3`. For each receipt of a message (a send,
 * an in-app impression, a control enrolment, a Canvas entry) and each behaviour, the recipient
 * converts at most once: on the FIRST matching event at or after the receipt and at most
 * `window` seconds after it (an event exactly at the end of the window counts). A user who
 * received twice can convert once per receipt. `conversions` counts by the day of the converting
 * event, `conversions_by_send_time` by the day of the receipt.
 *
 * Revenue: each purchase of a recipient inside the primary (index 0) window of a receipt is
 * credited once, to the latest such receipt, on the day of the purchase.
 */

/** What a stored event is to conversion matching. */
export type ConversionKind = 'email_click' | 'email_open' | 'purchase' | 'custom_event' | 'upgrade' | 'session';

export interface ConversionSpec {
  /** 0 for the primary conversion event, 1–3 for the others. */
  index: number;
  kind: ConversionKind;
  /** Seconds after the receipt. */
  window: number;
  /** Product id (Makes Specific Purchase) or custom event name; null matches any. */
  name: string | null;
  /** Apps whose sessions or upgrades count; null means any app. */
  appIds: string[] | null;
}

export const MAX_CONVERSION_BEHAVIORS = 4;

const KIND_OF_TYPE: Readonly<Record<string, ConversionKind>> = {
  'Clicks Email': 'email_click',
  'Opens Email': 'email_open',
  'Makes Any Purchase': 'purchase',
  'Makes Specific Purchase': 'purchase',
  'Performs Custom Event': 'custom_event',
  'Upgrades App': 'upgrade',
  'Starts Session': 'session',
};

export const CONVERSION_BEHAVIOR_TYPES = Object.keys(KIND_OF_TYPE);

/**
 * The matching rules of a definition's `conversion_behaviors`, in order. A behaviour of a type
 * brazen does not know, or without a usable window, matches nothing (its index stays counted as
 * zero), so the indexes of the others do not shift.
 */
export function conversionSpecs(behaviors: unknown): ConversionSpec[] {
  if (!Array.isArray(behaviors)) return [];
  const out: ConversionSpec[] = [];
  behaviors.slice(0, MAX_CONVERSION_BEHAVIORS).forEach((b, index) => {
    if (typeof b !== 'object' || b === null) return;
    const rec = b as Record<string, unknown>;
    const kind = KIND_OF_TYPE[String(rec.type)];
    const window = Number(rec.window);
    if (!kind || !Number.isFinite(window) || window < 0) return;
    let name: string | null = null;
    if (rec.type === 'Makes Specific Purchase') name = typeof rec.product === 'string' ? rec.product : null;
    if (kind === 'custom_event') name = typeof rec.custom_event_name === 'string' ? rec.custom_event_name : null;
    // An empty list (or one of empty strings, as a JSON null may arrive coerced) means any app.
    const listed = Array.isArray(rec.app_ids) ? rec.app_ids.filter((a): a is string => typeof a === 'string' && a !== '') : [];
    const appIds = listed.length > 0 && (kind === 'upgrade' || kind === 'session') ? listed : null;
    out.push({ index, kind, window, name, appIds });
  });
  return out;
}

/** How many conversion figures a definition has (conversions, conversions1, ...). */
export function conversionCount(behaviors: unknown): number {
  return Array.isArray(behaviors) ? Math.min(behaviors.length, MAX_CONVERSION_BEHAVIORS) : 0;
}

/** Names of the figures of behaviour `index`: `conversions`, `conversions1`, ... */
export function conversionFields(index: number): { byConversion: string; byReceipt: string } {
  const base = index === 0 ? 'conversions' : `conversions${index}`;
  return { byConversion: base, byReceipt: `${base}_by_send_time` };
}

/** What an event is to conversion matching: by its category (purchases, custom events, session
 * starts), else by its event type; the rest match no behaviour. Engines generate their
 * classification from these tables. */
export const CONVERSION_KIND_OF_CATEGORY: Readonly<Record<string, ConversionKind>> = {
  purchase: 'purchase',
  custom_event: 'custom_event',
  session_start: 'session',
};
export const CONVERSION_KIND_OF_EVENT_TYPE: Readonly<Record<string, ConversionKind>> = {
  'users.behaviors.UpgradedApp': 'upgrade',
  'users.messages.email.Click': 'email_click',
  'users.messages.email.Open': 'email_open',
};

export function conversionKind(e: { category: string; eventType: string }): ConversionKind | undefined {
  return CONVERSION_KIND_OF_CATEGORY[e.category] ?? CONVERSION_KIND_OF_EVENT_TYPE[e.eventType];
}

/** Kinds whose event must belong to the same campaign or Canvas as the receipt (opening or clicking
 * that message's email, not any email). */
export const SAME_MESSAGE_KINDS: readonly ConversionKind[] = ['email_click', 'email_open'];

/** A campaign or Canvas whose conversion behaviours are read: the workspace document's lists. */
export interface ConversionDefinitions {
  campaigns?: ReadonlyArray<Record<string, unknown>>;
  canvases?: ReadonlyArray<Record<string, unknown>>;
}

/** The behaviours of every campaign and Canvas, by `campaign|canvas` and id. A Canvas's steps use
 * the Canvas's behaviours. */
export function behaviorsByObject(ws: ConversionDefinitions): Map<string, ConversionSpec[]> {
  const out = new Map<string, ConversionSpec[]>();
  const add = (src: 'campaign' | 'canvas', list: ReadonlyArray<Record<string, unknown>> | undefined) => {
    for (const obj of list ?? []) {
      const key = `${src}\u0000${String(obj.id)}`;
      out.set(key, [...(out.get(key) ?? []), ...conversionSpecs(obj.conversion_behaviors)]);
    }
  };
  add('campaign', ws.campaigns);
  add('canvas', ws.canvases);
  return out;
}

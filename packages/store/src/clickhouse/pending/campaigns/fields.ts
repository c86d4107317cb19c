/**
 * The counters of one variation entry of `/campaigns/data_series` (and of a Canvas step's
 * `messages`) from the engagement counts of its channel (SPEC §3). Engagement rows
 * (`engagement/`) are counted per (channel, action) and day, with distinct users for the
 * unique-tracked ones; this module turns those counts into the fields of the seeds.
 */

import { CONTROL_CHANNEL, ENROLLED, receiptAction } from '../engagement/index.ts';

interface Field {
  field: string;
  actions: readonly string[];
  /** Distinct users (the action must be unique-tracked) instead of events. */
  unique?: boolean;
}

const f = (field: string, ...actions: string[]): Field => ({ field, actions });
const u = (field: string, action: string): Field => ({ field, actions: [action], unique: true });

const PUSH_FIELDS: readonly Field[] = [
  f('sent', 'send'),
  f('direct_opens', 'open', 'open_button'),
  f('total_opens', 'open', 'open_button', 'influenced_open'),
  f('bounces', 'bounce'),
  f('body_clicks', 'open'),
];

/** Counters of each series channel, in the order the seeds list them. */
export const CHANNEL_FIELDS: Readonly<Record<string, readonly Field[]>> = {
  email: [
    f('sent', 'send'),
    f('opens', 'open'),
    u('unique_opens', 'open'),
    f('machine_opens', 'machine_open'),
    f('clicks', 'click'),
    u('unique_clicks', 'click'),
    f('unsubscribes', 'unsubscribe'),
    f('bounces', 'bounce'),
    f('delivered', 'delivery'),
    f('reported_spam', 'spam'),
  ],
  ios_push: PUSH_FIELDS,
  android_push: PUSH_FIELDS,
  kindle_push: PUSH_FIELDS,
  web_push: PUSH_FIELDS,
  webhook: [f('sent', 'send'), f('errors', 'failure')],
  sms: [
    f('sent', 'send'),
    f('sent_to_carrier', 'carrier_send'),
    f('delivered', 'delivery'),
    f('undelivered', 'delivery_failure', 'rejection'),
    f('rejected', 'rejection'),
    f('delivery_failed', 'delivery_failure'),
    f('clicks', 'short_link_click'),
    f('opt_out', 'opt_out'),
    f('help', 'help'),
  ],
  whats_app: [f('sent', 'send'), f('delivered', 'delivery'), f('failed', 'failure'), f('read', 'read')],
  content_cards: [
    f('sent', 'send'),
    f('total_clicks', 'click'),
    f('total_dismissals', 'dismiss'),
    f('total_impressions', 'impression'),
    u('unique_clicks', 'click'),
    u('unique_dismissals', 'dismiss'),
    u('unique_impressions', 'impression'),
  ],
  trigger_in_app_message: [
    f('impressions', 'impression'),
    f('clicks', 'click'),
    f('first_button_clicks', 'button_0'),
    f('second_button_clicks', 'button_1'),
  ],
  [CONTROL_CHANNEL]: [f(ENROLLED, ENROLLED)],
};

/** Counts of one action: events and distinct users (0 when not unique-tracked). */
export interface ActionCount {
  n: number;
  u: number;
}

/** A channel brazen has no field list for (line, rcs, banner, ...): one counter per action. */
function genericFields(actions: Iterable<string>): Field[] {
  return [...actions].map((a) => f(a === 'send' ? 'sent' : a, a));
}

/**
 * The counters of one variation entry of `channel` from its action counts. `unique_recipients`
 * is the distinct users of the channel's receipt action.
 */
export function variationCounters(
  channel: string,
  counts: ReadonlyMap<string, ActionCount>,
  /** Written into (after its own fields) when given. */
  into: Record<string, number | string> = {},
): Record<string, number> {
  const fields = CHANNEL_FIELDS[channel] ?? genericFields(counts.keys());
  const out = into as Record<string, number>;
  for (const field of fields) {
    let total = 0;
    for (const action of field.actions) {
      const c = counts.get(action);
      if (c) total += field.unique ? c.u : c.n;
    }
    out[field.field] = total;
  }
  out.unique_recipients = counts.get(receiptAction(channel))?.u ?? 0;
  return out;
}

/**
 * Series channel of a message definition's `channel` (`/campaigns/details` names channels a little
 * differently from the series: `in-app_message`, `content_card`, `whatsapp`).
 */
export function seriesChannelOfDefinition(channel: string | undefined): string | undefined {
  if (channel === undefined) return undefined;
  const c = channel.toLowerCase().replace(/-/g, '_');
  if (c === 'in_app_message' || c === 'trigger_in_app_message' || c === 'inapp' || c === 'in_app') return 'trigger_in_app_message';
  if (c === 'content_card' || c === 'content_cards') return 'content_cards';
  if (c === 'whatsapp' || c === 'whats_app') return 'whats_app';
  if (c === 'apple_push') return 'ios_push';
  return c;
}

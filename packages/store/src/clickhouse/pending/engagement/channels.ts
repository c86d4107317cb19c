import { CURRENTS_EVENT_TYPES } from '@brazen/contract';

/**
 * Which events are engagement with a message, and what channel and action each is in the series of
 * `/campaigns/data_series`, `/sends/data_series` and the Canvas breakdowns (SPEC §3). The tables
 * here are the rule; engines that classify in their own language generate it from them (DuckDB:
 * `msg_types` and the CASE expressions of `duckdb/campaigns-sql.ts`).
 */

/** Pseudo-channel of control-group enrolments (`users.campaigns.EnrollInControl`). */
export const CONTROL_CHANNEL = 'control';
export const ENROLLED = 'enrolled';
/** Pseudo-channel of Canvas entries (`users.canvas.Entry`): entries are counted, not messages. */
export const CANVAS_CHANNEL = 'canvas';
export const ENTRY = 'entry';

export interface EngagementType {
  /** Channel of the Currents catalogue (`push` before its platform is known). */
  channel: string;
  action: string;
}

/**
 * Engagement event types: the message and Content Card events of the Currents catalogue, control
 * enrolments and Canvas entries. News Feed card events are not here: they have their own series
 * (`cards/`).
 */
export const ENGAGEMENT_TYPES: ReadonlyMap<string, EngagementType> = new Map([
  ...CURRENTS_EVENT_TYPES.filter((t) => t.channel && t.action && (t.category === 'message' || t.category === 'card')).map(
    (t) => [t.eventType, { channel: t.channel!, action: t.action! }] as const,
  ),
  ['users.campaigns.EnrollInControl', { channel: CONTROL_CHANNEL, action: ENROLLED }],
  ['users.canvas.Entry', { channel: CANVAS_CHANNEL, action: ENTRY }],
]);

/** Push channel of a Currents `platform` value (lower-cased). */
export const PUSH_CHANNELS: Readonly<Record<string, string>> = {
  ios: 'ios_push',
  tvos: 'ios_push',
  android: 'android_push',
  kindle: 'kindle_push',
  web: 'web_push',
};
/** A push event of another platform is `<platform>_push`; one without a platform this. */
export const UNKNOWN_PLATFORM = 'unknown';
export const PUSH_SUFFIX = '_push';

/** Series channel of a Currents catalogue channel other than push. */
export const SERIES_CHANNEL: Readonly<Record<string, string>> = {
  in_app_message: 'trigger_in_app_message',
};

/** The series channel of an engagement event of catalogue channel `channel`. */
export function seriesChannel(channel: string, platform: string | null): string {
  if (channel === 'push') {
    const p = platform === null ? null : platform.toLowerCase();
    return p === null ? UNKNOWN_PLATFORM + PUSH_SUFFIX : (PUSH_CHANNELS[p] ?? p + PUSH_SUFFIX);
  }
  return SERIES_CHANNEL[channel] ?? channel;
}

/** The action that makes a user a recipient of a message of that series channel (default `send`). */
export const RECEIPT_ACTION: Readonly<Record<string, string>> = {
  trigger_in_app_message: 'impression',
  [CONTROL_CHANNEL]: ENROLLED,
};
export const DEFAULT_RECEIPT_ACTION = 'send';

export function receiptAction(channel: string): string {
  return RECEIPT_ACTION[channel] ?? DEFAULT_RECEIPT_ACTION;
}

/**
 * A receipt: the row that starts a recipient's conversion windows and makes them a recipient of the
 * day. A send, an in-app message impression (in-app messages have no send) or a control enrolment
 * (a control user "receives" nothing, but converts or not like the others). A Canvas entry is not a
 * receipt of a message (it starts the Canvas's conversion windows: see conversions/).
 */
export function isReceipt(channel: string, action: string): boolean {
  return channel !== CANVAS_CHANNEL && action === receiptAction(channel);
}

/**
 * "Received a message" (segment filter `received_campaign`, a user's `campaigns_received`): a
 * receipt other than a control enrolment.
 */
export function receivedMessage(channel: string, action: string): boolean {
  return channel !== CONTROL_CHANNEL && isReceipt(channel, action);
}

/** Actions whose distinct users per day are kept besides the receipt actions. */
export const UNIQUE_ACTIONS: ReadonlyArray<readonly [string, string]> = [
  ['email', 'open'],
  ['email', 'click'],
  ['content_cards', 'impression'],
  ['content_cards', 'click'],
  ['content_cards', 'dismiss'],
];
const UNIQUE_KEYS = new Set(UNIQUE_ACTIONS.map(([c, a]) => `${c}\u0000${a}`));

/** Whether distinct users per day are counted for a (series channel, action). */
export function isUniqueTracked(channel: string, action: string): boolean {
  return isReceipt(channel, action) || UNIQUE_KEYS.has(`${channel}\u0000${action}`);
}

/**
 * Event types whose event is a message received (see `receivedMessage`). The receipt action of a
 * series channel does not depend on the push platform, so the catalogue channel decides.
 */
export const RECEIVED_EVENT_TYPES: readonly string[] = [...ENGAGEMENT_TYPES]
  .filter(([, t]) => receivedMessage(t.channel === 'push' ? UNKNOWN_PLATFORM + PUSH_SUFFIX : seriesChannel(t.channel, null), t.action))
  .map(([eventType]) => eventType);

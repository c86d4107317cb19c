/**
 * Why a record was rejected, in a few fixed words: the `reason` label of
 * `brazen_rejected_records_total`. The messages sent back name values (an event type, a currency,
 * an attribute's name); a label must not grow with what senders write, so only their subject is kept.
 */

const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(record|\w+\[\d+\]) must be (a JSON )?an? (JSON )?object/, 'not a JSON object'],
  [/^events\[\d+\]\.(user|properties) must be an object/, 'user or properties not an object'],
  [/^id is required/, 'no id'],
  [/^event_type is required/, 'no event_type'],
  [/^event_type .* is not a Braze Currents event type/, 'unknown event_type'],
  [/^user_id or external_user_id is required|^'external_id', 'user_alias'.* is required/, 'no user'],
  [/^(external_id|braze_id|email|phone|user_alias) must/, 'invalid user identifier'],
  [/^_update_existing_only /, 'invalid _update_existing_only'],
];

/** Rules that name a field of an event or a purchase (an attribute may have any of these names). */
const RECORD_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^time /, 'invalid time'],
  [/^name /, 'invalid name'],
  [/^product_id /, 'invalid product_id'],
  [/^price /, 'invalid price'],
  [/^quantity /, 'invalid quantity'],
  [/has no exchange rate/, 'currency without a rate'],
  [/^currency /, 'invalid currency'],
  [/^properties/, 'invalid properties'],
  [/^app_id /, 'invalid app_id'],
];

/** The reason of one rejected record; `attributes` for an object of /users/track's `attributes`. */
export function rejectionReason(message: string, from: 'attributes' | 'record' = 'record'): string {
  for (const [pattern, reason] of RULES) if (pattern.test(message)) return reason;
  if (from === 'attributes') return 'invalid attribute';
  for (const [pattern, reason] of RECORD_RULES) if (pattern.test(message)) return reason;
  return 'other';
}

import catalogue from './currents-catalogue.json' with { type: 'json' };

/**
 * Braze Currents: a catalogue of every event type and its fields, for ingest (POST /currents,
 * `brazen import currents`) and for a store that wants one wide column set.
 *
 * Sources (read in stored copies, not invented):
 * - `source: 'glossary'`: the "Cloud Storage" (flat file / Avro) schema of each event in braze-inc/braze-docs
 *   `_docs/_user_guide/data/braze_currents/event_glossary/{message_engagement_events,customer_behavior_events}.md`.
 *   Types there are `int`, `long`, `float`, `boolean`, `string`, `array of string` (given here as 'json').
 * - `source: 'sample'`: types the glossary does not list. Fields come from Appboy/currents-examples
 *   `sample-data/JSON/<type>.json` (avro-tools' JSON dump of the real `.avro` file, so names are the Avro
 *   field names and `{"long": ..}`-style wrappers give the types), else `sample-data/Custom HTTP/...`.
 *   A field that is always null in a sample is typed 'string' unless its name says otherwise.
 * The `.avro` files in currents-examples are binary and no `.avsc` files are published, so the
 * `fixtures/currents/avro/*.avsc` files beside this package are reconstructed (see their `doc`).
 *
 * What the common fields mean:
 * - `id`: globally unique id of the event. Dedupe on it (Currents delivers at least once).
 * - `user_id`: the Braze user id (= `braze_id`, 24 hex chars). Required almost everywhere; optional on
 *   sms/whatsapp/rcs `InboundReceive` (an inbound message may match no user) and absent from
 *   `contentoptimizer.ComponentStore` and `agentconsole.ToolInvocation`.
 * - `external_user_id`: the customer's `external_id`; optional (null for anonymous users).
 * - `time`: UNIX epoch seconds of the event (`int`; `long` in the WhatsApp schemas).
 *   `users.behaviors.pushnotification.TokenStateChange` also has `time_ms` (milliseconds).
 * - `timezone`: the user's IANA time zone, e.g. `America/Chicago`.
 * - `app_group_id`: the workspace's API id; `app_id`: the app's API id. Old samples (CustomEvent,
 *   UpgradedApp, newsfeedcard, InfluencedOpen) carry internal BSON ids there and the API ids in
 *   `app_group_api_id` / `app_api_id`, so the meaning of `app_id` depends on the schema version.
 * - Campaign / Canvas linkage: `campaign_id` + `campaign_name`, `message_variation_id` + `message_variation_name`,
 *   `canvas_id` + `canvas_name`, `canvas_variation_id` + `canvas_variation_name`, `canvas_step_id` +
 *   `canvas_step_name`, `canvas_step_message_variation_id`; `send_id` (the send this message belongs to;
 *   what /sends/data_series counts) and `dispatch_id` (one dispatch of a campaign or Canvas step; marked
 *   deprecated on some types). All are API ids. The old InfluencedOpen sample is the exception: there
 *   `campaign_id` is a BSON id and the API id is `campaign_api_id` (likewise `*_api_id` for the rest).
 * - Conversions: `conversion_behavior` (JSON-encoded string: type, window, details) and
 *   `conversion_behavior_index` (0 = primary conversion A, 1 = B, 2 = C, 3 = D).
 * - Custom event: `name`, `properties` (a JSON-encoded string, not an object).
 * - Purchase: `product_id`, `price` (float, in units of `currency`), `currency` (ISO 4217), `properties`
 *   (JSON-encoded string). There is NO quantity field in any Currents purchase schema: treat one
 *   Currents purchase record as quantity 1.
 * - Device: `platform` (`ios`, `android`, `kindle` (Kindle and FireTV), `web`, `tvos`, `roku`),
 *   `device_id`, `os_version`, `device_model`, `sdk_version`, `resolution`, `carrier`, `browser`;
 *   advertising: `ad_id`, `ad_id_type` (`ios_idfa`, `google_ad_id`, `windows_ad_id`, `roku_ad_id`),
 *   `ad_tracking_enabled`. Sessions: `session_id`, `duration` (seconds, float, SessionEnd only).
 * - Push: every push type has channel `push`; the platform (brazen's `ios_push`, `android_push`,
 *   `kindle_push`, `web_push`) is told by the `platform` field (required on Send, Abort, IosForeground;
 *   optional on Open and Bounce). Push Open also has `button_action_type`, `button_string`.
 * - Cards: content card events name the card `content_card_id` in storage (the Custom HTTP and partner
 *   payloads call it `card_id`); in-app messages have an optional `card_id`; news feed events have
 *   `card_id` (a BSON id in the old sample, with `card_api_id` the API id).
 * - Buttons: `button_id` (in-app message Click, banner Click/Dismiss). No schema has carousel fields.
 * - Email: `email_address`, `machine_open` (a STRING, `'true'` for Apple MPP and other machine opens;
 *   there is no separate machine-open event type), `is_amp`, `user_agent`, `device_class`, `device_os`,
 *   `url`, `link_id`, `link_alias`, `bounce_reason`, `is_drop`, `esp`, `from_domain`, `ip_pool`,
 *   `sending_ip`, `mailbox_provider`, `is_suspected_bot_click`, `suspected_bot_click_reason` (array).
 * - SMS / WhatsApp / RCS: `to_phone_number`, `from_phone_number` (RCS: `from_rcs_sender`),
 *   `subscription_group_id`, `error`, `provider_error_code`; inbound: `user_phone_number`,
 *   `inbound_phone_number`, `message_body`, `media_urls` (array), and a field named `action`
 *   (Subscribed, Unsubscribed or None), which is not this catalogue's `action`.
 * - Subscriptions: `subscription_status`, `subscription_group_id`, `state_change_source`, and a field
 *   named `channel` (the channel of the state change), which is not this catalogue's `channel`.
 * - Aborts: `abort_type`, `abort_log`; retries: `retry_type`, `retry_log`; `message_extras`: JSON string.
 *
 * Record forms: storage (S3/GCS/Azure) files are Avro, one event type per file, flat records as listed
 * here, without `event_type` (it comes from the file). The Custom HTTP connector posts the same events
 * nested: `{event_type, id, time, user: {user_id, external_user_id, device_id, timezone}, properties: {..}}`,
 * with some differences (a purchase's `properties` is an object named `purchase_properties`).
 *
 * Avro JSON encoding: an optional field is the Avro union `["null", T]`. In Avro's JSON encoding (what
 * `avro-tools tojson` prints, and so the JSON samples) a null stays `null` but any other value is
 * wrapped in an object naming its branch: `{"string": "x"}`, `{"int": 1}`, `{"long": 5}`,
 * `{"double": 3.14}`, `{"boolean": true}`, `{"array": [{"string": "a"}]}` (array items may be wrapped
 * too). Required fields are bare (`"time": 1582146456`, `"email_address": "a@b.c"`). See `unwrapAvroJson`
 * (`@brazen/analytics`), the one unwrap every path that takes records uses.
 */

/** brazen's grouping of Currents event types. `card` is Content Cards, `feed_card` News Feed cards,
 * `message` every other `users.messages.*` type; `other` is everything brazen does not aggregate. */
export type CurrentsCategory =
  | 'session_start'
  | 'session_end'
  | 'custom_event'
  | 'purchase'
  | 'uninstall'
  | 'first_session'
  | 'attribution'
  | 'location'
  | 'subscription'
  | 'canvas_entry'
  | 'canvas_exit'
  | 'canvas_conversion'
  | 'campaign_conversion'
  | 'message'
  | 'card'
  | 'feed_card'
  | 'other';

/** Avro primitive of a field; 'json' for arrays (and the maps of the old schemas). */
export type CurrentsFieldType = 'string' | 'long' | 'int' | 'double' | 'float' | 'boolean' | 'json';

export interface CurrentsEventType {
  /** Braze's dotted name, e.g. `users.messages.email.Open`. */
  eventType: string;
  category: CurrentsCategory;
  /** For message events: `email`, `push` (platform in the `platform` field), `sms`, `whats_app`,
   * `content_cards`, `in_app_message`, `webhook`, `news_feed`, `line`, `rcs`, `banner`, `feature_flag`,
   * `live_activity`, `landing_page`, `survey`. */
  channel?: string;
  /** For message events: the engagement verb in snake_case (`send`, `open`, `spam`, `carrier_send`, ...). */
  action?: string;
  /** Where the field list comes from: the docs' Cloud Storage schema, or a currents-examples sample. */
  source?: 'glossary' | 'sample';
  /** Fields the glossary marks required (non-nullable in Avro). Absent for sample-derived types. */
  required?: readonly string[];
  fields: Readonly<Record<string, CurrentsFieldType>>;
}

/** The catalogue (currents-catalogue.json, one event type a line): data, kept apart from code. */
export const CURRENTS_EVENT_TYPES: readonly CurrentsEventType[] = catalogue as unknown as CurrentsEventType[];

const BY_NAME: ReadonlyMap<string, CurrentsEventType> = new Map(CURRENTS_EVENT_TYPES.map((t) => [t.eventType, t]));

/** The catalogue entry for a Currents event type. Also accepts the legacy file names without the
 * `users.` prefix (`behaviors.CustomEvent`, `messages.email.Send`, as in old currents-examples files). */
export function currentsEventType(name: string): CurrentsEventType | undefined {
  return BY_NAME.get(name) ?? BY_NAME.get(`users.${name}`);
}

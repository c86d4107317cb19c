import { Type, type TProperties, type TSchema } from 'typebox';
import { SeriesTime } from './common.ts';

/**
 * Per-variation message statistics, shared by `/campaigns/data_series`, `/sends/data_series` and
 * the Canvas step breakdowns. brazen answers the SUPERSET of the older (seed 000/002) and newer
 * (seed 001, braze-docs) generations: each entry names its variation both ways
 * (`variation_name`, `variation_api_id`) and carries every counter either generation documents for
 * its channel. Every counter is optional so an entry carries what applies. Entries stay open
 * (`additionalProperties: true`) for the dynamic push counters such as
 * `carousel_slide_[NUM]_[TITLE]_click` and `notif_button_[NUM]_[TITLE]_click`.
 */

const n = (description: string) => Type.Optional(Type.Number({ description }));

/** Conversion figures, present on per-variation entries and on each series point. */
export const ConversionProperties = {
  revenue: n('Revenue in USD from recipients inside the primary conversion window'),
  unique_recipients: n('Distinct users sent the message that day'),
  conversions: n('Conversions for the primary conversion event (A), by conversion day'),
  conversions_by_send_time: n('Conversions for the primary conversion event, attributed to the day of the send'),
  conversions1: n('Conversions for the second conversion event (B)'),
  conversions1_by_send_time: n('Conversions for the second conversion event, by send day'),
  conversions2: n('Conversions for the third conversion event (C)'),
  conversions2_by_send_time: n('Conversions for the third conversion event, by send day'),
  conversions3: n('Conversions for the fourth conversion event (D)'),
  conversions3_by_send_time: n('Conversions for the fourth conversion event, by send day'),
} satisfies TProperties;

/** Identity of the variation plus conversions and control-group enrolment: common to every channel. */
export const VariationStatProperties = {
  variation_name: Type.Optional(Type.String({ description: 'Variation name (older docs)' })),
  variation_api_id: Type.Optional(Type.String({ description: 'Variation API identifier (newer docs)' })),
  ...ConversionProperties,
  enrolled: n('Users enrolled in the control group (control variations only)'),
} satisfies TProperties;

const open = { additionalProperties: true } as const;
const stat = <P extends TProperties>(properties: P, description: string) =>
  Type.Object({ ...VariationStatProperties, ...properties }, { ...open, description });

export const PushStats = stat(
  {
    sent: n('Sends'),
    delivered: n('Messages delivered (send analytics)'),
    undelivered: n('Messages not delivered (send analytics)'),
    delivery_failed: n('Rejected deliveries (send analytics)'),
    direct_opens: n('Direct opens'),
    total_opens: n('Total opens'),
    opens: n('Opens (Canvas step stats)'),
    influenced_opens: n('Influenced opens (Canvas step stats)'),
    bounces: n('Bounces'),
    body_clicks: n('Body clicks'),
  },
  'Push statistics of one variation (ios_push, android_push, kindle_push, web_push, ...)',
);

export const EmailStats = stat(
  {
    sent: n('Sends'),
    opens: n('Opens'),
    unique_opens: n('Unique opens'),
    machine_opens: n('Opens attributed to machine (privacy proxy) opens'),
    clicks: n('Clicks'),
    unique_clicks: n('Unique clicks'),
    unsubscribes: n('Unsubscribes'),
    bounces: n('Bounces'),
    delivered: n('Messages delivered'),
    reported_spam: n('Messages reported as spam'),
  },
  'Email statistics of one variation',
);

export const SmsStats = stat(
  {
    sent: n('Sends'),
    sent_to_carrier: n('Messages sent to the carrier'),
    delivered: n('Messages delivered'),
    undelivered: n('Messages not delivered (older docs)'),
    rejected: n('Messages rejected'),
    delivery_failed: n('Failed deliveries'),
    clicks: n('Clicks on shortened links'),
    opt_out: n('Opt-outs'),
    help: n('Help messages received'),
  },
  'SMS statistics of one variation',
);

export const WhatsAppStats = stat(
  {
    sent: n('Sends'),
    delivered: n('Messages delivered'),
    failed: n('Failed deliveries'),
    read: n('Messages read'),
  },
  'WhatsApp statistics of one variation',
);

export const WebhookStats = stat({ sent: n('Sends'), errors: n('Errors') }, 'Webhook statistics of one variation');

export const ContentCardStats = stat(
  {
    sent: n('Sends'),
    total_clicks: n('Total clicks'),
    total_dismissals: n('Total dismissals'),
    total_impressions: n('Total impressions'),
    unique_clicks: n('Unique clicks'),
    unique_dismissals: n('Unique dismissals'),
    unique_impressions: n('Unique impressions'),
  },
  'Content Card statistics of one variation',
);

export const InAppMessageStats = stat(
  {
    impressions: n('Impressions'),
    clicks: n('Clicks'),
    first_button_clicks: n('First button clicks'),
    second_button_clicks: n('Second button clicks'),
  },
  'In-app message statistics of one variation (control entries carry only conversions and enrolled)',
);

/** Any per-variation entry: the union of every channel's counters (for channels not listed). */
export const AnyChannelStats = Type.Object(
  {
    ...PushStats.properties,
    ...EmailStats.properties,
    ...SmsStats.properties,
    ...WhatsAppStats.properties,
    ...WebhookStats.properties,
    ...ContentCardStats.properties,
    ...InAppMessageStats.properties,
  },
  { ...open, description: 'Statistics of one variation, any channel' },
);

const list = <T extends TSchema>(entry: T, description: string) =>
  Type.Optional(Type.Array(entry, { description }));

/** `messages` of a series point: one array of per-variation entries per channel. */
export const ChannelMessages = Type.Object(
  {
    email: list(EmailStats, 'Email variations'),
    ios_push: list(PushStats, 'iOS push variations'),
    apple_push: list(PushStats, 'iOS push variations (older name)'),
    android_push: list(PushStats, 'Android push variations'),
    kindle_push: list(PushStats, 'Kindle push variations'),
    web_push: list(PushStats, 'Web push variations'),
    windows_phone8_push: list(PushStats, 'Windows Phone 8 push variations (older docs)'),
    windows_universal_push: list(PushStats, 'Windows Universal push variations (older docs)'),
    webhook: list(WebhookStats, 'Webhook variations'),
    sms: list(SmsStats, 'SMS variations'),
    whats_app: list(WhatsAppStats, 'WhatsApp variations'),
    content_cards: list(ContentCardStats, 'Content Card variations'),
    in_app_message: list(InAppMessageStats, 'In-app message variations'),
    trigger_in_app_message: list(InAppMessageStats, 'Triggered in-app message variations (and control entries)'),
  },
  {
    additionalProperties: Type.Array(AnyChannelStats),
    description: 'Per channel, one entry per message variation',
  },
);

/** One day of `/campaigns/data_series` or `/sends/data_series`. */
export const MessageSeriesPoint = Type.Object(
  {
    time: SeriesTime,
    messages: ChannelMessages,
    ...ConversionProperties,
  },
  { description: 'Statistics of one day' },
);

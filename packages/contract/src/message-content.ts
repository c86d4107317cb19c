import { Type, type TProperties } from 'typebox';
import { FreeObject, Nullable } from './common.ts';

/**
 * Message variations as `/campaigns/details` and `/canvas/details` (steps) describe them, keyed by
 * message variation id. The per-channel shapes are exported for documentation and typing; the
 * response uses `MessageVariation`, the union of their fields, kept open so any channel-specific
 * field brazen stores is passed through.
 */

const s = (description: string) => Type.Optional(Type.String({ description }));
const b = (description: string) => Type.Optional(Type.Boolean({ description }));
const strings = (description: string) => Type.Optional(Type.Array(Type.String(), { description }));
const open = { additionalProperties: true } as const;

const Extras = Type.Union([FreeObject, Type.Array(Type.Unknown())], {
  description: 'Key/value pairs provided (a hash; newer email docs show an array)',
});

const base = {
  channel: s('Channel of the message, e.g. email, ios_push, android_push, webhook, content_cards, in_app_message, sms, whats_app'),
  name: s('Name of the variation in the dashboard, e.g. "Variation 1"'),
  type: s('Kind of message: "control" for a control variation, in-app type such as "survey", or webhook body content type'),
  created_at: s('Date the message was created, ISO 8601 (Canvas examples)'),
  updated_at: s('Date the message was last updated, ISO 8601 (Canvas examples)'),
} satisfies TProperties;

export const PushMessageProperties = {
  alert: s('Alert body text'),
  extras: Type.Optional(Extras),
  title: s('Alert title text'),
  action: s('Action link on click'),
  image_url: s('Notification image URL'),
  large_image_url: Type.Optional(Nullable(Type.String({ description: 'Large web notification image URL; null elsewhere' }))),
} satisfies TProperties;

export const EmailMessageProperties = {
  subject: s('Subject'),
  body: s('HTML body'),
  from: s('From address and display name'),
  reply_to: s('Reply-to address, if different from "from"'),
  title: s('Name of the email'),
  extras: Type.Optional(Extras),
  amp_body: s('AMP HTML body'),
  preheader: s('Preheader'),
  custom_plain_text: s('Custom plain text'),
  should_inline_css: b('Whether CSS is inlined'),
  should_whitespace_header: b('Whether there is a whitespace header'),
  email_headers: Type.Optional(Type.Array(Type.Unknown(), { description: 'Email headers' })),
} satisfies TProperties;

export const SurveyChoice = Type.Object(
  {
    choice_id: s('Choice identifier'),
    text: s('Display text'),
    custom_attribute_key: s('Custom attribute key'),
    custom_attribute_value: s('Custom attribute value'),
    deleted: b('Deleted from the live campaign'),
  },
  open,
);

export const InAppMessageProperties = {
  header: s('Header text (Canvas example)'),
  body: s('Body text (Canvas example)'),
  data: Type.Optional(
    Type.Object(
      {
        pages: Type.Optional(
          Type.Array(
            Type.Object(
              {
                header: Type.Optional(Type.Object({ text: s('Display text of the survey header') }, open)),
                choices: Type.Optional(Type.Array(SurveyChoice)),
              },
              open,
            ),
          ),
        ),
      },
      { ...open, description: 'In-app message data, e.g. survey pages' },
    ),
  ),
} satisfies TProperties;

export const ContentCardMessageProperties = {
  extras: Type.Optional(Extras),
} satisfies TProperties;

export const WebhookMessageProperties = {
  url: s('Webhook URL'),
  body: s('Payload body'),
  headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Request headers' })),
  method: s('HTTP method, POST or GET'),
} satisfies TProperties;

const FromNumbers = Type.Union([Type.String(), Type.Array(Type.String())], {
  description: 'Numbers of the subscription group (a string for SMS, an array for WhatsApp)',
});

export const SmsMessageProperties = {
  body: s('Payload body'),
  from: Type.Optional(FromNumbers),
  subscription_group_id: s('API id of the subscription group targeted'),
} satisfies TProperties;

export const WhatsAppMessageProperties = {
  subscription_group_id: s('API id of the subscription group'),
  from: Type.Optional(FromNumbers),
  template_name: s('Template name (template messages)'),
  template_language_code: s('Template language code (template messages)'),
  header_variables: strings('Liquid variables of the template header'),
  body_variables: strings('Liquid variables of the template body'),
  button_variables: strings('Liquid variables of the template buttons'),
  layout: s('Layout of a response message: text, media or quick-reply'),
  header_text: s('Header text (response messages)'),
  body_text: s('Body text (response messages)'),
  footer_text: s('Footer text (response messages)'),
  buttons: Type.Optional(Type.Array(Type.Object({ text: Type.String({ description: 'Button text' }) }, open))),
} satisfies TProperties;

export const PushMessage = Type.Object({ ...base, ...PushMessageProperties }, { ...open, description: 'Push message' });
export const EmailMessage = Type.Object({ ...base, ...EmailMessageProperties }, { ...open, description: 'Email message' });
export const InAppMessage = Type.Object({ ...base, ...InAppMessageProperties }, { ...open, description: 'In-app message' });
export const ContentCardMessage = Type.Object({ ...base, ...ContentCardMessageProperties }, { ...open, description: 'Content Card' });
export const WebhookMessage = Type.Object({ ...base, ...WebhookMessageProperties }, { ...open, description: 'Webhook' });
export const SmsMessage = Type.Object({ ...base, ...SmsMessageProperties }, { ...open, description: 'SMS message' });
export const WhatsAppMessage = Type.Object({ ...base, ...WhatsAppMessageProperties }, { ...open, description: 'WhatsApp message' });
export const ControlMessage = Type.Object({ ...base }, { ...open, description: 'Control variation: {channel, type: "control"}' });

/** One message variation, any channel (the union of the per-channel fields). */
export const MessageVariation = Type.Object(
  {
    ...base,
    ...PushMessageProperties,
    ...EmailMessageProperties,
    ...InAppMessageProperties,
    ...WebhookMessageProperties,
    ...SmsMessageProperties,
    ...WhatsAppMessageProperties,
    extras: Type.Optional(Extras),
    body: s('Body: HTML for email, payload for webhook and SMS, text for in-app'),
    from: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'Sender: email from address, or subscription group numbers' })),
  },
  { ...open, description: 'A message variation; fields depend on the channel' },
);

/** `messages`: message variation id → message. */
export const MessagesByVariation = Type.Record(Type.String(), MessageVariation, {
  description: 'Messages keyed by message variation API identifier',
});

/** One conversion event behavior of a campaign (`conversion_behaviors`, in order A, B, C, D). */
export const ConversionBehavior = Type.Object(
  {
    type: Type.String({
      description:
        'Clicks Email, Opens Email, Makes Any Purchase, Makes Specific Purchase, Performs Custom Event, Upgrades App or Starts Session',
    }),
    window: Type.Integer({ minimum: 0, description: 'Seconds after receipt during which the user can convert, e.g. 86400' }),
    product: s('Product name (Makes Specific Purchase)'),
    custom_event_name: s('Custom event name (Performs Custom Event)'),
    // null first: with the server's array coercion, `null` tried against the array branch first
    // would become `[""]`.
    app_ids: Type.Optional(
      Type.Union([Type.Null(), Type.Array(Type.String())], { description: 'App ids, or null for any app (Upgrades App, Starts Session)' }),
    ),
  },
  { ...open, description: 'A conversion event behavior' },
);

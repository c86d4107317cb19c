import { Type, type TProperties } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, FreeObject, Message, Nullable, UserAlias } from './common.ts';

/**
 * Getting data in, in Braze's formats (SPEC §4). These are brazen endpoints: `/users/track` is
 * Braze's own, `/currents` takes Braze Currents records.
 */

// ---- /users/track ------------------------------------------------------------------------------

/** A user is named by one of these (for each object of attributes, events and purchases). */
export const UserIdentifierProperties = {
  external_id: Type.Optional(Type.String({ description: 'External user identifier' })),
  user_alias: Type.Optional(UserAlias),
  braze_id: Type.Optional(Type.String({ description: 'Braze user identifier' })),
  email: Type.Optional(Type.String({ description: 'Email address (names the user, and sets it on attributes)' })),
  phone: Type.Optional(Type.String({ description: 'Phone number, E.164 (names the user, and sets it on attributes)' })),
  _update_existing_only: Type.Optional(Type.Boolean({ description: 'Only update existing users; false creates alias-only users' })),
} satisfies TProperties;

const attr = (description: string) => Type.Optional(Nullable(Type.String({ description })));

/** User attributes object: identifiers, standard attributes and free custom attributes. */
export const TrackAttributes = Type.Object(
  {
    ...UserIdentifierProperties,
    first_name: attr('First name'),
    last_name: attr('Last name'),
    country: attr('Country, ISO 3166-1 alpha-2'),
    dob: attr('Date of birth, YYYY-MM-DD'),
    gender: attr('M, F, O, N, P or null'),
    home_city: attr('Home city'),
    language: attr('Language, ISO 639-1'),
    time_zone: attr('Time zone, IANA name'),
    email_subscribe: attr('opted_in, subscribed or unsubscribed'),
    push_subscribe: attr('opted_in, subscribed or unsubscribed'),
  },
  {
    additionalProperties: true,
    description: 'User attributes object; any other key is a custom attribute (value, array, object, or {"inc": n} etc.)',
  },
);

export const TrackEvent = Type.Object(
  {
    ...UserIdentifierProperties,
    app_id: Type.Optional(Type.String({ description: 'App API identifier' })),
    name: Type.String({ description: 'Custom event name' }),
    time: Type.String({ description: 'Time of the event, ISO 8601' }),
    properties: Type.Optional(FreeObject),
  },
  { additionalProperties: true, description: 'Event object' },
);

export const TrackPurchase = Type.Object(
  {
    ...UserIdentifierProperties,
    app_id: Type.Optional(Type.String({ description: 'App API identifier' })),
    product_id: Type.String({ description: 'Product identifier' }),
    currency: Type.String({ description: 'ISO 4217 currency code, e.g. USD' }),
    price: Type.Number({ description: 'Unit price in currency' }),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Quantity, 1 to 100 (default 1)' })),
    time: Type.String({ description: 'Time of the purchase, ISO 8601' }),
    properties: Type.Optional(FreeObject),
  },
  { additionalProperties: true, description: 'Purchase object' },
);

export const UsersTrackBody = Type.Object({
  api_key: ApiKeyParam,
  attributes: Type.Optional(Type.Array(TrackAttributes, { maxItems: 75, description: 'User attribute objects, up to 75' })),
  events: Type.Optional(Type.Array(TrackEvent, { maxItems: 75, description: 'Event objects, up to 75' })),
  purchases: Type.Optional(Type.Array(TrackPurchase, { maxItems: 75, description: 'Purchase objects, up to 75' })),
});

/** A rejected object (Braze's non-fatal error shape). */
export const TrackError = Type.Object({
  type: Type.String({ description: 'Why the object was rejected' }),
  input_array: Type.String({ description: 'attributes, events or purchases' }),
  index: Type.Integer({ minimum: 0, description: 'Index of the object in its array' }),
});

export const UsersTrackResponse = Type.Object({
  message: Message,
  attributes_processed: Type.Optional(Type.Integer({ minimum: 0, description: 'Attribute objects queued for processing' })),
  events_processed: Type.Optional(Type.Integer({ minimum: 0, description: 'Events queued for processing' })),
  purchases_processed: Type.Optional(Type.Integer({ minimum: 0, description: 'Purchases queued for processing' })),
  errors: Type.Optional(Type.Array(TrackError, { description: 'Objects rejected; the rest was processed' })),
});

export const usersTrack = defineEndpoint({
  method: 'POST',
  path: '/users/track',
  permission: 'users.track',
  summary: 'Record user attributes, custom events and purchases',
  tag: 'Ingestion',
  body: UsersTrackBody,
  response: UsersTrackResponse,
  status: 201,
});

// ---- /currents ---------------------------------------------------------------------------------

/** Braze Currents records, each with its `event_type`. The server also accepts
 * `application/x-ndjson` (one record a line) and parses it to this array itself. */
export const CurrentsIngestBody = Type.Array(Type.Record(Type.String(), Type.Unknown()), {
  description: 'Currents records (JSON array, or NDJSON with Content-Type application/x-ndjson); each has event_type, id, time and user fields',
});

export const CurrentsIngestError = Type.Object({
  index: Type.Integer({ minimum: 0, description: 'Index (line number from 0) of the rejected record' }),
  message: Type.String({ description: 'Why the record was rejected' }),
});

export const CurrentsIngestResponse = Type.Object({
  message: Message,
  events_processed: Type.Integer({ minimum: 0, description: 'Records stored' }),
  duplicates: Type.Integer({ minimum: 0, description: 'Records skipped because their id was already stored' }),
  errors: Type.Optional(Type.Array(CurrentsIngestError, { description: 'Records rejected; the rest was stored' })),
});

export const currentsIngest = defineEndpoint({
  method: 'POST',
  path: '/currents',
  permission: 'currents.ingest',
  summary: 'Ingest Braze Currents records (NDJSON or JSON array)',
  tag: 'Ingestion',
  body: CurrentsIngestBody,
  response: CurrentsIngestResponse,
  status: 201,
});

// ---- /currents/connector -----------------------------------------------------------------------

/** One event as Braze's Custom Currents connector posts it: a Currents record with its user and its
 * properties nested. */
export const ConnectorEvent = Type.Object(
  {
    event_type: Type.String({ description: 'Currents event type, e.g. users.messages.email.Open' }),
    id: Type.String({ description: 'Globally unique id of the event (a retried batch is recognised by it)' }),
    time: Type.Integer({ description: 'Time of the event, epoch seconds' }),
    user: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'user_id, external_user_id, device_id, timezone' })),
    properties: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "The event type's other fields" })),
  },
  { additionalProperties: true },
);

export const CurrentsConnectorBody = Type.Object({
  events: Type.Array(ConnectorEvent, { description: 'Events of a batch (100 by default)' }),
});

export const currentsConnector = defineEndpoint({
  method: 'POST',
  path: '/currents/connector',
  permission: 'currents.ingest',
  summary: "Take Braze's Custom Currents connector batches ({\"events\": [...]}); 2xx once stored, 429/503 to have Braze send again",
  tag: 'Ingestion',
  body: CurrentsConnectorBody,
  response: CurrentsIngestResponse,
  status: 201,
});

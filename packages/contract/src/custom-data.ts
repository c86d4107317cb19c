import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, Message, Nullable } from './common.ts';

/**
 * GET /events and GET /custom_attributes, Braze's newest export endpoints (braze-docs
 * `export/custom_events/get_custom_events_data.md`, `export/custom_attributes/get_custom_attributes.md`):
 * 50 items a page in alphabetical order, the next and previous pages named by `Link` headers.
 */

export const CUSTOM_DATA_PAGE = 50;

/** Braze's data types of a custom attribute (its dashboard's names). */
export const CUSTOM_ATTRIBUTE_DATA_TYPES = ['Boolean', 'Number', 'String', 'Time', 'Array', 'Object', 'Array of Objects'] as const;

export const CursorQuery = Type.Object({
  api_key: ApiKeyParam,
  cursor: Type.Optional(
    Type.String({ description: 'Where the page starts: the cursor of the Link header of an earlier answer (none for the first page)' }),
  ),
});

/** The `Link` header of a page, documented in the OpenAPI answer (@fastify/swagger reads `headers`). */
const pageHeaders = {
  Link: {
    type: 'string',
    description: 'The previous and next pages, when there are any: <URL?cursor=...>; rel="prev",<URL?cursor=...>; rel="next"',
  },
};

const Description = Nullable(Type.String({ description: 'Description from the workspace document, or null' }));
const Status = Type.String({ description: 'Active (default) or as the workspace document says, e.g. Blocklisted' });
const TagNames = Type.Array(Type.String(), { description: 'Tag names from the workspace document' });

export const CustomEventItem = Type.Object({
  name: Type.String({ description: 'Custom event name' }),
  description: Description,
  included_in_analytics_report: Type.Boolean({ description: 'Whether the event is in the analytics report (false unless the workspace document says)' }),
  status: Status,
  tag_names: TagNames,
});

export const CustomEventsResponse = Type.Object(
  {
    message: Message,
    events: Type.Array(CustomEventItem, { description: 'Up to 50 custom events, alphabetical (code-point order)' }),
  },
  { headers: pageHeaders },
);

export const CustomAttributeItem = Type.Object({
  name: Type.String({ description: 'Custom attribute name' }),
  description: Description,
  data_type: Type.String({ description: `Data type: ${CUSTOM_ATTRIBUTE_DATA_TYPES.join(', ')} (inferred from the first value recorded unless the workspace document says)` }),
  array_length: Nullable(Type.Integer({ description: "Most items an array attribute keeps (Braze's default, 25, unless the workspace document says); null for other types" })),
  status: Status,
  tag_names: TagNames,
});

export const CustomAttributesResponse = Type.Object(
  {
    message: Message,
    attributes: Type.Array(CustomAttributeItem, { description: 'Up to 50 custom attributes, alphabetical (code-point order)' }),
  },
  { headers: pageHeaders },
);

export const customEvents = defineEndpoint({
  method: 'GET',
  path: '/events',
  permission: 'events.get',
  summary: 'Custom events recorded or defined, 50 a page, alphabetical; Link headers name the other pages',
  tag: 'Custom events',
  querystring: CursorQuery,
  response: CustomEventsResponse,
  ratePool: 'events_products',
});

export const customAttributes = defineEndpoint({
  method: 'GET',
  path: '/custom_attributes',
  permission: 'custom_attributes.get',
  summary: 'Custom attributes recorded or defined, with their data types, 50 a page, alphabetical; Link headers name the other pages',
  tag: 'Custom attributes',
  querystring: CursorQuery,
  response: CustomAttributesResponse,
  ratePool: 'events_products',
});

// ---- definitions in the workspace document (what Braze's dashboard keeps about them) -----------

const open = { additionalProperties: true } as const;

export const WorkspaceCustomEvent = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Custom event name (the key of the upsert)' }),
    description: Type.Optional(Nullable(Type.String())),
    included_in_analytics_report: Type.Optional(Type.Boolean()),
    status: Type.Optional(Type.String({ description: 'e.g. Active, Blocklisted' })),
    tag_names: Type.Optional(Type.Array(Type.String())),
  },
  { ...open, description: 'What the dashboard says about a custom event; a name never recorded is listed too (pre-populated)' },
);

export const WorkspaceCustomAttribute = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Custom attribute name (the key of the upsert)' }),
    description: Type.Optional(Nullable(Type.String())),
    data_type: Type.Optional(Type.String({ description: `Forces the data type: ${CUSTOM_ATTRIBUTE_DATA_TYPES.join(', ')}` })),
    array_length: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    status: Type.Optional(Type.String({ description: 'e.g. Active, Blocklisted' })),
    tag_names: Type.Optional(Type.Array(Type.String())),
  },
  { ...open, description: 'What the dashboard says about a custom attribute; a name never recorded is listed too (pre-populated)' },
);

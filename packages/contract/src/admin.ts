import { Type, type TProperties } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, Message } from './common.ts';
import { CampaignDetailsProperties } from './campaigns.ts';
import { CanvasDetailsProperties } from './canvas.ts';
import { FeedDetailsProperties } from './feed.ts';
import { SegmentDetailsProperties } from './segments.ts';
import { WorkspaceCustomAttribute, WorkspaceCustomEvent } from './custom-data.ts';

/**
 * brazen's own administration (SPEC §5): API keys and the workspace document, i.e. what Braze
 * keeps in its dashboard. Workspace objects are shaped like the matching details response plus
 * `id`; every field but `id` is optional in the document (an upsert may say little) and objects
 * stay open so later work can add fields.
 */

const open = { additionalProperties: true } as const;

/** Makes every property of a details response optional (the document may omit what it likes). */
const optionalAll = <P extends TProperties>(properties: P) =>
  Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, Type.Optional(schema)])) as {
    [K in keyof P]: ReturnType<typeof Type.Optional<P[K]>>;
  };

// ---- /admin/api_keys ---------------------------------------------------------------------------

export const CreateApiKeyBody = Type.Object({
  api_key: ApiKeyParam,
  name: Type.String({ minLength: 1, description: 'Name of the key, for humans' }),
  permissions: Type.Array(Type.String(), { description: 'Permission names the key is granted, e.g. campaigns.data_series, admin' }),
});

export const CreateApiKeyResponse = Type.Object({
  message: Message,
  name: Type.String({ description: 'Name of the key' }),
  key: Type.String({ description: 'The key; shown once, stored hashed' }),
  permissions: Type.Array(Type.String(), { description: 'Permissions granted' }),
});

export const adminCreateApiKey = defineEndpoint({
  method: 'POST',
  path: '/admin/api_keys',
  permission: 'admin',
  summary: 'Create an API key with the given permissions',
  tag: 'Admin',
  body: CreateApiKeyBody,
  response: CreateApiKeyResponse,
  status: 201,
});

export const ApiKeySummary = Type.Object({
  name: Type.String({ description: 'Name of the key' }),
  permissions: Type.Array(Type.String(), { description: 'Permissions granted' }),
  created_at: Type.String({ description: 'When the key was made, ISO 8601' }),
}, { description: 'An API key as listed: never the key, nor its hash' });

export const adminListApiKeys = defineEndpoint({
  method: 'GET',
  path: '/admin/api_keys',
  permission: 'admin',
  summary: 'List the API keys of the workspace (names and permissions; never the keys)',
  tag: 'Admin',
  querystring: Type.Object({ api_key: ApiKeyParam }),
  response: Type.Object({ message: Message, api_keys: Type.Array(ApiKeySummary) }),
});

// ---- workspace document ------------------------------------------------------------------------

const Id = (what: string) => Type.String({ minLength: 1, description: `${what} API identifier` });

export const WorkspaceApp = Type.Object(
  {
    id: Id('App'),
    name: Type.String({ description: 'App name' }),
    platform: Type.Optional(Type.String({ description: 'Platform, e.g. ios, android, web' })),
  },
  open,
);

export const SegmentFilter = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Filter tree: {"and": [...]}, {"or": [...]}, {"not": F}, or a leaf such as {"attribute", "op", "value"}, ' +
    '{"custom_event", "op", "count", "within_days"}, {"purchased", "op", "count", "within_days"}, {"last_session_within_days"}, ' +
    '{"session_count": {"op", "value"}}, {"received_campaign"}, {"random_bucket": {"gte", "lte"}} (SPEC §5)',
});

export const WorkspaceCampaign = Type.Object(
  {
    id: Id('Campaign'),
    ...optionalAll(CampaignDetailsProperties),
    is_api_campaign: Type.Optional(Type.Boolean({ description: 'Whether the campaign is an API campaign' })),
    last_edited: Type.Optional(Type.String({ description: 'Last edited time, ISO 8601 (defaults to updated_at)' })),
  },
  { ...open, description: 'A campaign: the /campaigns/details fields plus id' },
);

export const WorkspaceCanvas = Type.Object(
  {
    id: Id('Canvas'),
    ...optionalAll(CanvasDetailsProperties),
    last_edited: Type.Optional(Type.String({ description: 'Last edited time, ISO 8601 (defaults to updated_at)' })),
  },
  { ...open, description: 'A Canvas: the /canvas/details fields plus id' },
);

export const WorkspaceSegment = Type.Object(
  {
    id: Id('Segment'),
    ...optionalAll(SegmentDetailsProperties),
    archived: Type.Optional(Type.Boolean({ description: 'Archived segments are left out of /segments/list' })),
    filter: Type.Optional(SegmentFilter),
  },
  { ...open, description: 'A segment: the /segments/details fields plus id and filter' },
);

export const WorkspaceCard = Type.Object(
  {
    id: Id('Card'),
    ...optionalAll(FeedDetailsProperties),
    type: Type.Optional(Type.String({ description: 'NewsItem, CaptionedImage, Banner or DevPick' })),
  },
  { ...open, description: 'A News Feed card: the /feed/details fields plus id' },
);

const S3Public = {
  bucket: Type.String({ description: 'Bucket the segment exports are written to' }),
  region: Type.Optional(Type.String({ description: 'Bucket region' })),
  prefix: Type.Optional(Type.String({ description: 'Key prefix before segment-export/' })),
  endpoint: Type.Optional(Type.String({ description: 'S3-compatible endpoint URL (e.g. MinIO, LocalStack)' })),
  force_path_style: Type.Optional(Type.Boolean({ description: 'Use path-style URLs' })),
} satisfies TProperties;

/** S3 settings as written: includes credentials. */
export const WorkspaceS3 = Type.Object(
  {
    ...S3Public,
    access_key_id: Type.Optional(Type.String({ description: 'Access key id (default: the environment)' })),
    secret_access_key: Type.Optional(Type.String({ description: 'Secret access key (never returned)' })),
    session_token: Type.Optional(Type.String({ description: 'Session token (never returned)' })),
  },
  { ...open, description: 'S3 destination of segment exports' },
);

/** S3 settings as returned: closed, so the serializer drops the credentials. */
export const WorkspaceS3Public = Type.Object(S3Public, { additionalProperties: false, description: 'S3 destination (credentials omitted)' });

export const WorkspaceGlobalControlGroup = Type.Object(
  {
    id: Type.Optional(Type.String({ description: 'Segment identifier of the Global Control Group' })),
    name: Type.Optional(Type.String({ description: 'Name' })),
    filter: Type.Optional(SegmentFilter),
  },
  { ...open, description: 'Who is in the Global Control Group, e.g. {"filter": {"random_bucket": {"gte": 0, "lte": 499}}}' },
);

const CurrencyRates = Type.Record(Type.String(), Type.Number({ exclusiveMinimum: 0 }), {
  description: 'USD value of one unit of each currency, e.g. {"EUR": 1.08}',
});

const TimeZone = Type.String({ description: 'IANA time zone of the workspace (default UTC)' });

/** PUT body: upserted by id; anything left out is kept. */
export const WorkspaceDocument = Type.Object(
  {
    api_key: ApiKeyParam,
    time_zone: Type.Optional(TimeZone),
    apps: Type.Optional(Type.Array(WorkspaceApp)),
    campaigns: Type.Optional(Type.Array(WorkspaceCampaign)),
    canvases: Type.Optional(Type.Array(WorkspaceCanvas)),
    segments: Type.Optional(Type.Array(WorkspaceSegment)),
    cards: Type.Optional(Type.Array(WorkspaceCard)),
    s3: Type.Optional(WorkspaceS3),
    global_control_group: Type.Optional(WorkspaceGlobalControlGroup),
    currency_rates: Type.Optional(CurrencyRates),
    custom_events: Type.Optional(Type.Array(WorkspaceCustomEvent, { description: 'Custom event definitions, upserted by name' })),
    custom_attributes: Type.Optional(Type.Array(WorkspaceCustomAttribute, { description: 'Custom attribute definitions, upserted by name' })),
  },
  { ...open, description: 'Workspace definitions' },
);

/** GET (and PUT) answer: the whole document after the upsert. */
export const WorkspaceResponse = Type.Object(
  {
    message: Message,
    time_zone: TimeZone,
    apps: Type.Array(WorkspaceApp),
    campaigns: Type.Array(WorkspaceCampaign),
    canvases: Type.Array(WorkspaceCanvas),
    segments: Type.Array(WorkspaceSegment),
    cards: Type.Array(WorkspaceCard),
    s3: Type.Optional(WorkspaceS3Public),
    global_control_group: Type.Optional(WorkspaceGlobalControlGroup),
    currency_rates: Type.Optional(CurrencyRates),
    custom_events: Type.Optional(Type.Array(WorkspaceCustomEvent)),
    custom_attributes: Type.Optional(Type.Array(WorkspaceCustomAttribute)),
  },
  { description: 'The whole workspace document' },
);

export const adminGetWorkspace = defineEndpoint({
  method: 'GET',
  path: '/admin/workspace',
  permission: 'admin',
  summary: 'Read the whole workspace document',
  tag: 'Admin',
  querystring: Type.Object({ api_key: ApiKeyParam }),
  response: WorkspaceResponse,
});

export const adminPutWorkspace = defineEndpoint({
  method: 'PUT',
  path: '/admin/workspace',
  permission: 'admin',
  summary: 'Upsert workspace definitions by id',
  tag: 'Admin',
  body: WorkspaceDocument,
  response: WorkspaceResponse,
});


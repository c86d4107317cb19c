import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, ListQueryProperties, Message, Nullable, ResponseDate, Tags, Teams } from './common.ts';
import { MessagesByVariation } from './message-content.ts';
import { ChannelMessages } from './stats.ts';

const CanvasId = Type.String({ description: 'Canvas API identifier' });
const open = { additionalProperties: true } as const;

// ---- /canvas/list ------------------------------------------------------------------------------

export const CanvasListQuery = Type.Object({
  ...ListQueryProperties,
  page: Type.Optional(Type.Integer({ minimum: 0, description: 'Page of Canvases to return, from 0 (100 a page)' })),
});

export const CanvasListItem = Type.Object({
  id: CanvasId,
  last_edited: Type.Optional(ResponseDate('Last edited time, ISO 8601 (newer docs)')),
  name: Type.String({ description: 'Canvas name' }),
  tags: Tags,
});

export const CanvasListResponse = Type.Object({
  message: Message,
  canvases: Type.Array(CanvasListItem, { description: 'Canvases, 100 a page, by creation time' }),
});

// ---- /canvas/details ---------------------------------------------------------------------------

export const CanvasDetailsQuery = Type.Object({
  api_key: ApiKeyParam,
  canvas_id: CanvasId,
  post_launch_draft_version: Type.Optional(Type.Boolean({ description: 'Show the post-launch draft changes, if any (default false)' })),
});

export const CanvasVariant = Type.Object(
  {
    name: Type.String({ description: 'Variant name' }),
    id: Type.Optional(Type.String({ description: 'Variant API identifier (newer docs)' })),
    first_step_ids: Type.Array(Type.String(), { description: 'API identifiers of the first steps of the variant' }),
    first_step_id: Type.Optional(Type.String({ description: 'First step, only when there is one (deprecated)' })),
  },
  open,
);

export const CanvasNextPath = Type.Object(
  {
    name: Nullable(Type.String({ description: 'Path name: Yes/No for decision splits, group or path name, null otherwise' })),
    next_step_id: Type.String({ description: 'API identifier of the next step' }),
  },
  open,
);

export const CanvasStep = Type.Object(
  {
    name: Type.String({ description: 'Step name' }),
    type: Type.Optional(Type.String({ description: 'Type of Canvas component (newer docs)' })),
    id: Type.String({ description: 'Step API identifier' }),
    next_step_ids: Type.Array(Type.String(), { description: 'API identifiers of the following steps' }),
    next_paths: Type.Optional(Type.Array(CanvasNextPath, { description: 'Named paths to the following steps (newer docs)' })),
    channels: Type.Array(Type.String(), { description: 'Channels used in the step' }),
    messages: Type.Optional(MessagesByVariation),
  },
  open,
);

/** Fields of a Canvas as `/canvas/details` describes it (both doc generations). */
export const CanvasDetailsProperties = {
  created_at: ResponseDate('Date created, ISO 8601'),
  updated_at: ResponseDate('Date last updated, ISO 8601'),
  name: Type.String({ description: 'Canvas name' }),
  description: Type.Optional(Type.String({ description: 'Canvas description (newer docs)' })),
  archived: Type.Boolean({ description: 'Whether the Canvas is archived' }),
  draft: Type.Boolean({ description: 'Whether the Canvas is a draft' }),
  enabled: Type.Optional(Type.Boolean({ description: 'Whether the Canvas is active (newer docs)' })),
  has_post_launch_draft: Type.Optional(Type.Boolean({ description: 'Whether the Canvas has a post-launch draft (newer docs)' })),
  schedule_type: Type.String({ description: 'Type of scheduling action' }),
  first_entry: Type.Optional(Nullable(ResponseDate('Date of the first entry, ISO 8601'))),
  last_entry: Type.Optional(Nullable(ResponseDate('Date of the last entry, ISO 8601'))),
  channels: Type.Array(Type.String(), { description: 'Step channels used in the Canvas' }),
  variants: Type.Array(CanvasVariant),
  tags: Tags,
  teams: Type.Optional(Teams),
  steps: Type.Array(CanvasStep),
};

export const CanvasDetailsResponse = Type.Object({
  message: Message,
  ...CanvasDetailsProperties,
});

// ---- /canvas/data_series and /canvas/data_summary ---------------------------------------------

export const CanvasAnalyticsQuery = Type.Object({
  api_key: ApiKeyParam,
  canvas_id: CanvasId,
  ending_at: Type.Optional(
    Type.String({ format: 'iso8601', description: 'End of the export (ISO 8601); Braze marks it required, brazen defaults to now' }),
  ),
  starting_at: Type.Optional(Type.String({ format: 'iso8601', description: 'Start of the export (ISO 8601); either length or starting_at is required' })),
  length: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 14, description: 'Days before ending_at to include, 1 to 14; either length or starting_at is required' }),
  ),
  include_variant_breakdown: Type.Optional(Type.Boolean({ description: 'Include variant statistics (default false)' })),
  include_step_breakdown: Type.Optional(Type.Boolean({ description: 'Include step statistics (default false)' })),
  include_deleted_step_data: Type.Optional(Type.Boolean({ description: 'Include statistics of deleted steps (default false)' })),
});

const num = (description: string) => Type.Number({ description });

export const CanvasTotalStats = Type.Object(
  {
    revenue: num('Revenue in USD'),
    conversions: num('Conversions'),
    conversions_by_entry_time: num('Conversions attributed to the day of entry'),
    entries: num('Canvas entries'),
  },
  open,
);

export const CanvasVariantStats = Type.Object(
  {
    name: Type.String({ description: 'Variant name' }),
    revenue: num('Revenue in USD'),
    conversions: num('Conversions'),
    conversions_by_entry_time: Type.Optional(num('Conversions attributed to the day of entry')),
    entries: num('Entries into the variant'),
  },
  open,
);

export const CanvasStepStats = Type.Object(
  {
    name: Type.String({ description: 'Step name' }),
    revenue: num('Revenue in USD'),
    conversions: num('Conversions'),
    conversions_by_entry_time: num('Conversions attributed to the day of entry'),
    messages: ChannelMessages,
  },
  open,
);

const VariantStatsById = Type.Record(Type.String(), CanvasVariantStats, { description: 'Variant API identifier → statistics (include_variant_breakdown)' });
const StepStatsById = Type.Record(Type.String(), CanvasStepStats, { description: 'Step API identifier → statistics (include_step_breakdown)' });

export const CanvasStatsPoint = Type.Object({
  time: Type.String({ description: 'Date, ISO 8601 (YYYY-MM-DD)' }),
  total_stats: CanvasTotalStats,
  variant_stats: Type.Optional(VariantStatsById),
  step_stats: Type.Optional(StepStatsById),
});

export const CanvasDataSeriesResponse = Type.Object({
  message: Message,
  data: Type.Object({
    name: Type.String({ description: 'Canvas name' }),
    stats: Type.Array(CanvasStatsPoint, { description: 'One entry per day, oldest first' }),
  }),
});

export const CanvasDataSummaryResponse = Type.Object({
  message: Message,
  data: Type.Object({
    name: Type.String({ description: 'Canvas name' }),
    total_stats: CanvasTotalStats,
    variant_stats: Type.Optional(VariantStatsById),
    step_stats: Type.Optional(StepStatsById),
  }),
});

// ---- endpoints ---------------------------------------------------------------------------------

export const canvasList = defineEndpoint({
  method: 'GET',
  path: '/canvas/list',
  permission: 'canvas.list',
  summary: 'List Canvases with id, name and tags',
  tag: 'Canvas',
  querystring: CanvasListQuery,
  response: CanvasListResponse,
  ratePool: 'shared_hourly',
});

export const canvasDetails = defineEndpoint({
  method: 'GET',
  path: '/canvas/details',
  permission: 'canvas.details',
  summary: 'Details of one Canvas: variants, steps graph and messages',
  tag: 'Canvas',
  querystring: CanvasDetailsQuery,
  response: CanvasDetailsResponse,
  ratePool: 'shared_hourly',
});

export const canvasDataSeries = defineEndpoint({
  method: 'GET',
  path: '/canvas/data_series',
  permission: 'canvas.data_series',
  summary: 'Daily series of Canvas entries, conversions and revenue, with optional breakdowns',
  tag: 'Canvas',
  querystring: CanvasAnalyticsQuery,
  response: CanvasDataSeriesResponse,
  ratePool: 'shared_hourly',
});

export const canvasDataSummary = defineEndpoint({
  method: 'GET',
  path: '/canvas/data_summary',
  permission: 'canvas.data_summary',
  summary: 'Roll-up of Canvas statistics over a window, with optional breakdowns',
  tag: 'Canvas',
  querystring: CanvasAnalyticsQuery,
  response: CanvasDataSummaryResponse,
  ratePool: 'shared_hourly',
});

import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, DAYS_LENGTH, EndingAt, LengthParam, ListQueryProperties, Message, Nullable, ResponseDate, Tags, Teams } from './common.ts';
import { ConversionBehavior, MessagesByVariation } from './message-content.ts';
import { MessageSeriesPoint } from './stats.ts';

const CampaignId = Type.String({ description: 'Campaign API identifier' });

// ---- /campaigns/list ---------------------------------------------------------------------------

export const CampaignsListQuery = Type.Object({
  ...ListQueryProperties,
  page: Type.Optional(Type.Integer({ minimum: 0, description: 'Page of campaigns to return, from 0 (100 a page)' })),
});

export const CampaignListItem = Type.Object({
  id: CampaignId,
  last_edited: Type.Optional(ResponseDate('Last edited time, ISO 8601 (newer docs)')),
  name: Type.String({ description: 'Campaign name' }),
  is_api_campaign: Type.Boolean({ description: 'Whether the campaign is an API campaign' }),
  tags: Tags,
});

export const CampaignsListResponse = Type.Object({
  message: Message,
  campaigns: Type.Array(CampaignListItem, { description: 'Campaigns, 100 a page, by creation time' }),
});

// ---- /campaigns/details ------------------------------------------------------------------------

export const CampaignsDetailsQuery = Type.Object({
  api_key: ApiKeyParam,
  campaign_id: CampaignId,
  post_launch_draft_version: Type.Optional(Type.Boolean({ description: 'Show the post-launch draft changes, if any (default false)' })),
});

/** Fields of a campaign as `/campaigns/details` describes it (both doc generations). */
export const CampaignDetailsProperties = {
  created_at: ResponseDate('Date created, ISO 8601'),
  updated_at: ResponseDate('Date last updated, ISO 8601'),
  archived: Type.Boolean({ description: 'Whether the campaign is archived' }),
  draft: Type.Boolean({ description: 'Whether the campaign is a draft' }),
  enabled: Type.Optional(Type.Boolean({ description: 'Whether the campaign is active (newer docs)' })),
  has_post_launch_draft: Type.Optional(Type.Boolean({ description: 'Whether the campaign has a post-launch draft (newer docs)' })),
  name: Type.String({ description: 'Campaign name' }),
  description: Type.Optional(Type.String({ description: 'Campaign description (newer docs)' })),
  schedule_type: Type.String({ description: 'Type of scheduling action, e.g. time_based, action_based, api_triggered' }),
  channels: Type.Array(Type.String(), { description: 'Channels the campaign sends through' }),
  first_sent: Type.Optional(Nullable(ResponseDate('Date and hour of the first send, ISO 8601'))),
  last_sent: Type.Optional(Nullable(ResponseDate('Date and hour of the last send, ISO 8601'))),
  tags: Tags,
  teams: Type.Optional(Teams),
  messages: MessagesByVariation,
  conversion_behaviors: Type.Array(ConversionBehavior, { description: 'Conversion event behaviors, in order (A, B, C, D)' }),
};

export const CampaignsDetailsResponse = Type.Object({
  message: Message,
  ...CampaignDetailsProperties,
});

// ---- /campaigns/data_series --------------------------------------------------------------------

export const CampaignsDataSeriesQuery = Type.Object({
  api_key: ApiKeyParam,
  campaign_id: CampaignId,
  length: LengthParam(DAYS_LENGTH),
  ending_at: Type.Optional(EndingAt),
});

export const CampaignsDataSeriesResponse = Type.Object({
  message: Message,
  data: Type.Array(MessageSeriesPoint, { description: 'One entry per day, oldest first' }),
});

// ---- endpoints ---------------------------------------------------------------------------------

export const campaignsList = defineEndpoint({
  method: 'GET',
  path: '/campaigns/list',
  permission: 'campaigns.list',
  summary: 'List campaigns with id, name, API flag and tags',
  tag: 'Campaigns',
  querystring: CampaignsListQuery,
  response: CampaignsListResponse,
  ratePool: 'shared_hourly',
});

export const campaignsDetails = defineEndpoint({
  method: 'GET',
  path: '/campaigns/details',
  permission: 'campaigns.details',
  summary: 'Details of one campaign: messages by variation and conversion behaviors',
  tag: 'Campaigns',
  querystring: CampaignsDetailsQuery,
  response: CampaignsDetailsResponse,
  ratePool: 'shared_hourly',
});

export const campaignsDataSeries = defineEndpoint({
  method: 'GET',
  path: '/campaigns/data_series',
  permission: 'campaigns.data_series',
  summary: 'Daily series of message and conversion statistics for a campaign',
  tag: 'Campaigns',
  querystring: CampaignsDataSeriesQuery,
  response: CampaignsDataSeriesResponse,
});

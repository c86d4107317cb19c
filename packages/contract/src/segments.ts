import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, DAYS_LENGTH, EndingAt, LengthParam, Message, MessageOnly, ResponseDate, SeriesTime, SortDirection, Tags, Teams } from './common.ts';

const SegmentId = Type.String({ description: 'Segment API identifier' });

export const SegmentsListQuery = Type.Object({
  api_key: ApiKeyParam,
  page: Type.Optional(Type.Integer({ minimum: 0, description: 'Page of segments to return, from 0 (100 a page)' })),
  sort_direction: Type.Optional(SortDirection),
});

export const SegmentListItem = Type.Object({
  id: SegmentId,
  name: Type.String({ description: 'Segment name' }),
  analytics_tracking_enabled: Type.Boolean({ description: 'Whether the segment has analytics tracking enabled' }),
  tags: Tags,
});

export const SegmentsListResponse = Type.Object({
  message: Message,
  segments: Type.Array(SegmentListItem, { description: 'Segments, archived excluded, 100 a page' }),
});

export const SegmentsDataSeriesQuery = Type.Object({
  api_key: ApiKeyParam,
  segment_id: SegmentId,
  length: LengthParam(DAYS_LENGTH),
  ending_at: Type.Optional(EndingAt),
});

export const SegmentsDataSeriesResponse = Type.Object({
  message: Message,
  data: Type.Array(
    Type.Object({
      time: SeriesTime,
      size: Type.Integer({ minimum: 0, description: 'Size of the segment at the end of that day' }),
    }),
  ),
});

export const SegmentsDetailsQuery = Type.Object({
  api_key: ApiKeyParam,
  segment_id: SegmentId,
});

/** Fields of a segment as `/segments/details` describes it (older and newer docs together). */
export const SegmentDetailsProperties = {
  created_at: ResponseDate('Date created, ISO 8601'),
  updated_at: ResponseDate('Date last updated, ISO 8601'),
  name: Type.String({ description: 'Segment name' }),
  description: Type.String({ description: 'Human-readable description of the filters' }),
  text_description: Type.Optional(Type.String({ description: 'Segment description written by its author (newer docs)' })),
  tags: Tags,
  teams: Type.Optional(Teams),
  analytics_tracking_enabled: Type.Optional(Type.Boolean({ description: 'Whether the segment has analytics tracking enabled (brazen addition)' })),
};

export const SegmentsDetailsResponse = Type.Object({
  message: Message,
  ...SegmentDetailsProperties,
});

export const segmentsList = defineEndpoint({
  method: 'GET',
  path: '/segments/list',
  permission: 'segments.list',
  summary: 'List segments with their analytics tracking status',
  tag: 'Segments',
  querystring: SegmentsListQuery,
  response: SegmentsListResponse,
  ratePool: 'shared_hourly',
});

export const segmentsDataSeries = defineEndpoint({
  method: 'GET',
  path: '/segments/data_series',
  permission: 'segments.data_series',
  summary: 'Daily series of the size of an analytics-enabled segment',
  tag: 'Segments',
  querystring: SegmentsDataSeriesQuery,
  response: SegmentsDataSeriesResponse,
  ratePool: 'shared_hourly',
});

export const segmentsDetails = defineEndpoint({
  method: 'GET',
  path: '/segments/details',
  permission: 'segments.details',
  summary: 'Details of one segment',
  tag: 'Segments',
  querystring: SegmentsDetailsQuery,
  response: SegmentsDetailsResponse,
  ratePool: 'shared_hourly',
});

export const ExportSegmentCancelBody = Type.Object({
  api_key: ApiKeyParam,
  segment_id: Type.String({ description: 'Segment whose ongoing exports are cancelled' }),
});

/** Documented by braze-docs (`post_cancel_export.md`), with the `segments.list` permission; the
 * answer is not documented there, so brazen answers `{message}`. */
export const exportSegmentCancel = defineEndpoint({
  method: 'POST',
  path: '/export/segment/cancel',
  permission: 'segments.list',
  summary: 'Cancel every ongoing user export of a segment',
  tag: 'User export',
  body: ExportSegmentCancelBody,
  response: MessageOnly,
});

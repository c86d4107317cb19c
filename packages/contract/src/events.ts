import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, AppIdParam, EndingAt, LengthParam, Message, SegmentIdParam, SeriesTime, UNITS_LENGTH, Unit } from './common.ts';

export const EventsListQuery = Type.Object({
  api_key: ApiKeyParam,
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Page of event names to return, from 0 (250 names a page)' })),
});

export const EventsListResponse = Type.Object({
  message: Message,
  events: Type.Array(Type.String({ description: 'Custom event name' }), { description: 'Custom event names, alphabetical' }),
});

export const EventsDataSeriesQuery = Type.Object({
  api_key: ApiKeyParam,
  event: Type.String({ description: 'Name of the custom event to count' }),
  length: LengthParam(UNITS_LENGTH),
  unit: Type.Optional(Unit),
  ending_at: Type.Optional(EndingAt),
  app_id: Type.Optional(AppIdParam),
  segment_id: Type.Optional(SegmentIdParam),
});

export const EventsDataSeriesResponse = Type.Object({
  message: Message,
  data: Type.Array(
    Type.Object({
      time: SeriesTime,
      count: Type.Integer({ minimum: 0, description: 'Occurrences of the event in the unit' }),
    }),
  ),
});

export const eventsList = defineEndpoint({
  method: 'GET',
  path: '/events/list',
  permission: 'events.list',
  summary: 'List custom event names recorded in the workspace',
  tag: 'Custom events',
  querystring: EventsListQuery,
  response: EventsListResponse,
  ratePool: 'events_products',
});

export const eventsDataSeries = defineEndpoint({
  method: 'GET',
  path: '/events/data_series',
  permission: 'events.data_series',
  summary: 'Series of occurrences of one custom event per day or hour',
  tag: 'Custom events',
  querystring: EventsDataSeriesQuery,
  response: EventsDataSeriesResponse,
  ratePool: 'shared_hourly',
});

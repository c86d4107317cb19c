import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, AppIdParam, EndingAt, LengthParam, Message, SegmentIdParam, SeriesTime, UNITS_LENGTH, Unit } from './common.ts';

export const SessionsDataSeriesQuery = Type.Object({
  api_key: ApiKeyParam,
  length: LengthParam(UNITS_LENGTH),
  unit: Type.Optional(Unit),
  ending_at: Type.Optional(EndingAt),
  app_id: Type.Optional(AppIdParam),
  segment_id: Type.Optional(SegmentIdParam),
});

export const SessionsDataSeriesResponse = Type.Object({
  message: Message,
  data: Type.Array(
    Type.Object({
      time: SeriesTime,
      sessions: Type.Integer({ minimum: 0, description: 'Session starts in the unit' }),
    }),
  ),
});

export const sessionsDataSeries = defineEndpoint({
  method: 'GET',
  path: '/sessions/data_series',
  permission: 'sessions.data_series',
  summary: 'Series of session starts per day or hour',
  tag: 'Sessions',
  querystring: SessionsDataSeriesQuery,
  response: SessionsDataSeriesResponse,
  ratePool: 'shared_hourly',
});

import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, DAYS_LENGTH, EndingAt, LengthParam, Message } from './common.ts';
import { MessageSeriesPoint } from './stats.ts';

export const SendsDataSeriesQuery = Type.Object({
  api_key: ApiKeyParam,
  campaign_id: Type.String({ description: 'Campaign API identifier' }),
  send_id: Type.String({ description: 'Send API identifier' }),
  length: LengthParam(DAYS_LENGTH),
  ending_at: Type.Optional(EndingAt),
});

export const SendsDataSeriesResponse = Type.Object({
  message: Message,
  data: Type.Array(MessageSeriesPoint, { description: 'One entry per day, oldest first' }),
});

export const sendsDataSeries = defineEndpoint({
  method: 'GET',
  path: '/sends/data_series',
  permission: 'sends.data_series',
  summary: 'Daily series of statistics for one tracked send of an API campaign',
  tag: 'Sends',
  querystring: SendsDataSeriesQuery,
  response: SendsDataSeriesResponse,
  ratePool: 'shared_hourly',
});

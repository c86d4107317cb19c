import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, AppIdParam, DAYS_LENGTH, EndingAt, LengthParam, Message, SeriesTime } from './common.ts';

/** The KPI endpoints all take the same query: a daily series of `length` days ending at `ending_at`. */
export const KpiQuery = Type.Object({
  api_key: ApiKeyParam,
  length: LengthParam(DAYS_LENGTH),
  ending_at: Type.Optional(EndingAt),
  app_id: Type.Optional(AppIdParam),
});

const count = (description: string) => Type.Integer({ minimum: 0, description });

export const KpiMauResponse = Type.Object({
  message: Message,
  data: Type.Array(Type.Object({ time: SeriesTime, mau: count('Distinct users with a session in the 30 days ending that day') })),
});
export const KpiDauResponse = Type.Object({
  message: Message,
  data: Type.Array(Type.Object({ time: SeriesTime, dau: count('Distinct users with a session that day') })),
});
export const KpiNewUsersResponse = Type.Object({
  message: Message,
  data: Type.Array(Type.Object({ time: SeriesTime, new_users: count('Users whose first session falls that day') })),
});
export const KpiUninstallsResponse = Type.Object({
  message: Message,
  data: Type.Array(Type.Object({ time: SeriesTime, uninstalls: count('Uninstalls recorded that day') })),
});

export const kpiMauDataSeries = defineEndpoint({
  method: 'GET',
  path: '/kpi/mau/data_series',
  permission: 'kpi.mau.data_series',
  summary: 'Daily series of monthly active users (30-day rolling window)',
  tag: 'KPI',
  querystring: KpiQuery,
  response: KpiMauResponse,
  ratePool: 'shared_hourly',
});

export const kpiDauDataSeries = defineEndpoint({
  method: 'GET',
  path: '/kpi/dau/data_series',
  permission: 'kpi.dau.data_series',
  summary: 'Daily series of unique active users',
  tag: 'KPI',
  querystring: KpiQuery,
  response: KpiDauResponse,
  ratePool: 'shared_hourly',
});

export const kpiNewUsersDataSeries = defineEndpoint({
  method: 'GET',
  path: '/kpi/new_users/data_series',
  permission: 'kpi.new_users.data_series',
  summary: 'Daily series of new users',
  tag: 'KPI',
  querystring: KpiQuery,
  response: KpiNewUsersResponse,
  ratePool: 'shared_hourly',
});

export const kpiUninstallsDataSeries = defineEndpoint({
  method: 'GET',
  path: '/kpi/uninstalls/data_series',
  permission: 'kpi.uninstalls.data_series',
  summary: 'Daily series of app uninstalls',
  tag: 'KPI',
  querystring: KpiQuery,
  response: KpiUninstallsResponse,
  ratePool: 'shared_hourly',
});

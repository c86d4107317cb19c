import type { FastifyInstance } from 'fastify';
import { kpiDauDataSeries, kpiMauDataSeries, kpiNewUsersDataSeries, kpiUninstallsDataSeries } from '@brazen/contract';
import type { ActivityMetric } from '@brazen/store';
import type { ApiContext } from '../context.ts';
import { route } from './route.ts';

/** DAU, MAU, new users (rollups by local day) and uninstalls (a counter), SPEC §3. */
export function kpiRoutes(app: FastifyInstance): void {
  const daily = async (ctx: ApiContext, metric: ActivityMetric, query: { length: number; ending_at?: string; app_id?: string }) => {
    await ctx.checkApp(query.app_id);
    const days = (await ctx.units(query, 'day')).map((u) => u.time);
    const values = await ctx.data.activitySeries({ metric, appId: query.app_id, days });
    return days.map((time, i) => ({ time, value: values[i] }));
  };

  route(app, kpiDauDataSeries, async ({ query, ctx }) => ({
    message: 'success',
    data: (await daily(ctx, 'dau', query)).map(({ time, value }) => ({ time, dau: value })),
  }));
  route(app, kpiMauDataSeries, async ({ query, ctx }) => ({
    message: 'success',
    data: (await daily(ctx, 'mau', query)).map(({ time, value }) => ({ time, mau: value })),
  }));
  route(app, kpiNewUsersDataSeries, async ({ query, ctx }) => ({
    message: 'success',
    data: (await daily(ctx, 'new_users', query)).map(({ time, value }) => ({ time, new_users: value })),
  }));
  route(app, kpiUninstallsDataSeries, async ({ query, ctx }) => {
    await ctx.checkApp(query.app_id);
    const units = await ctx.seriesUnits(query, 'day');
    const totals = await ctx.data.counterSeries({ kind: 'uninstall', appId: query.app_id, units });
    return { message: 'success', data: units.list.map((u, i) => ({ time: u.time, uninstalls: totals[i].count })) };
  });
}

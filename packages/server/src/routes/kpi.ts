import type { FastifyInstance } from 'fastify';
import { kpiDauDataSeries, kpiMauDataSeries, kpiNewUsersDataSeries, kpiUninstallsDataSeries } from '@brazen/contract';
import { binIntoUnits } from '@brazen/analytics';
import type { DailyMetric } from '@brazen/store';
import type { ApiContext } from '../context.ts';
import { route } from './route.ts';

/** DAU, MAU, new users (rollups by local day) and uninstalls (a counter), SPEC §3. */
export function kpiRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const daily = async (metric: DailyMetric, query: { length: number; ending_at?: string; app_id?: string }) => {
    await ctx.checkApp(query.app_id);
    const units = await ctx.units(query, 'day');
    const values = await ctx.store.dailySeries({
      metric,
      appId: query.app_id,
      fromDay: units[0].time,
      toDay: units[units.length - 1].time,
    });
    return units.map((u) => ({ time: u.time, value: values.get(u.time) ?? 0 }));
  };

  route(app, kpiDauDataSeries, async ({ query }) => ({
    message: 'success',
    data: (await daily('dau', query)).map(({ time, value }) => ({ time, dau: value })),
  }));
  route(app, kpiMauDataSeries, async ({ query }) => ({
    message: 'success',
    data: (await daily('mau', query)).map(({ time, value }) => ({ time, mau: value })),
  }));
  route(app, kpiNewUsersDataSeries, async ({ query }) => ({
    message: 'success',
    data: (await daily('new_users', query)).map(({ time, value }) => ({ time, new_users: value })),
  }));
  route(app, kpiUninstallsDataSeries, async ({ query }) => {
    await ctx.checkApp(query.app_id);
    const { units, range } = await ctx.window(query, 'day');
    const buckets = await ctx.store.counterSeries({ kind: 'uninstall', appId: query.app_id, ...range });
    const totals = binIntoUnits(units, buckets, (b) => b.count);
    return { message: 'success', data: units.map((u, i) => ({ time: u.time, uninstalls: totals[i] })) };
  });
}

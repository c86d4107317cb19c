import type { FastifyInstance } from 'fastify';
import {
  eventsDataSeries, eventsList, purchasesProductList, purchasesQuantitySeries, purchasesRevenueSeries, sessionsDataSeries,
} from '@brazen/contract';
import { roundMoney, type Unit } from '@brazen/analytics';
import type { CounterKind, SeriesUnits, UnitTotals } from '@brazen/store';
import { ApiError } from '../errors.ts';
import type { ApiContext } from '../context.ts';
import { route } from './route.ts';

const LIST_PAGE = 250;

/** Sessions, custom events and purchases: counts per day or hour from the 15-minute counters. */
export function counterRoutes(app: FastifyInstance): void {
  const series = async (
    ctx: ApiContext,
    kind: CounterKind,
    query: { length: number; unit?: Unit; ending_at?: string; app_id?: string; segment_id?: string },
    name?: string,
  ): Promise<{ units: SeriesUnits; totals: UnitTotals[] }> => {
    await ctx.checkApp(query.app_id);
    const segment = await ctx.checkSegment(query.segment_id);
    const units = await ctx.seriesUnits(query);
    const q = { kind, name, appId: query.app_id, units };
    // A segment restricts to the users in it now (SPEC §3).
    const totals = segment
      ? await ctx.data.segmentCounterSeries(q, segment.filter, ctx.now() / 1000)
      : await ctx.data.counterSeries(q);
    return { units, totals };
  };

  /** A name that was never recorded is most likely a typo: say so rather than answer zeros. */
  const checkKnown = async (ctx: ApiContext, kind: 'custom_event' | 'purchase', name: string, param: string) => {
    if (!(await ctx.data.hasName(kind, name))) {
      const what = kind === 'custom_event' ? 'custom event' : 'product';
      throw new ApiError(400, `${param} "${name}" names no ${what} recorded in this workspace`);
    }
  };

  route(app, sessionsDataSeries, async ({ query, ctx }) => {
    const { units, totals } = await series(ctx, 'session', query);
    return { message: 'success', data: units.list.map((u, i) => ({ time: u.time, sessions: totals[i].count })) };
  });

  route(app, eventsList, async ({ query, ctx }) => ({
    message: 'success',
    events: await ctx.data.names('custom_event', (query.page ?? 0) * LIST_PAGE, LIST_PAGE),
  }));

  route(app, eventsDataSeries, async ({ query, ctx }) => {
    await checkKnown(ctx, 'custom_event', query.event, 'event');
    const { units, totals } = await series(ctx, 'custom_event', query, query.event);
    return { message: 'success', data: units.list.map((u, i) => ({ time: u.time, count: totals[i].count })) };
  });

  route(app, purchasesProductList, async ({ query, ctx }) => ({
    message: 'success',
    products: await ctx.data.names('purchase', (query.page ?? 0) * LIST_PAGE, LIST_PAGE),
  }));

  route(app, purchasesRevenueSeries, async ({ query, ctx }) => {
    if (query.product !== undefined) await checkKnown(ctx, 'purchase', query.product, 'product');
    const { units, totals } = await series(ctx, 'purchase', query, query.product);
    return { message: 'success', data: units.list.map((u, i) => ({ time: u.time, revenue: roundMoney(totals[i].revenue) })) };
  });

  route(app, purchasesQuantitySeries, async ({ query, ctx }) => {
    if (query.product !== undefined) await checkKnown(ctx, 'purchase', query.product, 'product');
    const { units, totals } = await series(ctx, 'purchase', query, query.product);
    return { message: 'success', data: units.list.map((u, i) => ({ time: u.time, purchase_quantity: totals[i].quantity })) };
  });
}


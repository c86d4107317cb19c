import type { FastifyInstance } from 'fastify';
import { feedDataSeries, feedDetails, feedList } from '@brazen/contract';
import type { ApiContext } from '../context.ts';
import { bool, findDefinition, listPage, str, strings } from './definitions.ts';
import { route } from './route.ts';

/** News Feed cards: definitions from the workspace, engagement from News Feed card events. */
export function feedRoutes(app: FastifyInstance): void {
  const card = async (ctx: ApiContext, id: string) => findDefinition((await ctx.getWorkspace()).cards, id, 'card_id', 'a News Feed card');

  route(app, feedList, async ({ query, ctx }) => {
    const ws = await ctx.getWorkspace();
    const page = listPage(ws.cards ?? [], query, await ctx.zone());
    return {
      message: 'success',
      cards: page.map((c) => ({ id: String(c.id), type: str(c.type, 'NewsItem'), title: str(c.title), tags: strings(c.tags) })),
    };
  });

  route(app, feedDetails, async ({ query, ctx }) => {
    const c = await card(ctx, query.card_id);
    const { id: _id, type: _type, last_edited: _edited, ...rest } = c;
    return {
      ...rest,
      message: 'success',
      created_at: str(c.created_at, str(c.updated_at)),
      updated_at: str(c.updated_at, str(c.created_at)),
      name: str(c.name, str(c.title)),
      tags: strings(c.tags),
      title: str(c.title),
      archived: bool(c.archived),
      draft: bool(c.draft),
    };
  });

  route(app, feedDataSeries, async ({ query, ctx }) => {
    await card(ctx, query.card_id);
    const units = await ctx.units(query);
    const rows = await ctx.data.cardStats({ cardId: query.card_id, bounds: [...units.map((u) => u.start), units[units.length - 1].end] });
    const byUnit = new Map(rows.map((r) => [r.unit, r]));
    return {
      message: 'success',
      data: units.map((u, i) => {
        const r = byUnit.get(i);
        return {
          time: u.time,
          clicks: r?.clicks ?? 0,
          impressions: r?.impressions ?? 0,
          unique_clicks: r?.uniqueClicks ?? 0,
          unique_impressions: r?.uniqueImpressions ?? 0,
        };
      }),
    };
  });
}

import type { PageContext } from '../context.ts';
import { timeChart } from '../chart.ts';
import { fill, h } from '../dom.ts';
import { figure, instant, ratio } from '../format.ts';
import { objectList } from '../lists.ts';
import { panel } from '../panel.ts';
import { endingAt } from '../period.ts';

export function cardsPage(ctx: PageContext): HTMLElement {
  ctx.title('News Feed cards');
  return objectList(ctx, {
    title: 'News Feed cards',
    path: 'cards',
    load: async (includeArchived) =>
      (await ctx.api.items('feedList', { include_archived: includeArchived })).map((c) => ({ id: c.id, name: c.title ?? c.id, tags: c.tags ?? [], note: c.type })),
  });
}

export function cardPage(ctx: PageContext): HTMLElement {
  const id = ctx.route.parts[1];
  ctx.title('News Feed card');
  const details = ctx.api.call('feedDetails', { card_id: id });
  details.then((d) => ctx.title(d.title || d.name || id), () => undefined);
  const about = panel('About', async (body) => {
    const d = await details;
    fill(body, d.description ? h('p', {}, d.description) : null, h('dl', { class: 'facts' },
      h('dt', {}, 'name'), h('dd', {}, d.name ?? '—'),
      h('dt', {}, 'status'), h('dd', {}, d.archived ? 'archived' : d.draft ? 'draft' : 'live'),
      h('dt', {}, 'shown from'), h('dd', {}, instant(d.publish_at)),
      h('dt', {}, 'shown until'), h('dd', {}, instant(d.end_at)),
      h('dt', {}, 'tags'), h('dd', {}, (d.tags ?? []).join(', ') || '—')));
  });
  const figures = panel('Impressions and clicks', async (body) => {
    const points = await ctx.api.series('feedDataSeries', { card_id: id, length: ctx.period.days, unit: 'day', ...endingAt(ctx.period) });
    const sum = (f: 'impressions' | 'clicks' | 'unique_impressions' | 'unique_clicks') => points.reduce((a, p) => a + Number(p[f] ?? 0), 0);
    fill(
      body,
      h('dl', { class: 'facts big' },
        h('dt', {}, 'impressions'), h('dd', {}, `${figure(sum('impressions'))} (${figure(sum('unique_impressions'))} unique)`),
        h('dt', {}, 'clicks'), h('dd', {}, `${figure(sum('clicks'))} (${figure(sum('unique_clicks'))} unique)`),
        h('dt', {}, 'click rate'), h('dd', {}, ratio(sum('clicks'), sum('impressions')) || '—')),
      timeChart({
        times: points.map((p) => p.time),
        series: [
          { label: 'impressions', values: points.map((p) => Number(p.impressions ?? 0)) },
          { label: 'clicks', values: points.map((p) => Number(p.clicks ?? 0)) },
        ],
        label: 'Impressions and clicks per day',
        height: 220,
      }),
    );
  }, { wide: true });
  return h('div', { class: 'detail' }, about, figures);
}

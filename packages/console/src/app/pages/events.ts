import type { PageContext } from '../context.ts';
import { appParam } from '../context.ts';
import { eachLimited } from '../api.ts';
import { sparkline, timeChart } from '../chart.ts';
import { fill, h } from '../dom.ts';
import { figure, type Kind } from '../format.ts';
import { empty, panel } from '../panel.ts';
import { endingAt } from '../period.ts';
import { withParams } from '../route.ts';

/** The most names a ranked list asks a series for (one request each). */
const MOST = 100;

interface Ranked {
  name: string;
  times: string[];
  values: number[];
  total: number;
}

/** Custom events and products, each ranked by its total in the period, with its series. */
export function eventsPage(ctx: PageContext): HTMLElement {
  ctx.title('Custom events and products');
  const window = { length: ctx.period.days, unit: 'day' as const, ...endingAt(ctx.period), ...appParam(ctx) };
  return h(
    'div',
    { class: 'detail' },
    rankedPanel(ctx, 'Custom events', () => ctx.api.items('eventsList'), async (event) => {
      const points = await ctx.api.series('eventsDataSeries', { event, ...window });
      return { times: points.map((p) => p.time), values: points.map((p) => p.count) };
    }, { what: 'event', measure: 'occurrences', kind: 'count' }),
    rankedPanel(ctx, 'Products', () => ctx.api.items('purchasesProductList'), async (product) => {
      const points = await ctx.api.series('purchasesRevenueSeries', { product, ...window });
      return { times: points.map((p) => p.time), values: points.map((p) => p.revenue) };
    }, { what: 'product', measure: 'revenue', kind: 'usd' }),
  );
}

interface RankedKind {
  what: 'event' | 'product';
  measure: string;
  kind: Kind;
}

function rankedPanel(
  ctx: PageContext, title: string, names: () => Promise<string[]>, load: (name: string) => Promise<{ times: string[]; values: number[] }>, kind: RankedKind,
): HTMLElement {
  return panel(title, async (body) => {
    const all = await names();
    fill(body, ...rankedList(ctx, await rank(all, load), all.length, kind));
  }, { wide: true });
}

async function rank(names: string[], load: (name: string) => Promise<{ times: string[]; values: number[] }>): Promise<Ranked[]> {
  const ranked = await eachLimited(names.slice(0, MOST), 4, async (name) => {
    const { times, values } = await load(name);
    return { name, times, values, total: values.reduce((a, b) => a + b, 0) };
  });
  return ranked.sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
}

function rankedList(ctx: PageContext, ranked: Ranked[], known: number, { what, measure, kind }: RankedKind): HTMLElement[] {
  if (ranked.length === 0) return [empty(`No ${what} recorded yet.`)];
  const param = what === 'event' ? 'event' : 'product';
  const chosen = ranked.find((r) => r.name === ctx.route.params.get(param)) ?? ranked[0];
  const top = Math.max(1, ranked[0].total);
  return [
    h('div', { class: 'scroll' }, h('table', { class: 'list ranked' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, what), h('th', { scope: 'col', class: 'num' }, measure), h('th', { scope: 'col' }, 'per day'))),
      h('tbody', {}, ...ranked.map((r) => h('tr', { 'data-name': r.name, 'aria-current': r === chosen ? 'true' : undefined },
        h('td', {}, h('a', { href: withParams(ctx.route, { [param]: r.name }) }, r.name), h('span', { class: 'share-bar', style: `--share:${((r.total / top) * 100).toFixed(1)}%` })),
        h('td', { class: 'num', 'data-value': r.total }, figure(r.total, kind)),
        h('td', { class: 'spark-cell' }, sparkline(r.values))))))),
    known > ranked.length ? h('p', { class: 'hint' }, `The first ${ranked.length} of ${known} names, alphabetically, are ranked.`) : h('span'),
    timeChart({ times: chosen.times, series: [{ label: chosen.name, values: chosen.values }], kind, label: `${chosen.name}: ${measure} per day`, height: 220 }),
  ];
}

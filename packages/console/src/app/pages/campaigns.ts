import type { PageContext } from '../context.ts';
import { channelSection } from '../channel-panels.ts';
import { fill, h } from '../dom.ts';
import { figure, instant } from '../format.ts';
import { objectList } from '../lists.ts';
import { channelFigures, hasFigures } from '../messages.ts';
import { empty, panel } from '../panel.ts';
import { endingAt } from '../period.ts';
import { timeChart } from '../chart.ts';

export function campaignsPage(ctx: PageContext): HTMLElement {
  ctx.title('Campaigns');
  return objectList(ctx, {
    title: 'Campaigns',
    path: 'campaigns',
    load: async (includeArchived) =>
      (await ctx.api.items('campaignsList', { include_archived: includeArchived })).map((c) => ({
        id: c.id, name: c.name, tags: c.tags ?? [], lastEdited: c.last_edited, note: c.is_api_campaign ? 'API campaign' : undefined,
      })),
  });
}

export function campaignPage(ctx: PageContext): HTMLElement {
  const id = ctx.route.parts[1];
  ctx.title('Campaign');
  const details = ctx.api.call('campaignsDetails', { campaign_id: id });
  details.then((d) => ctx.title(d.name), () => undefined);
  const series = ctx.api.series('campaignsDataSeries', { campaign_id: id, length: ctx.period.days, ...endingAt(ctx.period) });
  series.catch(() => undefined);

  const about = panel('About', async (body) => {
    const d = await details;
    const facts: Array<[string, string]> = [
      ['status', [d.archived ? 'archived' : d.enabled ? 'active' : 'stopped', d.draft ? 'draft' : ''].filter(Boolean).join(', ')],
      ['channels', (d.channels ?? []).join(', ') || '—'],
      ['schedule', d.schedule_type ?? '—'],
      ['tags', (d.tags ?? []).join(', ') || '—'],
      ['created', instant(d.created_at)],
      ['last edited', instant(d.updated_at)],
      ['first sent', instant(d.first_sent)],
      ['last sent', instant(d.last_sent)],
    ];
    fill(
      body,
      d.description ? h('p', {}, d.description) : null,
      h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      conversionBehaviors(d.conversion_behaviors as unknown[] | undefined),
    );
  });

  const totals = panel('In this period', async (body) => {
    const points = await series;
    const sum = (field: 'conversions' | 'revenue' | 'unique_recipients') => points.reduce((a, p) => a + Number(p[field] ?? 0), 0);
    fill(
      body,
      h('dl', { class: 'facts big' },
        h('dt', {}, 'unique recipients (sum of days)'), h('dd', { 'data-stat': 'unique_recipients' }, figure(sum('unique_recipients'))),
        h('dt', {}, 'conversions'), h('dd', { 'data-stat': 'conversions' }, figure(sum('conversions'))),
        h('dt', {}, 'revenue'), h('dd', { 'data-stat': 'revenue' }, figure(sum('revenue'), 'usd'))),
      timeChart({
        times: points.map((p) => p.time),
        series: [{ label: 'conversions', values: points.map((p) => Number(p.conversions ?? 0)) }],
        label: 'Conversions per day',
        height: 160,
      }),
    );
  });

  const channels = panel('Channels and variations', async (body) => {
    const points = await series;
    const figures = channelFigures(points).filter(hasFigures);
    const times = points.map((p) => p.time);
    fill(body, ...(figures.length === 0 ? [empty('No message figures in this period.')] : figures.map((f) => channelSection(f, times))));
  }, { wide: true });

  return h('div', { class: 'detail' }, about, totals, channels);
}

/** The conversion events a campaign or Canvas counts (index 0 is `conversions`, then 1–3). */
export function conversionBehaviors(behaviors: unknown[] | undefined): HTMLElement | null {
  if (!behaviors || behaviors.length === 0) return null;
  const name = (i: number) => (i === 0 ? 'conversions' : `conversions${i}`);
  return h(
    'div',
    {},
    h('h3', {}, 'Conversion events'),
    h(
      'ol',
      { class: 'behaviors', start: 0 },
      ...behaviors.map((b, i) => {
        const { type, window, ...rest } = b as { type?: string; window?: number } & Record<string, unknown>;
        const detail = Object.entries(rest).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`);
        return h('li', {}, h('code', {}, name(i)), ` ${type ?? '?'}`, window ? ` within ${figure(window / 3600)} h` : '', detail.length ? ` (${detail.join('; ')})` : '');
      }),
    ),
  );
}

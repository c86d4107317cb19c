import type { PageContext } from '../context.ts';
import { channelSection } from '../channel-panels.ts';
import { timeChart } from '../chart.ts';
import { fill, h } from '../dom.ts';
import { figure, instant } from '../format.ts';
import { objectList } from '../lists.ts';
import { channelFigures, hasFigures } from '../messages.ts';
import { empty, panel } from '../panel.ts';
import { endingAt } from '../period.ts';
import { conversionBehaviors } from './campaigns.ts';

export function canvasesPage(ctx: PageContext): HTMLElement {
  ctx.title('Canvases');
  return objectList(ctx, {
    title: 'Canvases',
    path: 'canvases',
    load: async (includeArchived) =>
      (await ctx.api.items('canvasList', { include_archived: includeArchived })).map((c) => ({ id: c.id, name: c.name, tags: c.tags ?? [], lastEdited: c.last_edited })),
  });
}

type Totals = { entries?: number; conversions?: number; conversions_by_entry_time?: number; revenue?: number };

export function canvasPage(ctx: PageContext): HTMLElement {
  const id = ctx.route.parts[1];
  ctx.title('Canvas');
  const details = ctx.api.call('canvasDetails', { canvas_id: id });
  details.then((d) => ctx.title(d.name), () => undefined);
  // Canvas series come 14 days a request at most; the client asks as many as the period needs.
  const series = ctx.api.series('canvasDataSeries', {
    canvas_id: id, length: ctx.period.days, ...endingAt(ctx.period), include_variant_breakdown: true, include_step_breakdown: true,
  });
  series.catch(() => undefined);

  const about = panel('About', async (body) => {
    const d = await details;
    fill(
      body,
      d.description ? h('p', {}, d.description) : null,
      h('dl', { class: 'facts' },
        h('dt', {}, 'status'), h('dd', {}, d.archived ? 'archived' : d.enabled ? 'active' : 'stopped'),
        h('dt', {}, 'channels'), h('dd', {}, (d.channels ?? []).join(', ') || '—'),
        h('dt', {}, 'variants'), h('dd', {}, String(d.variants?.length ?? 0)),
        h('dt', {}, 'steps'), h('dd', {}, String(d.steps?.length ?? 0)),
        h('dt', {}, 'first entry'), h('dd', {}, instant(d.first_entry)),
        h('dt', {}, 'last entry'), h('dd', {}, instant(d.last_entry)),
        h('dt', {}, 'last edited'), h('dd', {}, instant(d.updated_at))),
      conversionBehaviors((d as { conversion_behaviors?: unknown[] }).conversion_behaviors),
    );
  });

  const totals = panel('In this period', async (body) => {
    const points = await series;
    const sum = (field: keyof Totals) => points.reduce((a, p) => a + Number((p.total_stats as Totals)[field] ?? 0), 0);
    fill(
      body,
      h('dl', { class: 'facts big' },
        h('dt', {}, 'entries'), h('dd', { 'data-stat': 'entries' }, figure(sum('entries'))),
        h('dt', {}, 'conversions'), h('dd', {}, figure(sum('conversions'))),
        h('dt', {}, 'conversions by entry day'), h('dd', {}, figure(sum('conversions_by_entry_time'))),
        h('dt', {}, 'revenue'), h('dd', {}, figure(sum('revenue'), 'usd'))),
      timeChart({
        times: points.map((p) => p.time),
        series: [
          { label: 'entries', values: points.map((p) => Number((p.total_stats as Totals).entries ?? 0)) },
          { label: 'conversions', values: points.map((p) => Number((p.total_stats as Totals).conversions ?? 0)) },
        ],
        label: 'Entries and conversions per day',
        height: 200,
      }),
    );
  });

  const variants = panel('Variants', async (body) => {
    const points = await series;
    const ids = [...new Set(points.flatMap((p) => Object.keys(p.variant_stats ?? {})))];
    if (ids.length === 0) return fill(body, empty('No variant figures in this period.'));
    const name = (v: string) => points.map((p) => (p.variant_stats?.[v] as { name?: string } | undefined)?.name).find(Boolean) ?? v;
    const stat = (v: string, field: keyof Totals) => points.map((p) => Number((p.variant_stats?.[v] as Totals | undefined)?.[field] ?? 0));
    const total = (v: string, field: keyof Totals) => stat(v, field).reduce((a, b) => a + b, 0);
    fill(
      body,
      h('div', { class: 'scroll' }, h('table', { class: 'list numbers' },
        h('thead', {}, h('tr', {}, ...['variant', 'entries', 'conversions', 'revenue'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...ids.map((v) => h('tr', { 'data-variant': v },
          h('th', { scope: 'row' }, name(v)),
          h('td', {}, figure(total(v, 'entries'))),
          h('td', {}, figure(total(v, 'conversions'))),
          h('td', {}, figure(total(v, 'revenue'), 'usd'))))))),
      timeChart({ times: points.map((p) => p.time), series: ids.map((v) => ({ label: name(v), values: stat(v, 'entries') })), label: 'Entries per day, by variant', height: 200 }),
    );
  });

  const steps = panel('Steps', async (body) => {
    const points = await series;
    type Step = Totals & { name?: string; messages?: Record<string, unknown[]> };
    const stepOf = (p: (typeof points)[number], stepId: string) => p.step_stats?.[stepId] as Step | undefined;
    const ids = [...new Set(points.flatMap((p) => Object.keys(p.step_stats ?? {})))];
    if (ids.length === 0) return fill(body, empty('No step figures in this period.'));
    const times = points.map((p) => p.time);
    fill(
      body,
      ...ids.map((stepId) => {
        const name = points.map((p) => stepOf(p, stepId)?.name).find(Boolean) ?? stepId;
        const total = (field: keyof Totals) => points.reduce((a, p) => a + Number(stepOf(p, stepId)?.[field] ?? 0), 0);
        // The step's messages, day by day; channels that counted nothing are left out.
        const figures = channelFigures(points.map((p) => ({ messages: stepOf(p, stepId)?.messages ?? {} })) as never).filter(hasFigures);
        return h(
          'section',
          { class: 'step', 'data-step': stepId },
          h('h3', {}, name),
          h('p', { class: 'step-figures' }, `${figure(total('conversions'))} conversions, ${figure(total('revenue'), 'usd')} revenue`),
          ...figures.map((f) => channelSection(f, times)),
        );
      }),
    );
  }, { wide: true });

  return h('div', { class: 'detail' }, about, totals, variants, steps);
}

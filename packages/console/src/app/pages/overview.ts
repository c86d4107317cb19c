import type { SeriesName } from '../client.ts';
import { appParam, type PageContext } from '../context.ts';
import { timeChart } from '../chart.ts';
import { fill, h } from '../dom.ts';
import { change, figure, type Kind } from '../format.ts';
import { endingAt, rollUp, splitPeriods, type Period, type Roll } from '../period.ts';
import { withParams } from '../route.ts';
import { panel, settle } from '../panel.ts';

interface Metric {
  id: string;
  label: string;
  /** How the days of a period make its figure. */
  roll: Roll;
  endpoint: SeriesName;
  field: string;
  kind: Kind;
  /** The endpoint has `unit=hour`. */
  hourly: boolean;
}

const METRICS: Metric[] = [
  { id: 'dau', label: 'DAU', roll: 'average', endpoint: 'kpiDauDataSeries', field: 'dau', kind: 'average', hourly: false },
  { id: 'mau', label: 'MAU', roll: 'last', endpoint: 'kpiMauDataSeries', field: 'mau', kind: 'count', hourly: false },
  { id: 'new_users', label: 'New users', roll: 'sum', endpoint: 'kpiNewUsersDataSeries', field: 'new_users', kind: 'count', hourly: false },
  { id: 'sessions', label: 'Sessions', roll: 'sum', endpoint: 'sessionsDataSeries', field: 'sessions', kind: 'count', hourly: true },
  { id: 'revenue', label: 'Revenue', roll: 'sum', endpoint: 'purchasesRevenueSeries', field: 'revenue', kind: 'usd', hourly: true },
  { id: 'uninstalls', label: 'Uninstalls', roll: 'sum', endpoint: 'kpiUninstallsDataSeries', field: 'uninstalls', kind: 'count', hourly: false },
];

const ROLL_WORDS: Record<Roll, string> = { average: 'daily average', last: 'on the last day', sum: 'in the period' };

interface Days {
  times: string[];
  values: number[];
}

/** The series of a metric over this period and the one before it, day by day (one request chain). */
function twoPeriods(ctx: PageContext, metric: Metric): Promise<{ previous: Days; current: Days }> {
  return ctx.api
    .series(metric.endpoint, { length: 2 * ctx.period.days, ...endingAt(ctx.period), ...appParam(ctx) } as never)
    .then((points) => {
      const rows = points as unknown as Array<Record<string, number | string>>;
      const { previous, current } = splitPeriods(rows, ctx.period.days);
      const days = (list: typeof rows): Days => ({ times: list.map((r) => String(r.time)), values: list.map((r) => Number(r[metric.field] ?? 0)) });
      return { previous: days(previous), current: days(current) };
    });
}

export function overviewPage(ctx: PageContext): HTMLElement {
  ctx.title('Overview');
  const chosen = METRICS.find((m) => m.id === ctx.route.params.get('metric')) ?? METRICS[0];
  const unit = ctx.route.params.get('unit') === 'hour' && chosen.hourly ? 'hour' : 'day';
  const loads = new Map(METRICS.map((m) => [m.id, twoPeriods(ctx, m)]));
  // A failed metric must not leave an unhandled rejection behind: its card shows the notice.
  for (const load of loads.values()) load.catch(() => undefined);

  const cards = h('div', { class: 'cards', 'aria-label': 'key figures' }, ...METRICS.map((m) => kpiCard(ctx, m, loads.get(m.id)!, m === chosen)));
  const main = panel(`${chosen.label}${unit === 'hour' ? ' by hour' : ' by day'}`, async (body) => {
    const controls = h(
      'div',
      { class: 'chart-controls', role: 'group', 'aria-label': 'unit' },
      ...(['day', 'hour'] as const).map((u) =>
        h(
          'a',
          {
            class: 'toggle',
            href: withParams(ctx.route, { unit: u === 'day' ? undefined : 'hour' }),
            'aria-current': u === unit ? 'true' : undefined,
            'aria-disabled': u === 'hour' && !chosen.hourly ? 'true' : undefined,
            title: u === 'hour' && !chosen.hourly ? `${chosen.label} is a daily figure: hours are for sessions and revenue` : undefined,
          },
          u === 'day' ? 'Days' : 'Hours',
        ),
      ),
    );
    fill(body, controls, h('p', { class: 'loading' }, 'Loading…'));
    if (unit === 'hour') {
      const points = (await ctx.api.series(chosen.endpoint, {
        length: ctx.period.days * 24, unit: 'hour', ...hourEnding(ctx.period), ...appParam(ctx),
      } as never)) as unknown as Array<Record<string, number | string>>;
      fill(body, controls, timeChart({
        times: points.map((p) => String(p.time)),
        series: [{ label: chosen.label, values: points.map((p) => Number(p[chosen.field] ?? 0)) }],
        kind: chosen.kind,
        label: `${chosen.label} per hour`,
      }));
      return;
    }
    const { previous, current } = await loads.get(chosen.id)!;
    fill(body, controls, timeChart({
      times: current.times,
      series: [
        { label: chosen.label, values: current.values },
        { label: 'previous period', values: current.times.map((_, i) => previous.values[i] ?? null), dashed: true },
      ],
      kind: chosen.kind,
      label: `${chosen.label} per day`,
    }));
  }, { wide: true, id: 'main-chart' });
  return h('div', { class: 'overview' }, cards, main);
}

/** `ending_at` for an hourly series: the last hour of the period's last day, or now. */
function hourEnding(period: Period): { ending_at?: string } {
  return period.to ? { ending_at: `${period.to}T23:59:59` } : {};
}

function kpiCard(ctx: PageContext, metric: Metric, load: Promise<{ previous: Days; current: Days }>, selected: boolean): HTMLElement {
  const value = h('span', { class: 'kpi-value' }, '…');
  const delta = h('span', { class: 'kpi-change' });
  const card = h(
    'a',
    {
      class: 'kpi',
      href: withParams(ctx.route, { metric: metric.id === 'dau' ? undefined : metric.id, unit: undefined }),
      'aria-current': selected ? 'true' : undefined,
      'data-metric': metric.id,
      'aria-busy': 'true',
    },
    h('span', { class: 'kpi-label' }, metric.label, h('small', {}, ROLL_WORDS[metric.roll])),
    value,
    delta,
  );
  void settle(value, async () => {
    const { previous, current } = await load;
    const now = rollUp(current.values, metric.roll);
    const before = rollUp(previous.values, metric.roll);
    value.textContent = figure(now, metric.kind);
    value.dataset.value = String(now);
    const c = change(now, before);
    delta.textContent = c ? `${c.text} vs previous ${ctx.period.days === 1 ? 'day' : `${ctx.period.days} days`}` : 'no previous figure';
    delta.className = `kpi-change ${c?.direction ?? 'flat'}`;
    delta.title = `previous period: ${figure(before, metric.kind)}`;
  }).finally(() => card.setAttribute('aria-busy', 'false'));
  return card;
}


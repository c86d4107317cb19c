import uPlot from 'uplot';
import { h } from './dom.ts';
import { axisFigure, figure, timeLabel, type Kind } from './format.ts';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** Drawn dashed and lighter (the previous period). */
  dashed?: boolean;
}

export interface TimeChart {
  /** Series labels: `YYYY-MM-DD` or hours with their offset, one per point. */
  times: string[];
  series: ChartSeries[];
  kind?: Kind;
  /** Said to screen readers; also the caption of the table. */
  label: string;
  height?: number;
}

const PALETTE = ['--chart-1', '--chart-2', '--chart-3', '--chart-4', '--chart-5', '--chart-6'];

/**
 * A time chart (uPlot) with its figures as a table below it, for keyboards, screen readers and
 * anyone who wants the numbers. Points are placed by index, so a day of 23 or 25 hours (or two
 * 01:00 hours on the night clocks go back) is drawn as the series gives it.
 */
export function timeChart(chart: TimeChart): HTMLElement {
  const kind = chart.kind ?? 'count';
  const canvas = h('div', { class: 'chart', role: 'img', 'aria-label': chart.label });
  const table = chartTable(chart);
  const box = h('figure', { class: 'chart-box' }, canvas, h('details', { class: 'chart-table' }, h('summary', {}, 'Figures as a table'), table));
  const style = getComputedStyle(document.documentElement);
  const color = (i: number) => style.getPropertyValue(PALETTE[i % PALETTE.length]).trim() || '#d9480f';
  const ink = style.getPropertyValue('--muted').trim() || '#666';
  const grid = style.getPropertyValue('--grid').trim() || '#ddd';
  const x = chart.times.map((_, i) => i);
  const axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const options: uPlot.Options = {
    width: 600,
    height: chart.height ?? 260,
    // Counts and money start at zero, so that a small change does not look like a big one.
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    series: [
      { label: 'day', value: (_u, v) => (v === null || chart.times[v] === undefined ? '' : timeLabel(chart.times[v], true)) },
      ...chart.series.map((s, i) => ({
        label: s.label,
        stroke: s.dashed ? ink : color(i),
        width: s.dashed ? 1.25 : 2,
        dash: s.dashed ? [5, 5] : undefined,
        fill: s.dashed || chart.series.length > 2 ? undefined : `${color(i)}1f`,
        points: { show: chart.times.length <= 45 && !s.dashed, size: 5 },
        value: (_u: uPlot, v: number | null) => (v === null ? '' : figure(v, kind)),
      })),
    ],
    axes: [
      {
        ...axis,
        space: 64,
        incrs: [1, 2, 3, 4, 6, 7, 12, 14, 24, 28, 48, 72, 168, 336, 720, 1440],
        values: (_u, splits) => splits.map((v) => (Number.isInteger(v) && chart.times[v] !== undefined ? timeLabel(chart.times[v]) : '')),
      },
      { ...axis, size: 64, values: (_u, splits) => splits.map((v) => axisFigure(v, kind)) },
    ],
  };
  const plot = new uPlot(options, [x, ...chart.series.map((s) => s.values)] as uPlot.AlignedData, canvas);
  // Follow the width of the page (and of a phone turned sideways).
  const resize = new ResizeObserver(() => {
    const width = Math.floor(canvas.clientWidth);
    if (width > 0 && width !== plot.width) plot.setSize({ width, height: options.height });
  });
  resize.observe(canvas);
  return box;
}

function chartTable(chart: TimeChart): HTMLTableElement {
  const kind = chart.kind ?? 'count';
  return h(
    'table',
    { class: 'figures' },
    h('caption', {}, chart.label),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'time'), ...chart.series.map((s) => h('th', { scope: 'col' }, s.label)))),
    h(
      'tbody',
      {},
      ...chart.times.map((time, i) =>
        h(
          'tr',
          { 'data-time': time },
          h('th', { scope: 'row' }, timeLabel(time, true)),
          ...chart.series.map((s) => h('td', { 'data-series': s.label, 'data-value': s.values[i] ?? '' }, s.values[i] === null ? '—' : figure(s.values[i] ?? 0, kind))),
        ),
      ),
    ),
  );
}

/** A small line of a series, for a row of a list (decorative: the row says the figure). */
export function sparkline(values: number[]): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 100 24');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('aria-hidden', 'true');
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? 100 / (values.length - 1) : 0;
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', values.map((v, i) => `${(i * step).toFixed(2)},${(22 - (v / max) * 20).toFixed(2)}`).join(' '));
  svg.appendChild(line);
  return svg;
}

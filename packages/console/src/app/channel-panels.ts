import { timeChart } from './chart.ts';
import { fill, h } from './dom.ts';
import { figure } from './format.ts';
import { channelWord, counterWord, funnel, stepsOf, type ChannelFigures } from './messages.ts';
import { empty } from './panel.ts';

/**
 * One channel's figures: each variation's funnel (sent, delivered, opens, clicks, conversions as
 * the channel has them) with its revenue, and a chart of any counter per variation per day.
 */
export function channelSection(figures: ChannelFigures, times: string[]): HTMLElement {
  const steps = stepsOf(figures);
  const variations = figures.variations.map((v) => {
    const control = !(steps[0] in v.counters) && 'enrolled' in v.counters;
    return h(
      'div',
      { class: 'variation', 'data-variation': v.id },
      h('h4', {}, v.name),
      control
        ? h('p', { class: 'control' }, `control group: ${figure(v.counters.enrolled ?? 0)} enrolled, ${figure(v.counters.conversions ?? 0)} conversions`)
        : funnel(steps, v.counters, v.id),
      h('p', { class: 'revenue' }, 'revenue ', h('strong', { 'data-variation': v.id, 'data-stat': 'revenue', 'data-value': v.counters.revenue ?? 0 }, figure(v.counters.revenue ?? 0, 'usd'))),
    );
  });
  const counters = [...new Set([...steps, ...figures.variations.flatMap((v) => Object.keys(v.counters))])];
  const select = h('select', { 'aria-label': `${channelWord(figures.channel)} series` }, ...counters.map((c) => h('option', { value: c }, counterWord(c)))) as HTMLSelectElement;
  const chart = h('div');
  const draw = () => {
    const counter = select.value;
    fill(chart, timeChart({
      times,
      series: figures.variations.map((v) => ({ label: v.name, values: figures.daily.get(v.id)?.get(counter) ?? times.map(() => 0) })),
      kind: counter === 'revenue' ? 'usd' : 'count',
      label: `${channelWord(figures.channel)}: ${counterWord(counter)} per day, by variation`,
      height: 220,
    }));
  };
  select.addEventListener('change', draw);
  queueMicrotask(draw);
  return h(
    'section',
    { class: 'channel', 'data-channel': figures.channel },
    h('h3', {}, channelWord(figures.channel)),
    figures.variations.length === 0 ? empty('No variation has figures in this period.') : h('div', { class: 'variations' }, ...variations),
    h('div', { class: 'series-head' }, h('span', {}, 'Per day: '), select),
    chart,
  );
}

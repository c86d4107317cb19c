import type { MessageSeriesPoint } from './client.ts';
import { h } from './dom.ts';
import { figure, ratio } from './format.ts';

/** One variation's counters, summed over days. */
export type Counters = Record<string, number>;

export interface VariationTotals {
  id: string;
  name: string;
  counters: Counters;
}

/** Per channel, the variations' totals and their daily series. */
export interface ChannelFigures {
  channel: string;
  variations: VariationTotals[];
  /** Per variation id, per counter, one value a day. */
  daily: Map<string, Map<string, number[]>>;
}

const PUSH = ['sent', 'delivered', 'direct_opens', 'conversions'];

/** The steps of each channel's funnel, in order; a step shows when the answer carries it. */
export const FUNNEL_STEPS: Record<string, string[]> = {
  email: ['sent', 'delivered', 'unique_opens', 'unique_clicks', 'conversions'],
  ios_push: PUSH,
  apple_push: PUSH,
  android_push: PUSH,
  kindle_push: PUSH,
  web_push: PUSH,
  push: PUSH,
  sms: ['sent', 'sent_to_carrier', 'delivered', 'clicks', 'conversions'],
  whats_app: ['sent', 'delivered', 'read', 'conversions'],
  webhook: ['sent', 'conversions'],
  content_cards: ['sent', 'unique_impressions', 'unique_clicks', 'conversions'],
  trigger_in_app_message: ['impressions', 'clicks', 'conversions'],
  in_app_message: ['impressions', 'clicks', 'conversions'],
};
const DEFAULT_STEPS = ['sent', 'delivered', 'opens', 'clicks', 'conversions'];

/** Words for the counters, as Braze's dashboard says them. */
const WORDS: Record<string, string> = {
  sent: 'sent', delivered: 'delivered', unique_opens: 'unique opens', unique_clicks: 'unique clicks', conversions: 'conversions',
  direct_opens: 'direct opens', sent_to_carrier: 'sent to carrier', clicks: 'clicks', read: 'read', impressions: 'impressions',
  unique_impressions: 'unique impressions', revenue: 'revenue', enrolled: 'enrolled (control)', opens: 'opens', bounces: 'bounces',
  unsubscribes: 'unsubscribes', reported_spam: 'reported as spam', errors: 'errors', rejected: 'rejected', opt_out: 'opt-outs',
};
export const counterWord = (name: string): string => WORDS[name] ?? name.replaceAll('_', ' ');

const CHANNEL_WORDS: Record<string, string> = {
  email: 'Email', ios_push: 'iOS push', apple_push: 'iOS push', android_push: 'Android push', kindle_push: 'Kindle push',
  web_push: 'Web push', push: 'Push (all platforms)', sms: 'SMS', whats_app: 'WhatsApp', webhook: 'Webhook',
  content_cards: 'Content Cards', trigger_in_app_message: 'In-app message', in_app_message: 'In-app message',
};
export const channelWord = (channel: string): string => CHANNEL_WORDS[channel] ?? channel;

type Entry = Record<string, unknown> & { variation_name?: string; variation_api_id?: string };

/** Sums each channel's per-variation entries over the days, keeping each counter's daily values. */
export function channelFigures(points: Array<Pick<MessageSeriesPoint, 'messages'>>): ChannelFigures[] {
  const channels = new Map<string, ChannelFigures>();
  points.forEach((point, day) => {
    for (const [channel, entries] of Object.entries(point.messages ?? {})) {
      if (!Array.isArray(entries)) continue;
      let figures = channels.get(channel);
      if (!figures) channels.set(channel, (figures = { channel, variations: [], daily: new Map() }));
      for (const entry of entries as Entry[]) {
        const id = entry.variation_api_id ?? entry.variation_name ?? '';
        let totals = figures.variations.find((v) => v.id === id);
        if (!totals) figures.variations.push((totals = { id, name: entry.variation_name || id || 'unnamed variation', counters: {} }));
        let daily = figures.daily.get(id);
        if (!daily) figures.daily.set(id, (daily = new Map()));
        for (const [name, value] of Object.entries(entry)) {
          if (typeof value !== 'number') continue;
          totals.counters[name] = (totals.counters[name] ?? 0) + value;
          let values = daily.get(name);
          if (!values) daily.set(name, (values = new Array<number>(points.length).fill(0)));
          values[day] = value;
        }
      }
    }
  });
  return [...channels.values()];
}

/** Whether any variation of the channel counted anything (a channel of zeros is left out). */
export const hasFigures = (figures: ChannelFigures): boolean =>
  figures.variations.some((v) => Object.entries(v.counters).some(([name, n]) => name !== 'revenue' && n > 0));

/** The funnel steps that apply to a channel's answer. */
export function stepsOf(figures: ChannelFigures): string[] {
  const steps = FUNNEL_STEPS[figures.channel] ?? DEFAULT_STEPS;
  return steps.filter((step) => figures.variations.some((v) => step in v.counters));
}

/** A variation's funnel: bars as wide as each step's share of the first. */
export function funnel(steps: string[], counters: Counters, variationId: string): HTMLElement {
  const first = counters[steps[0]] ?? 0;
  return h(
    'ol',
    { class: 'funnel' },
    ...steps.map((step) => {
      const value = counters[step] ?? 0;
      const width = first > 0 ? Math.min(100, (value / first) * 100) : 0;
      return h(
        'li',
        {},
        h('span', { class: 'step-name' }, counterWord(step)),
        h('span', { class: 'bar', style: `--share:${width.toFixed(1)}%` }),
        h('span', { class: 'value', 'data-variation': variationId, 'data-stat': step, 'data-value': value }, figure(value)),
        h('span', { class: 'share' }, step === steps[0] ? '' : ratio(value, first)),
      );
    }),
  );
}

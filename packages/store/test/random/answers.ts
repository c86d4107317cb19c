import { createHash } from 'node:crypto';
import { USER_EXPORT_FIELDS } from '@brazen/contract';
import { dayNumber, seriesUnits, type SegmentFilter } from '@brazen/analytics';
import type { AnalyticsData, CounterQuery, MessageSource, SeriesUnits, UserIdKind } from '@brazen/store';
import { conversionTotals, dayLabels, messageTotals, pieceText } from '../contract/support.ts';
import type { GeneratedData } from './records-gen.ts';

/**
 * The questions the comparison asks every engine about the same generated data: every port method
 * that answers, over several windows, units, filters and subsets. Each answer is made engine-neutral
 * (rows of one key summed, braze_ids an engine made renamed to the other engine's) so that two
 * engines must answer equal values.
 */

/** How one engine names the users: its braze_id of each user, and the canonical name of each. */
export interface UserView {
  /** The engine's braze_ids, in the canonical users' order. */
  ids: string[];
  /** The engine's braze_id → the canonical one (the first engine's). */
  canonical: Map<string, string>;
  /** Whether some users have ids of the engines' own making (different in each engine). */
  renamed: boolean;
}

export interface Query {
  name: string;
  run(data: AnalyticsData, users: UserView): Promise<unknown>;
}

const D = 86_400;
const KINDS: UserIdKind[] = ['braze_id', 'external_id', 'alias', 'email', 'phone', 'device_id'];

/** First 8 hex digits of md5(braze_id), mod 10,000 (the random bucket's definition), computed here. */
export const randomBucket = (brazeId: string): number => parseInt(createHash('md5').update(brazeId).digest('hex').slice(0, 8), 16) % 10_000;

/** A profile line with the engine's braze_id (and its random bucket) replaced by the canonical one's. */
export function canonicalLine(line: string, users: UserView): string {
  if (!users.renamed) return line;
  const id = /"braze_id":"([^"]*)"/.exec(line)?.[1];
  const to = id === undefined ? undefined : users.canonical.get(id);
  if (id === undefined || to === undefined || to === id) return line;
  let out = line.replace(`"braze_id":"${id}"`, `"braze_id":"${to}"`);
  const bucket = /"random_bucket":(\d+)/.exec(line)?.[1];
  if (bucket !== undefined) {
    if (Number(bucket) !== randomBucket(id)) return `${out} (random_bucket ${bucket} is not that of ${id})`;
    out = out.replace(`"random_bucket":${bucket}`, `"random_bucket":${randomBucket(to)}`);
  }
  return out;
}

const hasRandomBucket = (f: SegmentFilter): boolean =>
  'and' in f ? f.and.some(hasRandomBucket) : 'or' in f ? f.or.some(hasRandomBucket) : 'not' in f ? hasRandomBucket(f.not) : 'random_bucket' in f;

/** The hour units around the period's first change of UTC offset (its middle when none). */
function hoursAroundChange(zone: string, start: number, days: number): SeriesUnits {
  const all = seriesUnits('hour', days * 24, start + days * D - 1, zone);
  const offset = (label: string) => label.slice(19);
  const at = all.findIndex((u, i) => i > 0 && offset(u.time) !== offset(all[i - 1].time));
  const mid = at > 0 ? at : Math.floor(all.length / 2);
  return { unit: 'hour', zone, list: all.slice(Math.max(0, mid - 30), mid + 30) };
}

export function queriesOf(g: GeneratedData): Query[] {
  const { ws } = g;
  const q: Query[] = [];
  const add = (name: string, run: Query['run']) => q.push({ name, run });
  const end = ws.start + ws.days * D;
  const other = ws.zone === 'UTC' ? 'Asia/Kolkata' : 'UTC';
  const units: Record<string, SeriesUnits> = {
    days: { unit: 'day', zone: ws.zone, list: seriesUnits('day', ws.days + 2, end + D - 1, ws.zone) },
    [`days in ${other}`]: { unit: 'day', zone: other, list: seriesUnits('day', ws.days + 2, end + D - 1, other) },
    hours: hoursAroundChange(ws.zone, ws.start, ws.days),
  };
  const days = units.days.list.map((u) => u.time);
  const fromDay = dayNumber(days[0]);
  const toDay = dayNumber(days.at(-1)!);

  add('recordCount', (d) => d.recordCount());
  // ---- counters, every kind, name and app, over each set of units
  const counters: Array<Omit<CounterQuery, 'units'>> = [{ kind: 'session' }, { kind: 'uninstall' }, { kind: 'custom_event' }, { kind: 'purchase' }];
  for (const name of ws.eventNames) counters.push({ kind: 'custom_event', name });
  for (const name of ws.products) counters.push({ kind: 'purchase', name });
  for (const c of counters) {
    for (const appId of [undefined, ...ws.apps]) {
      for (const [label, u] of Object.entries(units)) {
        add(`counterSeries ${c.kind} ${c.name ?? '*'} app ${appId ?? '*'} ${label}`, (d) => d.counterSeries({ ...c, appId, units: u }));
      }
    }
  }
  // ---- activity, from before the first day to a month after the last (MAU's tail)
  const activityDays = dayLabels(days[0], days.length + 32);
  for (const metric of ['dau', 'mau', 'new_users'] as const) {
    for (const appId of [undefined, ...ws.apps]) add(`activitySeries ${metric} app ${appId ?? '*'}`, (d) => d.activitySeries({ metric, appId, days: activityDays }));
  }
  // ---- names
  for (const kind of ['custom_event', 'purchase'] as const) {
    add(`names ${kind}`, (d) => d.names(kind, 0, 1000));
    add(`names ${kind} page`, (d) => d.names(kind, 2, 3));
    for (const name of [...ws.eventNames, ...ws.products, 'missing']) add(`hasName ${kind} ${name}`, (d) => d.hasName(kind, name));
  }
  add('customAttributeSamples', (d) => d.customAttributeSamples());
  // ---- campaigns, sends, Canvases, steps
  const sources: Array<{ src: MessageSource; obj: string; scope?: string }> = [];
  for (const c of ws.campaigns) {
    sources.push({ src: 'campaign', obj: c.id });
    for (const scope of c.sendIds) sources.push({ src: 'campaign', obj: c.id, scope });
  }
  for (const c of ws.canvases) sources.push({ src: 'canvas', obj: c.id }, { src: 'step', obj: c.id });
  for (const s of sources) {
    const label = `${s.src} ${s.obj}${s.scope ? ` send ${s.scope}` : ''}`;
    add(`messageStats ${label}`, async (d) => messageTotals((await d.messageStats([{ ...s, fromDay, toDay }]))[0]));
    add(`messageStats ${label} one day`, async (d) => messageTotals((await d.messageStats([{ ...s, fromDay: fromDay + 3, toDay: fromDay + 3 }]))[0]));
    add(`conversionStats ${label}`, async (d) => conversionTotals((await d.conversionStats([{ ...s, fromDay, toDay }]))[0]));
    add(`seriesDays ${label}`, (d) => d.seriesDays(s.src, s.obj, s.scope ?? ''));
  }
  for (const c of ws.campaigns) {
    add(`receiptSpan campaign ${c.id}`, (d) => d.receiptSpan('campaign', c.id));
    for (const send of c.sendIds) add(`receiptSpan campaign ${c.id} send ${send}`, (d) => d.receiptSpan('campaign', c.id, send));
  }
  for (const c of ws.canvases) add(`receiptSpan canvas ${c.id}`, (d) => d.receiptSpan('canvas', c.id));
  add('receiptSpan campaign nope', (d) => d.receiptSpan('campaign', 'nope'));
  // Several series in one call answer as each alone.
  add('messageStats together', async (d) => (await d.messageStats(sources.map((s) => ({ ...s, fromDay, toDay })))).map(messageTotals));
  for (const card of [...ws.cards, 'card-none']) {
    for (const [label, u] of [['days', units.days], ['hours', units.hours]] as const) {
      add(`cardStats ${card} ${label}`, async (d) => (await d.cardStats({ cardId: card, bounds: [...u.list.map((x) => x.start), u.list.at(-1)!.end] }))
        .filter((r) => r.impressions + r.clicks + r.uniqueImpressions + r.uniqueClicks > 0).sort((a, b) => a.unit - b.unit));
    }
  }
  // ---- segments: the size at the end of each local day and now; series of the members now
  const instants = [...units.days.list.map((u) => ({ at: u.end, inclusive: false })), { at: ws.now, inclusive: true }];
  for (const s of ws.segments) {
    add(`segmentSizes ${s.id}`, async (d, users) => (users.renamed && hasRandomBucket(s.filter) ? 'not compared: random buckets of engine-made ids' : d.segmentSizes(s.filter, instants)));
  }
  add('segmentSizes everyone', (d) => d.segmentSizes(undefined, instants));
  for (const s of ws.segments.slice(0, 4)) {
    for (const c of [{ kind: 'session' as const }, { kind: 'custom_event' as const, name: ws.eventNames[0] }, { kind: 'purchase' as const }]) {
      add(`segmentCounterSeries ${s.id} ${c.kind}`, async (d, users) => (users.renamed && hasRandomBucket(s.filter)
        ? 'not compared'
        : d.segmentCounterSeries({ ...c, units: units.days }, s.filter, ws.now)));
    }
  }
  // ---- users: found by every identifier; export objects of everyone, several field sets
  for (const kind of KINDS) {
    // Users of one value as a set: their order is the order they were made in, which the batching decides.
    add(`findUsers ${kind}`, async (d, users) => {
      const found = await d.findUsers(kind, g.identifiers[kind]);
      return Object.fromEntries([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([v, ids]) => [v, ids.map((id) => users.canonical.get(id) ?? `unmapped ${id}`).sort()]));
    });
  }
  const fieldSets: Array<[string, { fields: readonly string[]; customAttributes?: string[]; fromEvents?: boolean }]> = [
    ['every field', { fields: USER_EXPORT_FIELDS }],
    ['every field from records', { fields: USER_EXPORT_FIELDS, fromEvents: true }],
    ['ids and some attributes', { fields: ['custom_attributes', 'braze_id', 'user_aliases'], customAttributes: ['plan', 'level', 'nested', 'missing'] }],
    ['out of order', { fields: ['apps', 'email', 'external_id', 'phone', 'random_bucket', 'braze_id'] }],
    ['received', { fields: ['campaigns_received', 'canvases_received', 'cards_clicked', 'purchases', 'total_revenue', 'uninstalled_at', 'created_at', 'braze_id'] }],
  ];
  for (const [label, options] of fieldSets) {
    add(`userProfiles ${label}`, async (d, users) => (await d.userProfiles(users.ids, options)).map((l) => canonicalLine(l, users)));
  }
  // ---- exports: members now and in the middle of the period, every field, in pieces of 7
  const exported: Array<[string, SegmentFilter | undefined]> = [['everyone', undefined], ...ws.segments.slice(0, 2).map((s) => [s.id, s.filter] as [string, SegmentFilter])];
  for (const [label, filter] of exported) {
    for (const at of [ws.now, ws.start + Math.floor(ws.days / 2) * D]) {
      add(`export ${label} at ${at}`, async (d, users) => {
        if (users.renamed && filter && hasRandomBucket(filter)) return 'not compared';
        const job = `cmp-${label}-${at}`;
        const n = await d.snapshotExportMembers(job, filter, at);
        const reader = await d.openExportProfiles(job, { fields: USER_EXPORT_FIELDS });
        try {
          const pieces = await Promise.all((await reader.read(0, n, 7)).map(pieceText));
          const lines = pieces.join('').split('\n').filter(Boolean);
          const ids = lines.map((l) => /"braze_id":"([^"]*)"/.exec(l)?.[1] ?? '');
          // In braze_id order, whichever ids the engine made.
          const ordered = ids.every((id, i) => i === 0 || ids[i - 1] < id);
          const canonical = lines.map((l) => canonicalLine(l, users));
          return { n, ordered, pieces: users.renamed ? pieces.length : pieces, lines: users.renamed ? canonical.toSorted() : canonical };
        } finally {
          reader.close();
          await d.dropExportMembers(job);
        }
      });
    }
  }
  return q;
}

import type {
  AnalyticsData, ConversionStatRow, MessageStatRow, ProfileOptions, ProfileText, SeriesUnits, UserIdKind, Workspace,
} from '@brazen/store';
import { dayNumber, seriesUnits, type SegmentFilter, type SeriesUnit } from '@brazen/analytics';

/** Helpers the contract's concerns share: record builders, units, and readers that take an answer
 * apart the way the server reads it (rows of one key summed, export pieces joined). */

export const H = 3600;
export const D = 86_400;
/** 2024-01-01T00:00:00Z. */
export const T0 = Date.UTC(2024, 0, 1) / 1000;

/** Epoch seconds of an ISO 8601 instant (`2024-03-10T09:00:00Z`). */
export const at = (iso: string): number => Date.parse(iso) / 1000;
/** Local day number of a `YYYY-MM-DD` label (days since 1970-01-01). */
export const day = (label: string): number => dayNumber(label);
export const iso = (t: number): string => new Date(t * 1000).toISOString();

/** A workspace document with nothing in it but what is given. */
export const workspaceDoc = (parts: Partial<Workspace> = {}): Workspace => ({ apps: [], campaigns: [], canvases: [], segments: [], cards: [], ...parts });

const encoder = new TextEncoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);

export type CurrentsRecord = Record<string, unknown>;

/** Stores Currents records as one NDJSON body (or a JSON array). */
export const ingest = (data: AnalyticsData, records: readonly unknown[], format: 'ndjson' | 'array' = 'ndjson') =>
  data.ingestCurrents({ bytes: bytes(format === 'ndjson' ? records.map((r) => JSON.stringify(r)).join('\n') : JSON.stringify(records)), format });

/** A Currents record of `type` by braze_id `user`. */
export const record = (id: string, type: string, user: string, time: number, extra: CurrentsRecord = {}): CurrentsRecord =>
  ({ id, event_type: type, user_id: user, time, ...extra });
export const session = (id: string, user: string, time: number, app = 'app-a', extra: CurrentsRecord = {}) =>
  record(id, 'users.behaviors.app.SessionStart', user, time, { app_id: app, ...extra });
export const customEvent = (id: string, user: string, time: number, name: string, extra: CurrentsRecord = {}) =>
  record(id, 'users.behaviors.CustomEvent', user, time, { name, ...extra });
export const purchase = (id: string, user: string, time: number, product: string, price: number, extra: CurrentsRecord = {}) =>
  record(id, 'users.behaviors.Purchase', user, time, { product_id: product, price, currency: 'USD', ...extra });

/** Units of `seconds` each from `starts` (hours in UTC unless told). */
export function unitsAt(starts: number[], seconds: number, unit: 'day' | 'hour' = 'hour', zone = 'UTC'): SeriesUnits {
  const list: SeriesUnit[] = starts.map((start) => ({ start, end: start + seconds, time: new Date(start * 1000).toISOString() }));
  return { unit, zone, list };
}

/** `days` local days of `zone` ending with the day of `endingAt`. */
export const dayUnits = (days: number, endingAt: number, zone = 'UTC'): SeriesUnits => ({ unit: 'day', zone, list: seriesUnits('day', days, endingAt, zone) });
/** `hours` local hours of `zone` ending with the hour of `endingAt`. */
export const hourUnits = (hours: number, endingAt: number, zone = 'UTC'): SeriesUnits => ({ unit: 'hour', zone, list: seriesUnits('hour', hours, endingAt, zone) });

/** Consecutive day labels from `from`, `count` of them. */
export function dayLabels(from: string, count: number): string[] {
  const first = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10));
}

/** The text of an export piece, whichever way the store gives it. */
export async function pieceText(piece: ProfileText): Promise<string> {
  if (piece instanceof Uint8Array) return new TextDecoder().decode(piece);
  const chunks: Buffer[] = [];
  for await (const chunk of piece.chunks()) chunks.push(Buffer.from(chunk)); // a copy: the reader reuses its buffers
  return Buffer.concat(chunks).toString('utf8');
}

/** Message rows as the reader sees them: rows of one key summed, keys whose sums are all zero
 * left out, in a stable order, as `[day, part, variation, channel, action, n, u]`. */
export type MessageTotal = [number, string, string, string, string, number, number];
export function messageTotals(rows: readonly MessageStatRow[]): MessageTotal[] {
  const sums = new Map<string, MessageTotal>();
  for (const r of rows) {
    const k = JSON.stringify([r.day, r.part, r.variation, r.channel, r.action]);
    const s = sums.get(k) ?? [r.day, r.part, r.variation, r.channel, r.action, 0, 0];
    s[5] += r.n;
    s[6] += r.u;
    sums.set(k, s);
  }
  return sorted([...sums.values()].filter((s) => s[5] !== 0 || s[6] !== 0));
}

/** Conversion rows the same way: `[day, part, variation, channel, idx, conversions, byReceipt, revenue]`
 * (revenue rounded to the millionth, a sum of floating-point numbers in any order). */
export type ConversionTotal = [number, string, string, string, number, number, number, number];
export function conversionTotals(rows: readonly ConversionStatRow[]): ConversionTotal[] {
  const sums = new Map<string, ConversionTotal>();
  for (const r of rows) {
    const k = JSON.stringify([r.day, r.part, r.variation, r.channel, r.idx]);
    const s = sums.get(k) ?? [r.day, r.part, r.variation, r.channel, r.idx, 0, 0, 0];
    s[5] += r.conversions;
    s[6] += r.byReceipt;
    s[7] += r.revenue;
    sums.set(k, s);
  }
  return sorted([...sums.values()].map((s) => {
    s[7] = Math.round(s[7] * 1e6) / 1e6 + 0; // + 0: no -0
    return s;
  }).filter((s) => s[5] !== 0 || s[6] !== 0 || s[7] !== 0));
}

function sorted<T extends Array<string | number>>(rows: T[]): T[] {
  return rows.sort((a, b) => {
    for (let i = 0; i < a.length; i++) {
      if (a[i] < b[i]) return -1;
      if (a[i] > b[i]) return 1;
    }
    return 0;
  });
}

/** The braze_ids an identifier names (empty when none). */
export const usersNamed = async (data: AnalyticsData, kind: UserIdKind, value: string): Promise<string[]> =>
  (await data.findUsers(kind, [value])).get(value) ?? [];

/** The export object of the one user an identifier names (undefined when nobody has it). */
export async function profileOf(data: AnalyticsData, kind: UserIdKind, value: string, fields: readonly string[]): Promise<Record<string, unknown> | undefined> {
  const found = await usersNamed(data, kind, value);
  if (found.length === 0) return undefined;
  if (found.length > 1) throw new Error(`${kind} ${value} names ${found.length} users`);
  return JSON.parse((await data.userProfiles(found, { fields }))[0]) as Record<string, unknown>;
}

/** The text an export of `filter`'s members as of `at` reads, whole, and the member count. */
export async function exportText(data: AnalyticsData, job: string, filter: SegmentFilter | undefined, at: number, options: ProfileOptions, perPiece = 5_000) {
  const users = await data.snapshotExportMembers(job, filter, at);
  const reader = await data.openExportProfiles(job, options);
  try {
    const pieces = await reader.read(0, users, perPiece);
    return { users, pieces: await Promise.all(pieces.map(pieceText)) };
  } finally {
    reader.close();
  }
}

/** Every user's braze_id, in the order an export lists them. */
export async function everyone(data: AnalyticsData, asOf = T0 + 3650 * D): Promise<string[]> {
  const { pieces } = await exportText(data, 'contract-everyone', undefined, asOf, { fields: ['braze_id'] });
  await data.dropExportMembers('contract-everyone');
  return pieces.join('').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { braze_id: string }).braze_id);
}

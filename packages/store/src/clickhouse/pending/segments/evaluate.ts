import { createHash } from 'node:crypto';
import type { AttributeEntry, RecordedData, StoredEvent } from '../records.ts';
import { RECEIVED_EVENT_TYPES, jsonText } from '../engagement/index.ts';
import { byCodePoint } from '../series/order.ts';
import { counterTotals } from '../series/counters.ts';
import type { CounterQuery, UnitTotals } from '../series/types.ts';
import type { AttributeLeaf, CountOp, Scalar, SegmentFilter } from './filter.ts';

/**
 * Segment membership (SPEC §5) evaluated "as of" an instant, so that a segment's size at the end of
 * each past day comes from the same data as its members now:
 * - data stamped at the instant counts when it is inclusive (now), not at the end of a day (the
 *   instant is then the next day's midnight);
 * - an attribute has its latest value (by time, then arrival) set before the instant; a null unsets;
 * - `within_days: N` keeps events from N × 24 hours before the instant;
 * - a size counts the users that existed by then (first seen: the profile made, or its first event
 *   or attribute); members now are every user.
 */

/** An instant a segment is evaluated at (epoch seconds). */
export interface SegmentInstant {
  at: number;
  /** Whether data stamped exactly `at` counts. */
  inclusive: boolean;
}

const DAY = 86_400;

/** The random bucket number (0–9999) of a user: the first 8 hex digits of md5(braze_id), modulo 10,000
 * (RANDOM_BUCKET_DEFINITION). */
export function randomBucket(brazeId: string): number {
  return parseInt(createHash('md5').update(brazeId, 'utf8').digest('hex').slice(0, 8), 16) % 10_000;
}

/** One user's records, as a filter reads them. */
interface UserRecords {
  brazeId: string;
  firstSeen: number;
  events: StoredEvent[];
  /** Attribute history by name. */
  attributes: Map<string, AttributeEntry[]>;
}

function usersOf(data: RecordedData): UserRecords[] {
  const byId = new Map<string, UserRecords>();
  for (const u of data.users) byId.set(u.brazeId, { brazeId: u.brazeId, firstSeen: u.createdAt, events: [], attributes: new Map() });
  for (const e of data.events) {
    const u = byId.get(e.user);
    if (!u) continue;
    u.events.push(e);
    u.firstSeen = Math.min(u.firstSeen, e.time);
  }
  for (const a of data.attributes) {
    const u = byId.get(a.user);
    if (!u) continue;
    const list = u.attributes.get(a.name);
    if (list) list.push(a);
    else u.attributes.set(a.name, [a]);
    u.firstSeen = Math.min(u.firstSeen, a.time);
  }
  return [...byId.values()];
}

const COMPARE: Record<CountOp, (a: number) => boolean> = {
  eq: (c) => c === 0, ne: (c) => c !== 0, gt: (c) => c > 0, gte: (c) => c >= 0, lt: (c) => c < 0, lte: (c) => c <= 0,
};
const compare = (op: CountOp, difference: number) => COMPARE[op](difference);

class Evaluation {
  constructor(private readonly instant: SegmentInstant) {}

  /** Data stamped at `time` is before the instant. */
  private before(time: number): boolean {
    return this.instant.inclusive ? time <= this.instant.at : time < this.instant.at;
  }

  private inWindow(time: number, days: number | undefined): boolean {
    return this.before(time) && (days === undefined || time >= this.instant.at - days * DAY);
  }

  private count(u: UserRecords, days: number | undefined, keep: (e: StoredEvent) => boolean): number {
    return u.events.filter((e) => keep(e) && this.inWindow(e.time, days)).length;
  }

  matches(f: SegmentFilter, u: UserRecords): boolean {
    if ('and' in f) return f.and.every((x) => this.matches(x, u));
    if ('or' in f) return f.or.some((x) => this.matches(x, u));
    if ('not' in f) return !this.matches(f.not, u);
    if ('attribute' in f) return this.attribute(f, this.valueOf(u, f.attribute));
    if ('custom_event' in f) {
      const n = this.count(u, f.within_days, (e) => e.category === 'custom_event' && e.name === f.custom_event);
      return compare(f.op, n - f.count);
    }
    if ('purchased' in f) {
      const n = this.count(u, f.within_days, (e) => e.category === 'purchase' && (f.purchased === null || e.name === f.purchased));
      return compare(f.op, n - f.count);
    }
    if ('last_session_within_days' in f) return this.count(u, f.last_session_within_days, (e) => e.category === 'session_start') > 0;
    if ('session_count' in f) {
      return compare(f.session_count.op, this.count(u, undefined, (e) => e.category === 'session_start') - f.session_count.value);
    }
    if ('received_campaign' in f) {
      const received = (e: StoredEvent) => e.campaignId === f.received_campaign && RECEIVED_EVENT_TYPES.includes(e.eventType);
      return this.count(u, f.within_days, received) > 0;
    }
    const bucket = randomBucket(u.brazeId);
    const { gte, lte } = f.random_bucket;
    return (gte === undefined || bucket >= gte) && (lte === undefined || bucket <= lte);
  }

  /** The attribute's value as of the instant (the latest by time, then arrival); undefined when none. */
  private valueOf(u: UserRecords, name: string): unknown {
    let latest: AttributeEntry | undefined;
    for (const a of u.attributes.get(name) ?? []) {
      if (!this.before(a.time)) continue;
      if (latest === undefined || a.time > latest.time || (a.time === latest.time && a.seq > latest.seq)) latest = a;
    }
    return latest?.value ?? undefined;
  }

  private attribute(f: AttributeLeaf, v: unknown): boolean {
    switch (f.op) {
      case 'exists': return v !== undefined;
      case 'not_exists': return v === undefined;
      case 'eq': return equals(v, f.value as Scalar);
      case 'ne': return !equals(v, f.value as Scalar);
      case 'in': return (f.value as Scalar[]).some((x) => equals(v, x));
      case 'contains': {
        const text = String(f.value);
        if (typeof v === 'string') return v.includes(text);
        return Array.isArray(v) && v.some((item) => jsonText(item) === text);
      }
      default: {
        // Numbers compare with numbers, text with text (in code-point order); other values never match.
        if (typeof f.value === 'number') return typeof v === 'number' && compare(f.op, Math.sign(v - f.value));
        return typeof v === 'string' && compare(f.op, byCodePoint(v, String(f.value)));
      }
    }
  }
}

/** A value equals a scalar of the same JSON type only (the number 1 is not the text "1"). */
function equals(v: unknown, value: Scalar): boolean {
  return typeof v === typeof value && v === value;
}

export interface MembersOptions {
  /** Only users first seen by the instant (a past size); otherwise every user (members now). */
  existing?: boolean;
}

/** braze_ids of the members as of the instant (every user when there is no filter), in no order. */
export function segmentMembers(
  data: RecordedData, filter: SegmentFilter | undefined, instant: SegmentInstant, options: MembersOptions = {},
): string[] {
  const evaluation = new Evaluation(instant);
  const before = (t: number) => (instant.inclusive ? t <= instant.at : t < instant.at);
  return usersOf(data)
    .filter((u) => (!options.existing || before(u.firstSeen)) && (filter === undefined || evaluation.matches(filter, u)))
    .map((u) => u.brazeId);
}

/** Sizes at each instant: the members among the users that existed by then. */
export function segmentSizes(data: RecordedData, filter: SegmentFilter | undefined, instants: readonly SegmentInstant[]): number[] {
  return instants.map((instant) => segmentMembers(data, filter, instant, { existing: true }).length);
}

/** Counter totals per unit of the users in the segment as of `at` (inclusive: the members now). */
export function segmentCounterTotals(data: RecordedData, q: CounterQuery, filter: SegmentFilter | undefined, at: number): UnitTotals[] {
  return counterTotals(data, q, new Set(segmentMembers(data, filter, { at, inclusive: true })));
}

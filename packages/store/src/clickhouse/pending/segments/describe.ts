import type { CountOp, Scalar, SegmentFilter } from './filter.ts';

export interface DescribeOptions {
  /** Name of a campaign by id, when the workspace knows it. */
  campaignName?: (id: string) => string | undefined;
}

const COUNT_WORDS: Record<CountOp, string> = {
  eq: 'exactly', ne: 'other than', gt: 'more than', gte: 'at least', lt: 'fewer than', lte: 'at most',
};

const quote = (v: Scalar) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
const times = (n: number) => `${n} ${n === 1 ? 'time' : 'times'}`;
const window = (days: number | undefined) => (days === undefined ? '' : ` in the last ${days} ${days === 1 ? 'day' : 'days'}`);

/** The filter in words, as `/segments/details` answers `description`. */
export function describeFilter(filter: SegmentFilter | undefined, options: DescribeOptions = {}): string {
  if (filter === undefined) return 'All users';
  return sentence(filter, options, false);
}

function sentence(f: SegmentFilter, o: DescribeOptions, nested: boolean): string {
  if ('and' in f || 'or' in f) {
    const [word, parts] = 'and' in f ? ['and', f.and] : ['or', f.or];
    if (parts.length === 1) return sentence(parts[0], o, nested);
    const text = parts.map((p) => sentence(p, o, true)).join(` ${word} `);
    return nested ? `(${text})` : text;
  }
  if ('not' in f) return `not ${group(f.not, o)}`;
  if ('attribute' in f) {
    const a = f.attribute;
    switch (f.op) {
      case 'eq': return `${a} is ${quote(f.value as Scalar)}`;
      case 'ne': return `${a} is not ${quote(f.value as Scalar)}`;
      case 'gt': return `${a} is greater than ${quote(f.value as Scalar)}`;
      case 'gte': return `${a} is at least ${quote(f.value as Scalar)}`;
      case 'lt': return `${a} is less than ${quote(f.value as Scalar)}`;
      case 'lte': return `${a} is at most ${quote(f.value as Scalar)}`;
      case 'in': return `${a} is one of ${(f.value as Scalar[]).map(quote).join(', ')}`;
      case 'contains': return `${a} contains ${quote(f.value as Scalar)}`;
      case 'exists': return `${a} is set`;
      case 'not_exists': return `${a} is not set`;
    }
  }
  if ('custom_event' in f) return `performed custom event ${quote(f.custom_event)} ${COUNT_WORDS[f.op]} ${times(f.count)}${window(f.within_days)}`;
  if ('purchased' in f) {
    const what = f.purchased === null ? 'any product' : `product ${quote(f.purchased)}`;
    return `purchased ${what} ${COUNT_WORDS[f.op]} ${times(f.count)}${window(f.within_days)}`;
  }
  if ('last_session_within_days' in f) return `had a session${window(f.last_session_within_days)}`;
  if ('session_count' in f) {
    const n = f.session_count.value;
    return `has had ${COUNT_WORDS[f.session_count.op]} ${n} ${n === 1 ? 'session' : 'sessions'}`;
  }
  if ('received_campaign' in f) {
    const name = o.campaignName?.(f.received_campaign);
    const which = name ? `${quote(name)} (${f.received_campaign})` : quote(f.received_campaign);
    return `received campaign ${which}${window(f.within_days)}`;
  }
  const { gte, lte } = f.random_bucket;
  if (gte !== undefined && lte !== undefined) return `random bucket number is between ${gte} and ${lte}`;
  return gte !== undefined ? `random bucket number is at least ${gte}` : `random bucket number is at most ${lte}`;
}

function group(f: SegmentFilter, o: DescribeOptions): string {
  const text = sentence(f, o, true);
  return text.startsWith('(') ? text : `(${text})`;
}

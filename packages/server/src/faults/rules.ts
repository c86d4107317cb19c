/**
 * Fault rules, as `X-Brazen-Fault` and `PUT /admin/faults` write them: `RULE[,RULE]`, each rule one
 * of `429`, `500`, `502`, `503` (answer that status), `latency=MS` (wait first), `reset` (close the
 * connection without an answer) or `truncate` (send the headers and half the body, then close),
 * optionally followed by `;p=PROBABILITY`.
 */

export type FaultKind = '429' | '500' | '502' | '503' | 'latency' | 'reset' | 'truncate';

export interface FaultRule {
  kind: FaultKind;
  /** Milliseconds to wait (latency only). */
  ms?: number;
  /** Chance the rule applies to a request, drawn per request; absent: always (and no draw). */
  p?: number;
  /** The rule as written, for messages and logs. */
  text: string;
}

/** A rule that cannot be read: its message names the rule. */
export class FaultRuleError extends Error {}

export const MAX_LATENCY_MS = 120_000;
const STATUSES = new Set(['429', '500', '502', '503']);
const KNOWN = '429, 500, 502, 503, latency=MS, reset, truncate';

export function parseFaultRules(text: string): FaultRule[] {
  return text
    .split(',')
    .map((rule) => rule.trim())
    .filter((rule) => rule !== '')
    .map(parseRule);
}

function parseRule(text: string): FaultRule {
  const [head, ...options] = text.split(';').map((part) => part.trim());
  const rule = ruleHead(head, text);
  for (const option of options) {
    const match = /^p\s*=\s*(\S+)$/.exec(option);
    if (!match) throw new FaultRuleError(`rule "${text}": only ;p=PROBABILITY may follow a rule`);
    const p = Number(match[1]);
    if (!/^(?:0|1|0?\.\d+|1\.0*)$/.test(match[1]) || !(p >= 0 && p <= 1)) {
      throw new FaultRuleError(`rule "${text}": p must be a probability from 0 to 1 (got ${match[1]})`);
    }
    if (rule.p !== undefined) throw new FaultRuleError(`rule "${text}": p is given twice`);
    rule.p = p;
  }
  return rule;
}

function ruleHead(head: string, text: string): FaultRule {
  if (STATUSES.has(head)) return { kind: head as FaultKind, text };
  if (head === 'reset' || head === 'truncate') return { kind: head, text };
  const latency = /^latency\s*=\s*(\S*)$/.exec(head);
  if (latency) {
    const ms = Number(latency[1]);
    if (!/^\d+$/.test(latency[1]) || ms > MAX_LATENCY_MS) {
      throw new FaultRuleError(`rule "${text}": latency must be a whole number of milliseconds from 0 to ${MAX_LATENCY_MS}`);
    }
    return { kind: 'latency', ms, text };
  }
  throw new FaultRuleError(`rule "${text}" is not one of ${KNOWN}`);
}

/** What the rules do to one request: the waits of every latency rule that applies, then the first
 * other rule that applies (none: the request is answered as usual). */
export interface FaultPlan {
  latencyMs: number;
  outcome?: FaultRule;
  /** Every rule that applied, in order (for the metrics and the log). */
  applied: FaultRule[];
}

/**
 * Decides, for one request, which rules apply. Each rule with `;p=` draws one number from `draw`
 * (in [0, 1)), in the order the rules are written, whether or not an earlier rule applied, and
 * applies when the number is below p; a rule without p applies without drawing. So the draws a
 * run makes depend only on the rules and the order of the requests.
 */
export function planFaults(rules: FaultRule[], draw: () => number): FaultPlan {
  const plan: FaultPlan = { latencyMs: 0, applied: [] };
  for (const rule of rules) {
    if (rule.p !== undefined && !(draw() < rule.p)) continue;
    plan.applied.push(rule);
    if (rule.kind === 'latency') plan.latencyMs += rule.ms ?? 0;
    else plan.outcome ??= rule;
  }
  return plan;
}

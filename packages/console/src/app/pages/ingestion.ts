import type { PageContext } from '../context.ts';
import { fill, h } from '../dom.ts';
import { figure } from '../format.ts';
import { empty, panel } from '../panel.ts';

/** One sample of a Prometheus text line: `name{a="x",b="y"} 3`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** Records taken and rejected by ingestion since the server started, from /metrics. */
export function ingestionPage(ctx: PageContext): HTMLElement {
  ctx.title('Ingestion');
  return panel('Records since the server started', async (body) => {
    const response = await fetch('/metrics');
    if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
    const samples = parseMetrics(await response.text());
    const taken = samples.filter((s) => s.name === 'brazen_ingested_records_total');
    const rejected = samples.filter((s) => s.name === 'brazen_rejected_records_total');
    const endpoints = [...new Set([...taken, ...rejected].map((s) => s.labels.endpoint))].sort();
    const sum = (list: Sample[], endpoint: string) => list.filter((s) => s.labels.endpoint === endpoint).reduce((a, s) => a + s.value, 0);
    const refresh = h('button', { type: 'button', onclick: () => window.dispatchEvent(new HashChangeEvent('hashchange')) }, 'Refresh');
    if (endpoints.length === 0) {
      return fill(body, empty('Nothing came in through /users/track or /currents since the server started (a demo workspace is built straight into the store).'), refresh);
    }
    fill(
      body,
      h('table', { class: 'list numbers' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'endpoint'), h('th', { scope: 'col' }, 'taken'), h('th', { scope: 'col' }, 'rejected'))),
        h('tbody', {}, ...endpoints.map((e) => h('tr', { 'data-endpoint': e },
          h('th', { scope: 'row' }, h('code', {}, e)),
          h('td', { 'data-stat': 'taken' }, figure(sum(taken, e))),
          h('td', { 'data-stat': 'rejected' }, figure(sum(rejected, e))))))),
      h('h3', {}, 'Rejected, by reason'),
      rejected.length === 0 ? empty('No record was rejected.') : h('table', { class: 'list numbers' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'endpoint'), h('th', { scope: 'col' }, 'reason'), h('th', { scope: 'col' }, 'records'))),
        h('tbody', {}, ...[...rejected].sort((a, b) => b.value - a.value).map((s) => h('tr', { 'data-reason': s.labels.reason ?? '' },
          h('td', {}, h('code', {}, s.labels.endpoint)), h('td', {}, s.labels.reason ?? '—'), h('td', {}, figure(s.value)))))),
      h('p', { class: 'hint' }, 'From this server\u2019s ', h('code', {}, '/metrics'), ' (Prometheus): counts since it started. Replayed records already stored are not counted.'),
      refresh,
    );
  }, { wide: true });
}

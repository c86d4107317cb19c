import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { endpoints, type Endpoint } from '@brazen/contract';
import { ExportHttp } from './export-http.ts';
import { positiveInteger } from './options.ts';
import { progressBar } from './progress.ts';

interface ExportOptions {
  url: string;
  key?: string;
  out: string;
  param: string[];
  length?: number;
  endingAt?: string;
  externalIds?: string;
  fields?: string;
}

type Json = Record<string, unknown>;

export function exportCommand(program: Command): void {
  program
    .command('export')
    .description('Pull a list, a series, details or users from brazen or Braze to files, walking pages and windows')
    .argument('<what>', 'an endpoint path such as campaigns/list or /kpi/dau/data_series, "users", or "all"')
    .option('--url <url>', 'brazen or Braze REST URL, e.g. https://rest.iad-01.braze.com', process.env.BRAZEN_URL ?? 'http://127.0.0.1:4000')
    .option('--key <key>', 'REST API key (default: BRAZEN_API_KEY, then BRAZE_API_KEY)')
    .option('-o, --out <dir>', 'folder the files are written to', 'export')
    .option('-p, --param <name=value>', 'query parameter, repeatable (campaign_id=..., unit=hour, app_id=...)', collect, [])
    .option('--length <n>', 'series: units to pull; longer than the endpoint allows (100, or 14 for Canvas) is split into windows', positiveInteger(100_000))
    .option('--ending-at <iso>', 'series: end of the series (ISO 8601; default now)')
    .option('--external-ids <ids>', 'users: comma-separated external ids (sent 50 at a time)')
    .option('--fields <list>', 'users: comma-separated fields_to_export')
    .addHelpText(
      'after',
      '\nLists go to NAME.ndjson (one item a line, every page), series to NAME.ndjson (one point a line, oldest\n' +
        'first, every window), anything else to NAME.json. "all" pulls every list, every object\'s details and\n' +
        'series (--length, default 30 days) and the KPIs.\n\n' +
        'Examples:\n' +
        '  brazen export campaigns/list --key $KEY\n' +
        '  brazen export campaigns/data_series -p campaign_id=ID --length 365 --key $KEY\n' +
        '  brazen export users --external-ids user-000001,user-000002 --key $KEY\n' +
        '  brazen export all --url https://rest.iad-01.braze.com --key $BRAZE_KEY --out braze-export',
    )
    .action(async (what: string, options: ExportOptions, cmd: Command) => {
      const key = options.key ?? process.env.BRAZEN_API_KEY ?? process.env.BRAZE_API_KEY;
      if (!key) cmd.error('error: an API key is required: --key KEY (or BRAZEN_API_KEY)', { exitCode: 2 });
      const params: Record<string, string> = {};
      for (const p of options.param) {
        const eq = p.indexOf('=');
        if (eq <= 0) cmd.error(`error: --param ${p} must be written name=value`, { exitCode: 2 });
        params[p.slice(0, eq)] = p.slice(eq + 1);
      }
      if (options.endingAt !== undefined && Number.isNaN(Date.parse(options.endingAt))) {
        cmd.error(`error: --ending-at ${options.endingAt} is not an ISO 8601 date`, { exitCode: 2 });
      }
      const endpoint = what === 'users' || what === 'all' ? undefined : findEndpoint(what);
      if (what !== 'users' && what !== 'all' && !endpoint) {
        cmd.error(`error: ${what} is not an export endpoint; try campaigns/list, kpi/dau/data_series, users or all`, { exitCode: 2 });
      }
      if (what === 'users' && !options.externalIds) cmd.error('error: users needs --external-ids ID,ID,...', { exitCode: 2 });
      const http = new ExportHttp({ baseUrl: options.url, key: key as string });
      const out = resolve(options.out);
      mkdirSync(out, { recursive: true });
      const exporter = new Exporter(http, out);
      if (what === 'users') {
        const fields = options.fields?.split(',').filter(Boolean);
        await exporter.users(options.externalIds!.split(',').filter(Boolean), fields);
      } else if (what === 'all') {
        await exporter.everything(options.length ?? 30, options.endingAt);
      } else {
        await exporter.endpoint(endpoint!, params, options.length, options.endingAt);
      }
      process.stdout.write(`Wrote ${exporter.written.length} file(s) to ${out} in ${http.requests} request(s):\n${exporter.written.map((w) => `  ${w}`).join('\n')}\n`);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const EXPORTABLE = Object.values(endpoints as Record<string, Endpoint>).filter(
  (e) => e.method === 'GET' && !e.path.startsWith('/admin'),
);

export function findEndpoint(what: string): Endpoint | undefined {
  const path = `/${what.replace(/^\/+|\/+$/g, '')}`;
  return EXPORTABLE.find((e) => e.path === path);
}

function queryProperties(e: Endpoint): Record<string, { maximum?: number }> {
  return ((e.querystring as { properties?: Record<string, { maximum?: number }> } | undefined)?.properties) ?? {};
}

const slug = (path: string, params: Record<string, string>) =>
  [path.replace(/^\//, '').replace(/\//g, '.'), ...Object.keys(params).sort().map((k) => `${k}=${params[k]}`)]
    .join('.')
    .replace(/[^A-Za-z0-9._=-]/g, '_');

/** Walks pages and windows of the export API and writes what it gets. */
export class Exporter {
  readonly written: string[] = [];

  constructor(
    private readonly http: ExportHttp,
    private readonly out: string,
  ) {}

  async endpoint(e: Endpoint, params: Record<string, string>, length?: number, endingAt?: string): Promise<void> {
    const props = queryProperties(e);
    if ('page' in props) {
      await this.list(e, params);
      return;
    }
    if ('length' in props && (length !== undefined || !('length' in params))) {
      return this.series(e, params, length ?? 30, endingAt);
    }
    const body = await this.http.get(e.path, params);
    await this.write(`${slug(e.path, params)}.json`, `${JSON.stringify(body, null, 2)}\n`);
  }

  /** Every page of a list, items one a line. */
  async list(e: Endpoint, params: Record<string, string>): Promise<Json[]> {
    const items: Json[] = [];
    let firstPageSize: number | undefined;
    for (let page = Number(params.page ?? 0); ; page++) {
      const body = (await this.http.get(e.path, { ...params, page: String(page) })) as Json;
      const found = Object.values(body).find(Array.isArray) as Json[] | undefined;
      if (!found || found.length === 0) break;
      items.push(...found);
      firstPageSize ??= found.length;
      if (found.length < firstPageSize) break;
    }
    await this.write(`${slug(e.path, omit(params, 'page'))}.ndjson`, ndjson(items));
    return items;
  }

  /** A series of any length: windows of at most the endpoint's maximum, oldest first, points one a line. */
  async series(e: Endpoint, params: Record<string, string>, length: number, endingAt?: string): Promise<void> {
    const max = queryProperties(e).length?.maximum ?? 100;
    const unit = params.unit === 'hour' ? 3600 : 86_400;
    const end = endingAt ? Date.parse(endingAt) / 1000 : Math.floor(Date.now() / 1000);
    const windows: Array<{ endingAt: string; length: number }> = [];
    for (let done = 0; done < length; done += max) {
      windows.unshift({ endingAt: new Date((end - done * unit) * 1000).toISOString(), length: Math.min(max, length - done) });
    }
    const points: Json[] = [];
    const seen = new Set<string>();
    for (const w of windows) {
      const body = (await this.http.get(e.path, { ...params, length: String(w.length), ending_at: w.endingAt })) as Json;
      const data = body.data as unknown;
      const list = Array.isArray(data) ? data : Array.isArray((data as Json | undefined)?.stats) ? ((data as Json).stats as Json[]) : [body];
      for (const p of list as Json[]) {
        const key = typeof p.time === 'string' ? p.time : undefined;
        if (key !== undefined && seen.has(key)) continue;
        if (key !== undefined) seen.add(key);
        points.push(p);
      }
    }
    await this.write(`${slug(e.path, params)}.ndjson`, ndjson(points));
  }

  /** /users/export/ids, 50 external ids a request. */
  async users(externalIds: string[], fields?: string[]): Promise<void> {
    const users: Json[] = [];
    const invalid: string[] = [];
    for (let i = 0; i < externalIds.length; i += 50) {
      const body = (await this.http.post('/users/export/ids', {
        external_ids: externalIds.slice(i, i + 50), ...(fields ? { fields_to_export: fields } : {}),
      })) as { users?: Json[]; invalid_user_ids?: string[] };
      users.push(...(body.users ?? []));
      invalid.push(...(body.invalid_user_ids ?? []));
    }
    await this.write('users.ndjson', ndjson(users));
    if (invalid.length > 0) process.stderr.write(`brazen: ${invalid.length} external ids name no user: ${invalid.slice(0, 10).join(', ')}\n`);
  }

  /** Every list, every object's details and series, and the KPIs: a connector's full pull. */
  async everything(length: number, endingAt?: string): Promise<void> {
    const get = (path: string) => {
      const e = findEndpoint(path);
      if (!e) throw new Error(`no endpoint ${path}`);
      return e;
    };
    const tasks: Array<{ name: string; run: () => Promise<void> }> = [];
    const add = (name: string, run: () => Promise<unknown>) => tasks.push({ name, run: async () => void (await run()) });
    for (const kpi of ['kpi/mau/data_series', 'kpi/dau/data_series', 'kpi/new_users/data_series', 'kpi/uninstalls/data_series', 'sessions/data_series', 'purchases/revenue_series', 'purchases/quantity_series']) {
      add(kpi, () => this.series(get(kpi), {}, length, endingAt));
    }
    const lists: Array<[string, string, string, string | undefined, Record<string, string>]> = [
      ['campaigns/list', 'campaigns/details', 'campaigns/data_series', 'campaign_id', {}],
      ['canvas/list', 'canvas/details', 'canvas/data_series', 'canvas_id', { include_variant_breakdown: 'true', include_step_breakdown: 'true' }],
      ['segments/list', 'segments/details', 'segments/data_series', 'segment_id', {}],
      ['feed/list', 'feed/details', 'feed/data_series', 'card_id', {}],
    ];
    const bar = progressBar('export', 0, 'requests');
    let failures = 0;
    const attempt = async (name: string, run: () => Promise<void>) => {
      try {
        await run();
      } catch (error) {
        failures += 1;
        process.stderr.write(`brazen: ${name}: ${(error as Error).message}\n`);
      }
      bar.update(this.http.requests, name);
    };
    try {
      for (const t of tasks) await attempt(t.name, t.run);
      for (const [list, details, series, idParam] of lists) {
        let items: Json[] = [];
        await attempt(list, async () => void (items = await this.list(get(list), {})));
        for (const item of items) {
          const id = String(item.id);
          const extra = lists.find((l) => l[0] === list)?.[4] ?? {};
          await attempt(`${details} ${id}`, () => this.endpoint(get(details), { [idParam!]: id }));
          if (item.analytics_tracking_enabled === false) continue;
          await attempt(`${series} ${id}`, () => this.series(get(series), { [idParam!]: id, ...extra }, list === 'canvas/list' ? Math.min(length, 14) : length, endingAt));
        }
      }
      for (const [list, series, param] of [['events/list', 'events/data_series', 'event'], ['purchases/product_list', 'purchases/revenue_series', 'product']] as const) {
        let items: Json[] = [];
        await attempt(list, async () => void (items = await this.list(get(list), {})));
        for (const name of items as unknown as string[]) {
          await attempt(`${series} ${name}`, () => this.series(get(series), { [param]: String(name) }, length, endingAt));
        }
      }
    } finally {
      bar.stop();
    }
    if (failures > 0) throw new Error(`${failures} export request(s) failed (listed above); the rest was written`);
  }

  private async write(name: string, text: string): Promise<void> {
    await writeFile(join(this.out, name), text);
    this.written.push(name);
  }
}

const ndjson = (items: unknown[]) => items.map((i) => `${JSON.stringify(i)}\n`).join('');
const omit = (o: Record<string, string>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

import type { FastifyInstance } from 'fastify';
import type { Workspace } from '@brazen/store';

/**
 * Every read of a workspace, as bytes, with the key `key`: each KPI and counter series, each
 * campaign, Canvas, segment, card, event and product (from the workspace's own definitions and
 * names), the workspace document, the export list and 300 users by external id. Two workspaces
 * (or one, before and after) answer alike when these are equal. Not /admin/api_keys: keys are not
 * part of a workspace's state.
 */
export async function everyAnswer(app: FastifyInstance, key: string): Promise<string[]> {
  const send = (method: 'GET' | 'POST', url: string, body?: unknown) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
  const ws = (await send('GET', '/admin/workspace')).json() as Workspace;
  const month = 'length=100&ending_at=2024-03-31';
  const urls = [
    '/kpi/dau/data_series?' + month, '/kpi/mau/data_series?' + month, '/kpi/new_users/data_series?' + month, '/kpi/uninstalls/data_series?' + month,
    '/sessions/data_series?' + month, '/sessions/data_series?length=72&unit=hour&ending_at=2024-03-31T23:00:00Z',
    '/events/list', '/purchases/product_list', '/events', '/custom_attributes', '/purchases/revenue_series?' + month, '/purchases/quantity_series?' + month,
    '/campaigns/list', '/canvas/list', '/segments/list', '/feed/list', '/admin/workspace', '/admin/exports',
    ...ws.campaigns.flatMap((c) => [`/campaigns/details?campaign_id=${c.id}`, `/campaigns/data_series?campaign_id=${c.id}&${month}`]),
    ...ws.canvases.flatMap((c) => [`/canvas/details?canvas_id=${c.id}`, `/canvas/data_series?canvas_id=${c.id}&length=14&ending_at=2024-03-31&include_variant_breakdown=true&include_step_breakdown=true`, `/canvas/data_summary?canvas_id=${c.id}&length=14&ending_at=2024-03-31`]),
    ...ws.segments.flatMap((s) => [`/segments/details?segment_id=${s.id}`, `/segments/data_series?segment_id=${s.id}&length=30&ending_at=2024-03-31`]),
    ...ws.cards.flatMap((c) => [`/feed/details?card_id=${c.id}`, `/feed/data_series?card_id=${c.id}&${month}`]),
  ];
  const events = ((await send('GET', '/events/list')).json() as { events: string[] }).events;
  const products = ((await send('GET', '/purchases/product_list')).json() as { products: string[] }).products;
  urls.push(...events.map((e) => `/events/data_series?event=${encodeURIComponent(e)}&${month}`));
  urls.push(...products.map((p) => `/purchases/revenue_series?product=${encodeURIComponent(p)}&${month}`));
  const out: string[] = [];
  for (const url of urls) {
    const res = await send('GET', url);
    out.push(`${res.statusCode} ${url} ${res.body}`);
  }
  for (let from = 0; from < 300; from += 50) {
    const ids = Array.from({ length: 50 }, (_, i) => `user-${String(from + i).padStart(6, '0')}`);
    out.push((await send('POST', '/users/export/ids', { external_ids: ids })).body);
  }
  return out;
}

import { endpoints, workspaceEndpoints, type Endpoint } from '@brazen/contract';
import type { Workspace } from '@brazen/store';
import { mulberry32 } from '../src/faults/random.ts';

/**
 * Randomized requests for every endpoint a workspace's key may call (ingestion, definitions, keys,
 * exports, reset and snapshots included), with parameters drawn from pools that hold the ids of
 * both workspaces of the isolation test: the same names (events, products, external ids, record
 * ids) mean different things in each, and an id of one workspace sent with a key of the other
 * must be answered as naming nothing there.
 */

export interface GeneratedRequest {
  /** The contract's name of the endpoint. */
  endpoint: string;
  method: Endpoint['method'];
  /** Path and query string. */
  url: string;
  body?: unknown;
  contentType?: string;
  /** Whether the request may change the workspace (the stream waits for it before going on). */
  writes: boolean;
}

/** A seeded generator (the faults' mulberry32), so that a run repeats exactly. */
export const prng = mulberry32;

/** Ids the generator draws from: the union of both workspaces' definitions, plus ids of nothing. */
export interface IdPools {
  campaigns: string[];
  canvases: string[];
  segments: string[];
  cards: string[];
  apps: string[];
  /** braze_ids of the demo users of every workspace: /users/track names users by braze_id (a user
   * it made from an external id alone would get a random braze_id, which two servers cannot agree
   * on), and by external id only to update users that exist. */
  brazeIds: string[];
}

export function idPools(docs: Workspace[], brazeIds: string[]): IdPools {
  const ids = (pick: (ws: Workspace) => Array<{ id?: unknown }>, extra: string[]) =>
    [...new Set([...docs.flatMap((ws) => pick(ws).map((o) => String(o.id))), ...extra])].sort();
  return {
    campaigns: ids((ws) => ws.campaigns, ['iso-c1', 'iso-c2', 'no-such-campaign']),
    canvases: ids((ws) => ws.canvases, ['no-such-canvas']),
    segments: ids((ws) => ws.segments, ['iso-s1', 'iso-s2', 'no-such-segment']),
    cards: ids((ws) => ws.cards, ['no-such-card']),
    apps: ids((ws) => ws.apps, ['no-such-app']),
    brazeIds,
  };
}

const EVENTS = ['viewed_product', 'searched', 'added_to_cart', 'favorited', 'shared_product', 'completed_onboarding', 'iso_played', 'no_such_event'];
const PRODUCTS = ['classic_tee', 'hoodie', 'running_shoes', 'backpack', 'premium_membership', 'iso_hat', 'no_such_product'];
const ENDINGS = [undefined, '2024-03-31', '2024-03-30T23:59:59Z', '2024-03-15', '2024-03-20T12:00:00-05:00', '2024-02-10', '2024-04-02'];
const FIELDS = ['external_id', 'braze_id', 'first_name', 'email', 'custom_attributes', 'custom_events', 'purchases', 'total_revenue', 'apps', 'campaigns_received'];
const PERMISSIONS = ['sessions.data_series', 'kpi.dau.data_series', 'events.list', 'admin', 'users.export.ids', 'currents.ingest'];

/** Endpoints a workspace's own key calls, with how often (writes rarer than reads). Creating and
 * listing workspaces is the operator's, tested on its own. */
// A write costs twenty to a hundred times a read (a transaction, every rollup, profiles made stale):
// 4% of the requests write, which still makes hundreds of writes in a run of 10,000 (dozens of
// each kind). Reads that cost ten times the others (a user export, which computes stale profiles;
// segment sizes, a filter evaluated each day) are drawn half as often.
const WEIGHTS: Record<string, number> = {
  currentsIngest: 0.25, usersTrack: 0.25, adminPutWorkspace: 0.15, adminCreateApiKey: 0.1,
  usersExportIds: 0.5, segmentsDataSeries: 0.5,
  usersExportSegment: 0.1, usersExportGlobalControlGroup: 0.08, exportSegmentCancel: 0.08,
  adminCreateSnapshot: 0.06, adminRestoreSnapshot: 0.06, adminDeleteSnapshot: 0.04, adminListSnapshots: 0.3, adminReset: 0.03,
};
const READ_WEIGHT = 1;
const NOT_DRAWN = new Set(['adminCreateWorkspace', 'adminListWorkspaces']);

export const DRAWN_ENDPOINTS: string[] = [...Object.keys(endpoints), ...Object.keys(workspaceEndpoints)].filter((n) => !NOT_DRAWN.has(n));

/** A generator of requests for one workspace's stream; `tag` keeps its record ids apart from the
 * other stream's only some of the time (the rest are shared, so that a record id stored in one
 * workspace must not count as a replay in the other). */
export function requestGenerator(seed: number, pools: IdPools, tag: string) {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const chance = (p: number) => random() < p;
  const all = Object.fromEntries([...Object.entries(endpoints), ...Object.entries(workspaceEndpoints)]) as Record<string, Endpoint>;
  const names = DRAWN_ENDPOINTS;
  const weights = names.map((n) => WEIGHTS[n] ?? READ_WEIGHT);
  const total = weights.reduce((a, b) => a + b, 0);

  const drawName = () => {
    let x = random() * total;
    for (let i = 0; i < names.length; i++) {
      x -= weights[i];
      if (x < 0) return names[i];
    }
    return names[names.length - 1];
  };
  const demoUser = () => `user-${String(int(0, 160)).padStart(6, '0')}`;
  const isoBrazeId = () => `iso-b${int(0, 40)}`;
  const time = () => Date.UTC(2024, 1, 20) / 1000 + int(0, 41 * 86_400);
  const iso = (t: number) => new Date(t * 1000).toISOString();
  const series = (max = 100) => ({
    length: int(1, max),
    ...(chance(0.85) ? { ending_at: pick(ENDINGS) } : {}),
    ...(chance(0.2) ? { app_id: pick(pools.apps) } : {}),
  });
  const unit = () => (chance(0.3) ? { unit: pick(['day', 'hour']) } : {});
  const list = () => ({
    ...(chance(0.5) ? { page: int(0, 2) } : {}),
    ...(chance(0.3) ? { sort_direction: pick(['asc', 'desc']) } : {}),
    ...(chance(0.3) ? { include_archived: pick(['true', 'false']) } : {}),
    ...(chance(0.2) ? { 'last_edit.time[gt]': pick(['2024-01-01', '2024-03-10T00:00:00Z']) } : {}),
  });
  const currentsRecord = () => {
    // A third of the ids are shared by both streams (and replays within a stream are common).
    const id = chance(0.33) ? `iso-r${int(0, 400)}` : `iso-${tag}-r${int(0, 1500)}`;
    const base = { id, user_id: chance(0.5) ? isoBrazeId() : `iso-${tag}-b${int(0, 20)}`, time: time(), app_id: pick(pools.apps.filter((a) => a !== 'no-such-app').concat([''])) || undefined };
    const kind = int(0, 3);
    if (kind === 0) return { ...base, event_type: 'users.behaviors.app.SessionStart', session_id: `s-${id}` };
    if (kind === 1) return { ...base, event_type: 'users.behaviors.CustomEvent', name: pick(EVENTS) };
    if (kind === 2) return { ...base, event_type: 'users.behaviors.Purchase', product_id: pick(PRODUCTS), price: int(1, 90), currency: 'USD', quantity: int(1, 3) };
    return { ...base, event_type: 'users.messages.email.Send', campaign_id: pick(pools.campaigns), message_variation_id: 'v0', email_address: `${base.user_id}@example.com` };
  };
  const trackUser = () => ({ braze_id: chance(0.6) ? pick(pools.brazeIds) : isoBrazeId() });
  const attributeUser = () => (chance(0.3) ? { external_id: demoUser(), _update_existing_only: true } : trackUser());

  const bodyFor = (name: string): unknown => {
    switch (name) {
      case 'currentsIngest':
        return Array.from({ length: int(1, 6) }, currentsRecord);
      case 'usersTrack':
        return {
          ...(chance(0.7) ? { attributes: Array.from({ length: int(1, 3) }, () => ({ ...attributeUser(), ...(chance(0.5) ? { first_name: pick(['Ann', 'Bo', 'Cy']) } : { iso_tier: pick(['gold', 'silver', 1, 2, true]) }) })) } : {}),
          ...(chance(0.6) ? { events: Array.from({ length: int(1, 3) }, () => ({ ...trackUser(), name: pick(EVENTS), time: iso(time()) })) } : {}),
          ...(chance(0.4) ? { purchases: [{ ...trackUser(), product_id: pick(PRODUCTS), currency: 'USD', price: int(1, 50), time: iso(time()) }] } : {}),
        };
      case 'usersExportIds':
        return chance(0.8)
          ? { external_ids: Array.from({ length: int(1, 5) }, () => (chance(0.85) ? demoUser() : `iso-x${int(0, 9)}`)), ...(chance(0.6) ? { fields_to_export: FIELDS.filter(() => chance(0.4)) } : {}) }
          : { braze_id: isoBrazeId(), fields_to_export: ['braze_id', 'custom_events', 'purchases', 'total_revenue'] };
      case 'usersExportSegment':
        return { segment_id: pick(pools.segments), output_format: 'gzip', ...(chance(0.5) ? { fields_to_export: ['external_id', 'braze_id', 'first_name', 'total_revenue'] } : {}) };
      case 'usersExportGlobalControlGroup':
        return { output_format: 'gzip', fields_to_export: ['braze_id'] };
      case 'exportSegmentCancel':
        return { segment_id: pick(pools.segments) };
      case 'adminPutWorkspace': {
        const which = int(0, 3);
        if (which === 0) return { campaigns: [{ id: pick(['iso-c1', 'iso-c2']), name: `Iso ${int(0, 99)}`, created_at: '2024-03-01T00:00:00Z', updated_at: '2024-03-0' + int(1, 9) + 'T00:00:00Z' }] };
        if (which === 1) return { segments: [{ id: pick(['iso-s1', 'iso-s2']), name: `Iso ${int(0, 99)}`, analytics_tracking_enabled: chance(0.7), filter: pick([{ session_count: { op: 'gte', value: int(1, 4) } }, { custom_event: pick(EVENTS), op: 'gte', count: 1, within_days: 30 }, { attribute: 'first_name', op: 'exists' }]) }] };
        if (which === 2) return { custom_events: [{ name: pick(EVENTS), description: `d${int(0, 9)}` }] };
        return chance(0.5) ? { time_zone: pick(['UTC', 'America/New_York', 'Asia/Tokyo']) } : { global_control_group: { filter: { random_bucket: { gte: 0, lte: int(0, 9999) } } } };
      }
      case 'adminCreateApiKey':
        return { name: `iso-key-${int(0, 9)}`, permissions: PERMISSIONS.filter(() => chance(0.5)) };
      case 'adminCreateSnapshot':
        // Never `base`: the test saved it before the run, to come back to after a reset.
        return { name: pick(['s1', 's2']) };
      case 'adminReset':
        return pick([{}, { definitions: true }, { keys: true }]);
      default:
        return undefined;
    }
  };

  const queryFor = (name: string): Record<string, unknown> => {
    switch (name) {
      case 'segmentsList': case 'campaignsList': case 'canvasList': case 'feedList':
        return list();
      case 'eventsList': case 'purchasesProductList':
        return chance(0.5) ? { page: int(0, 1) } : {};
      case 'segmentsDataSeries':
        // A size a day, each a count over the stored data: 10 days at most keeps the run short.
        return { segment_id: pick(pools.segments), ...series(10) };
      case 'segmentsDetails':
        return { segment_id: pick(pools.segments) };
      case 'campaignsDataSeries':
        return { campaign_id: pick(pools.campaigns), ...series() };
      case 'campaignsDetails':
        return { campaign_id: pick(pools.campaigns) };
      case 'sendsDataSeries':
        return { campaign_id: pick(pools.campaigns), send_id: `${pick(['order-confirmation', 'price-drop'])}-2024-03-${int(18, 31)}`, ...series() };
      case 'canvasDetails':
        return { canvas_id: pick(pools.canvases) };
      case 'canvasDataSeries': case 'canvasDataSummary':
        return {
          canvas_id: pick(pools.canvases), ...series(14),
          ...(chance(0.4) ? { include_variant_breakdown: 'true' } : {}), ...(chance(0.4) ? { include_step_breakdown: 'true' } : {}),
        };
      case 'feedDetails':
        return { card_id: pick(pools.cards) };
      case 'feedDataSeries':
        return { card_id: pick(pools.cards), ...series(), ...unit() };
      case 'kpiMauDataSeries': case 'kpiDauDataSeries': case 'kpiNewUsersDataSeries': case 'kpiUninstallsDataSeries':
        return series();
      case 'sessionsDataSeries':
        return { ...series(), ...unit(), ...(chance(0.2) ? { segment_id: pick(pools.segments) } : {}) };
      case 'eventsDataSeries':
        return { event: pick(EVENTS), ...series(), ...unit(), ...(chance(0.15) ? { segment_id: pick(pools.segments) } : {}) };
      case 'purchasesRevenueSeries': case 'purchasesQuantitySeries':
        return { ...series(), ...unit(), ...(chance(0.5) ? { product: pick(PRODUCTS) } : {}) };
      case 'customEvents': case 'customAttributes':
        return chance(0.2) ? { cursor: pick(['c2tpcDow', 'c2tpcDo1MA==', 'nonsense']) } : {};
      default:
        return {};
    }
  };

  /** The next request of the stream. */
  return (): GeneratedRequest => {
    const name = drawName();
    const e = all[name];
    const query = queryFor(name);
    const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])).toString();
    const path = e.path.replace(':name', name === 'adminRestoreSnapshot' && chance(0.5) ? 'base' : pick(['s1', 's2']));
    const body = bodyFor(name);
    const writes = e.method !== 'GET' && name !== 'usersExportIds';
    return {
      endpoint: name,
      method: e.method,
      url: search ? `${path}?${search}` : path,
      ...(body !== undefined ? { body } : e.method === 'POST' && name !== 'adminRestoreSnapshot' ? { body: {} } : {}),
      ...(name === 'currentsIngest' ? { contentType: 'application/json' } : {}),
      writes,
    };
  };
}

import type * as T from './contract.ts';
import type { EndpointName, ParamsOf, ResponseOf } from './endpoints.ts';
import { resolveBaseUrl } from './instances.ts';
import { cursorItems, cursorPages, type CursorListItems, type CursorListName } from './cursors.ts';
import { listItems, listPages, type ListItems, type ListName } from './pages.ts';
import type { RateLimitState } from './rate-limit.ts';
import type { RetryOptions } from './retry.ts';
import { exportedUsers, type ExportWaitOptions } from './segment-export.ts';
import { realSleep, Transport, type CallOptions, type CallRecord, type Sleep } from './transport.ts';
import { seriesPoints, type SeriesName, type SeriesParams, type SeriesPoints } from './windows.ts';

export interface BrazeClientOptions {
  /** REST API key, sent as `Authorization: Bearer`. */
  apiKey: string;
  /** brazen's URL, a Braze REST endpoint URL, or a Braze instance name such as `US-01` or `EU-02`. */
  baseUrl: string;
  /** Per attempt, ms (default 30 000); 0 for none. */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** How the client waits between retries and polls (tests pass one that records and returns). */
  sleep?: Sleep;
  /** Source of the backoff jitter, in [0, 1) (default Math.random). */
  random?: () => number;
  /** Clock in epoch ms, to turn `X-RateLimit-Reset` into a wait (default Date.now). */
  now?: () => number;
}

/** A typed client of the Braze Export REST API, for Braze and for brazen. */
export class BrazeClient {
  private readonly transport: Transport;

  constructor(options: BrazeClientOptions) {
    if (!options.apiKey) throw new TypeError('apiKey is required');
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('no global fetch: pass options.fetch');
    this.transport = new Transport({
      apiKey: options.apiKey,
      baseUrl: resolveBaseUrl(options.baseUrl),
      fetch: (input, init) => fetchImpl(input, init),
      timeoutMs: options.timeoutMs ?? 30_000,
      retry: options.retry ?? {},
      sleep: options.sleep ?? realSleep,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
      headers: options.headers ?? {},
    });
  }

  /** The REST base URL requests go to. */
  get baseUrl(): string {
    return this.transport.options.baseUrl;
  }

  /** The `X-RateLimit-*` headers of the latest answer that carried them. */
  get rateLimit(): RateLimitState | undefined {
    return this.transport.rateLimit;
  }

  /** The latest call: request, status, attempts, waits and rate-limit state. */
  get lastCall(): CallRecord | undefined {
    return this.transport.lastCall;
  }

  /** Any endpoint by its contract name, e.g. `request('kpiDauDataSeries', {length: 7})`. */
  request<N extends EndpointName>(name: N, params: ParamsOf<N>, options?: CallOptions): Promise<ResponseOf<N>> {
    return this.transport.send(name, params, options);
  }

  // ---- iterators ------------------------------------------------------------------------------

  /** Every page of a list (campaigns, canvases, segments, cards, events, products) from `page` on. */
  pages<N extends ListName>(name: N, params?: ParamsOf<N>, options?: CallOptions): AsyncGenerator<ResponseOf<N>> {
    return listPages((n, p) => this.request(n, p, options), name, params ?? ({} as ParamsOf<N>));
  }

  /** Every item of a list, across pages. */
  items<N extends ListName>(name: N, params?: ParamsOf<N>, options?: CallOptions): AsyncGenerator<ListItems[N]> {
    return listItems((n, p) => this.request(n, p, options), name, params ?? ({} as ParamsOf<N>));
  }

  /** Every page of a cursor-paged list (custom events, custom attributes), following the `Link` headers. */
  cursorPages<N extends CursorListName>(name: N, params?: ParamsOf<N>, options?: CallOptions): AsyncGenerator<ResponseOf<N>> {
    return cursorPages((n, p) => this.transport.exchange(n, p, options), name, params ?? ({} as ParamsOf<N>));
  }

  /** Every item of a cursor-paged list, across pages. */
  cursorItems<N extends CursorListName>(name: N, params?: ParamsOf<N>, options?: CallOptions): AsyncGenerator<CursorListItems[N]> {
    return cursorItems((n, p) => this.transport.exchange(n, p, options), name, params ?? ({} as ParamsOf<N>));
  }

  /** Every point of a series of any `length`, oldest first, split into windows of 100 units (14 days for a Canvas). */
  series<N extends SeriesName>(name: N, params: SeriesParams<N>, options?: CallOptions): AsyncGenerator<SeriesPoints[N]> {
    return seriesPoints((n, p) => this.request(n, p, options), name, params);
  }

  /** Starts a segment export, waits until it is ready (polling its URL, or your callback), and yields the users. */
  async *exportSegmentUsers(params: T.UsersExportSegmentParams, options: ExportWaitOptions = {}): AsyncGenerator<T.UserExport> {
    const job = await this.usersExportSegment(params, options);
    yield* exportedUsers(this.exportDeps(), job, options);
  }

  /** The same for the Global Control Group. */
  async *exportGlobalControlGroupUsers(params: T.UsersExportGlobalControlGroupParams = {}, options: ExportWaitOptions = {}): AsyncGenerator<T.UserExport> {
    const job = await this.usersExportGlobalControlGroup(params, options);
    yield* exportedUsers(this.exportDeps(), job, options);
  }

  private exportDeps() {
    return { fetch: this.transport.options.fetch, sleep: this.transport.options.sleep };
  }

  // ---- user export ----------------------------------------------------------------------------

  /** POST /users/export/ids: profiles by external id, alias, device id, email, phone or braze id. */
  usersExportIds(params: T.UsersExportIdsParams, options?: CallOptions): Promise<T.UsersExportIdsResponse> {
    return this.request('usersExportIds', params, options);
  }
  /** POST /users/export/segment: starts an export of a segment's users. */
  usersExportSegment(params: T.UsersExportSegmentParams, options?: CallOptions): Promise<T.UsersExportSegmentResponse> {
    return this.request('usersExportSegment', params, options);
  }
  /** POST /users/export/global_control_group: starts an export of the Global Control Group. */
  usersExportGlobalControlGroup(params: T.UsersExportGlobalControlGroupParams = {}, options?: CallOptions): Promise<T.UsersExportGlobalControlGroupResponse> {
    return this.request('usersExportGlobalControlGroup', params, options);
  }
  /** POST /export/segment/cancel: cancels a segment's ongoing exports. */
  exportSegmentCancel(params: T.ExportSegmentCancelParams, options?: CallOptions): Promise<T.ExportSegmentCancelResponse> {
    return this.request('exportSegmentCancel', params, options);
  }

  // ---- segments -------------------------------------------------------------------------------

  /** GET /segments/list: one page of 100 segments. */
  segmentsList(params: T.SegmentsListParams = {}, options?: CallOptions): Promise<T.SegmentsListResponse> {
    return this.request('segmentsList', params, options);
  }
  /** GET /segments/data_series: daily size of an analytics-enabled segment. */
  segmentsDataSeries(params: T.SegmentsDataSeriesParams, options?: CallOptions): Promise<T.SegmentsDataSeriesResponse> {
    return this.request('segmentsDataSeries', params, options);
  }
  /** GET /segments/details */
  segmentsDetails(params: T.SegmentsDetailsParams, options?: CallOptions): Promise<T.SegmentsDetailsResponse> {
    return this.request('segmentsDetails', params, options);
  }

  // ---- campaigns and sends --------------------------------------------------------------------

  /** GET /campaigns/list: one page of 100 campaigns. */
  campaignsList(params: T.CampaignsListParams = {}, options?: CallOptions): Promise<T.CampaignsListResponse> {
    return this.request('campaignsList', params, options);
  }
  /** GET /campaigns/data_series: daily message and conversion statistics. */
  campaignsDataSeries(params: T.CampaignsDataSeriesParams, options?: CallOptions): Promise<T.CampaignsDataSeriesResponse> {
    return this.request('campaignsDataSeries', params, options);
  }
  /** GET /campaigns/details */
  campaignsDetails(params: T.CampaignsDetailsParams, options?: CallOptions): Promise<T.CampaignsDetailsResponse> {
    return this.request('campaignsDetails', params, options);
  }
  /** GET /sends/data_series: daily statistics of one tracked send. */
  sendsDataSeries(params: T.SendsDataSeriesParams, options?: CallOptions): Promise<T.SendsDataSeriesResponse> {
    return this.request('sendsDataSeries', params, options);
  }

  // ---- canvas ---------------------------------------------------------------------------------

  /** GET /canvas/list: one page of 100 Canvases. */
  canvasList(params: T.CanvasListParams = {}, options?: CallOptions): Promise<T.CanvasListResponse> {
    return this.request('canvasList', params, options);
  }
  /** GET /canvas/details */
  canvasDetails(params: T.CanvasDetailsParams, options?: CallOptions): Promise<T.CanvasDetailsResponse> {
    return this.request('canvasDetails', params, options);
  }
  /** GET /canvas/data_series: daily entries, conversions and revenue (at most 14 days). */
  canvasDataSeries(params: T.CanvasDataSeriesParams, options?: CallOptions): Promise<T.CanvasDataSeriesResponse> {
    return this.request('canvasDataSeries', params, options);
  }
  /** GET /canvas/data_summary: the same over the window, rolled up. */
  canvasDataSummary(params: T.CanvasDataSummaryParams, options?: CallOptions): Promise<T.CanvasDataSummaryResponse> {
    return this.request('canvasDataSummary', params, options);
  }

  // ---- news feed ------------------------------------------------------------------------------

  /** GET /feed/list: one page of 100 News Feed cards. */
  feedList(params: T.FeedListParams = {}, options?: CallOptions): Promise<T.FeedListResponse> {
    return this.request('feedList', params, options);
  }
  /** GET /feed/details */
  feedDetails(params: T.FeedDetailsParams, options?: CallOptions): Promise<T.FeedDetailsResponse> {
    return this.request('feedDetails', params, options);
  }
  /** GET /feed/data_series: clicks and impressions of a card per day or hour. */
  feedDataSeries(params: T.FeedDataSeriesParams, options?: CallOptions): Promise<T.FeedDataSeriesResponse> {
    return this.request('feedDataSeries', params, options);
  }

  // ---- KPI ------------------------------------------------------------------------------------

  /** GET /kpi/mau/data_series */
  kpiMauDataSeries(params: T.KpiParams, options?: CallOptions): Promise<T.KpiMauDataSeriesResponse> {
    return this.request('kpiMauDataSeries', params, options);
  }
  /** GET /kpi/dau/data_series */
  kpiDauDataSeries(params: T.KpiParams, options?: CallOptions): Promise<T.KpiDauDataSeriesResponse> {
    return this.request('kpiDauDataSeries', params, options);
  }
  /** GET /kpi/new_users/data_series */
  kpiNewUsersDataSeries(params: T.KpiParams, options?: CallOptions): Promise<T.KpiNewUsersDataSeriesResponse> {
    return this.request('kpiNewUsersDataSeries', params, options);
  }
  /** GET /kpi/uninstalls/data_series */
  kpiUninstallsDataSeries(params: T.KpiParams, options?: CallOptions): Promise<T.KpiUninstallsDataSeriesResponse> {
    return this.request('kpiUninstallsDataSeries', params, options);
  }

  // ---- sessions, custom events, purchases -----------------------------------------------------

  /** GET /sessions/data_series */
  sessionsDataSeries(params: T.SessionsDataSeriesParams, options?: CallOptions): Promise<T.SessionsDataSeriesResponse> {
    return this.request('sessionsDataSeries', params, options);
  }
  /** GET /events/list: one page of 250 custom event names. */
  eventsList(params: T.EventsListParams = {}, options?: CallOptions): Promise<T.EventsListResponse> {
    return this.request('eventsList', params, options);
  }
  /** GET /events/data_series */
  eventsDataSeries(params: T.EventsDataSeriesParams, options?: CallOptions): Promise<T.EventsDataSeriesResponse> {
    return this.request('eventsDataSeries', params, options);
  }
  /** GET /purchases/product_list: one page of 250 product names. */
  purchasesProductList(params: T.ProductListParams = {}, options?: CallOptions): Promise<T.ProductListResponse> {
    return this.request('purchasesProductList', params, options);
  }
  /** GET /purchases/revenue_series */
  purchasesRevenueSeries(params: T.PurchaseSeriesParams, options?: CallOptions): Promise<T.RevenueSeriesResponse> {
    return this.request('purchasesRevenueSeries', params, options);
  }
  /** GET /purchases/quantity_series */
  purchasesQuantitySeries(params: T.PurchaseSeriesParams, options?: CallOptions): Promise<T.QuantitySeriesResponse> {
    return this.request('purchasesQuantitySeries', params, options);
  }

  /** GET /events: one page of 50 custom events with their descriptions, statuses and tags (see cursorItems). */
  customEvents(params: T.CustomEventsParams = {}, options?: CallOptions): Promise<T.CustomEventsResponse> {
    return this.request('customEvents', params, options);
  }
  /** GET /custom_attributes: one page of 50 custom attributes with their data types (see cursorItems). */
  customAttributes(params: T.CustomAttributesParams = {}, options?: CallOptions): Promise<T.CustomAttributesResponse> {
    return this.request('customAttributes', params, options);
  }

  // ---- ingestion and admin (brazen) -----------------------------------------------------------

  /** POST /users/track: attributes, events and purchases (not retried after a 5xx: it could record twice). */
  usersTrack(params: T.UsersTrackParams, options?: CallOptions): Promise<T.UsersTrackResponse> {
    return this.request('usersTrack', params, options);
  }
  /** POST /currents: Currents records as objects, or as NDJSON text (brazen). */
  currentsIngest(records: T.CurrentsRecord[] | string, options?: CallOptions): Promise<T.CurrentsIngestResponse> {
    return this.request('currentsIngest', records, options);
  }
  /** POST /admin/api_keys: a new key with these permissions; the key is shown once (brazen). */
  adminCreateApiKey(params: T.CreateApiKeyParams, options?: CallOptions): Promise<T.CreateApiKeyResponse> {
    return this.request('adminCreateApiKey', params, options);
  }
  /** GET /admin/api_keys: every key's name, permissions and creation date, never the key (brazen). */
  adminListApiKeys(options?: CallOptions): Promise<T.ApiKeysResponse> {
    return this.request('adminListApiKeys', {}, options);
  }
  /** GET /admin/workspace: the whole workspace document (brazen). */
  adminGetWorkspace(options?: CallOptions): Promise<T.WorkspaceResponse> {
    return this.request('adminGetWorkspace', {}, options);
  }
  /** PUT /admin/workspace: upserts apps, campaigns, canvases, segments and cards by id (brazen). */
  adminPutWorkspace(document: T.WorkspaceDocument, options?: CallOptions): Promise<T.WorkspaceResponse> {
    return this.request('adminPutWorkspace', document, options);
  }
  /** GET /admin/exports: the state of every user export job, newest first (brazen). */
  adminExports(options?: CallOptions): Promise<T.ExportJobsResponse> {
    return this.request('adminExports', {}, options);
  }
}

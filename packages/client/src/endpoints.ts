import type * as T from './contract.ts';

/** Method and path of every endpoint: the client's own copy (it never loads the contract at
 * run time); a test checks it against @brazen/contract. */
export interface EndpointRoute {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  /** Safe to send again after a 5xx or a lost connection. A 429 is always retried: the server did
   * nothing. `/users/track` and key creation would record twice, and an export could start twice,
   * so they are not. */
  idempotent: boolean;
}

const get = (path: string): EndpointRoute => ({ method: 'GET', path, idempotent: true });
const post = (path: string, idempotent = true): EndpointRoute => ({ method: 'POST', path, idempotent });

export const ROUTES = {
  usersExportIds: post('/users/export/ids'),
  usersExportSegment: post('/users/export/segment', false),
  usersExportGlobalControlGroup: post('/users/export/global_control_group', false),
  exportSegmentCancel: post('/export/segment/cancel'),
  segmentsList: get('/segments/list'),
  segmentsDataSeries: get('/segments/data_series'),
  segmentsDetails: get('/segments/details'),
  campaignsList: get('/campaigns/list'),
  campaignsDataSeries: get('/campaigns/data_series'),
  campaignsDetails: get('/campaigns/details'),
  sendsDataSeries: get('/sends/data_series'),
  canvasList: get('/canvas/list'),
  canvasDetails: get('/canvas/details'),
  canvasDataSeries: get('/canvas/data_series'),
  canvasDataSummary: get('/canvas/data_summary'),
  feedList: get('/feed/list'),
  feedDetails: get('/feed/details'),
  feedDataSeries: get('/feed/data_series'),
  kpiMauDataSeries: get('/kpi/mau/data_series'),
  kpiDauDataSeries: get('/kpi/dau/data_series'),
  kpiNewUsersDataSeries: get('/kpi/new_users/data_series'),
  kpiUninstallsDataSeries: get('/kpi/uninstalls/data_series'),
  sessionsDataSeries: get('/sessions/data_series'),
  eventsList: get('/events/list'),
  eventsDataSeries: get('/events/data_series'),
  purchasesProductList: get('/purchases/product_list'),
  purchasesRevenueSeries: get('/purchases/revenue_series'),
  purchasesQuantitySeries: get('/purchases/quantity_series'),
  customEvents: get('/events'),
  customAttributes: get('/custom_attributes'),
  usersTrack: post('/users/track', false),
  // Records carry ids and brazen skips ids it already stored: a replay is harmless.
  currentsIngest: post('/currents'),
  adminCreateApiKey: post('/admin/api_keys', false),
  adminListApiKeys: get('/admin/api_keys'),
  adminGetWorkspace: get('/admin/workspace'),
  adminPutWorkspace: { method: 'PUT', path: '/admin/workspace', idempotent: true },
  adminExports: get('/admin/exports'),
} as const satisfies Record<keyof EndpointTypes, EndpointRoute>;

/** Parameters and answer of every endpoint, by the contract's name. */
export interface EndpointTypes {
  usersExportIds: { params: T.UsersExportIdsParams; response: T.UsersExportIdsResponse };
  usersExportSegment: { params: T.UsersExportSegmentParams; response: T.UsersExportSegmentResponse };
  usersExportGlobalControlGroup: { params: T.UsersExportGlobalControlGroupParams; response: T.UsersExportGlobalControlGroupResponse };
  exportSegmentCancel: { params: T.ExportSegmentCancelParams; response: T.ExportSegmentCancelResponse };
  segmentsList: { params: T.SegmentsListParams; response: T.SegmentsListResponse };
  segmentsDataSeries: { params: T.SegmentsDataSeriesParams; response: T.SegmentsDataSeriesResponse };
  segmentsDetails: { params: T.SegmentsDetailsParams; response: T.SegmentsDetailsResponse };
  campaignsList: { params: T.CampaignsListParams; response: T.CampaignsListResponse };
  campaignsDataSeries: { params: T.CampaignsDataSeriesParams; response: T.CampaignsDataSeriesResponse };
  campaignsDetails: { params: T.CampaignsDetailsParams; response: T.CampaignsDetailsResponse };
  sendsDataSeries: { params: T.SendsDataSeriesParams; response: T.SendsDataSeriesResponse };
  canvasList: { params: T.CanvasListParams; response: T.CanvasListResponse };
  canvasDetails: { params: T.CanvasDetailsParams; response: T.CanvasDetailsResponse };
  canvasDataSeries: { params: T.CanvasDataSeriesParams; response: T.CanvasDataSeriesResponse };
  canvasDataSummary: { params: T.CanvasDataSummaryParams; response: T.CanvasDataSummaryResponse };
  feedList: { params: T.FeedListParams; response: T.FeedListResponse };
  feedDetails: { params: T.FeedDetailsParams; response: T.FeedDetailsResponse };
  feedDataSeries: { params: T.FeedDataSeriesParams; response: T.FeedDataSeriesResponse };
  kpiMauDataSeries: { params: T.KpiParams; response: T.KpiMauDataSeriesResponse };
  kpiDauDataSeries: { params: T.KpiParams; response: T.KpiDauDataSeriesResponse };
  kpiNewUsersDataSeries: { params: T.KpiParams; response: T.KpiNewUsersDataSeriesResponse };
  kpiUninstallsDataSeries: { params: T.KpiParams; response: T.KpiUninstallsDataSeriesResponse };
  sessionsDataSeries: { params: T.SessionsDataSeriesParams; response: T.SessionsDataSeriesResponse };
  eventsList: { params: T.EventsListParams; response: T.EventsListResponse };
  eventsDataSeries: { params: T.EventsDataSeriesParams; response: T.EventsDataSeriesResponse };
  purchasesProductList: { params: T.ProductListParams; response: T.ProductListResponse };
  purchasesRevenueSeries: { params: T.PurchaseSeriesParams; response: T.RevenueSeriesResponse };
  purchasesQuantitySeries: { params: T.PurchaseSeriesParams; response: T.QuantitySeriesResponse };
  customEvents: { params: T.CustomEventsParams; response: T.CustomEventsResponse };
  customAttributes: { params: T.CustomAttributesParams; response: T.CustomAttributesResponse };
  usersTrack: { params: T.UsersTrackParams; response: T.UsersTrackResponse };
  currentsIngest: { params: T.CurrentsRecord[] | string; response: T.CurrentsIngestResponse };
  adminCreateApiKey: { params: T.CreateApiKeyParams; response: T.CreateApiKeyResponse };
  adminListApiKeys: { params: Record<string, never>; response: T.ApiKeysResponse };
  adminGetWorkspace: { params: Record<string, never>; response: T.WorkspaceResponse };
  adminPutWorkspace: { params: T.WorkspaceDocument; response: T.WorkspaceResponse };
  adminExports: { params: Record<string, never>; response: T.ExportJobsResponse };
}

export type EndpointName = keyof EndpointTypes;
export type ParamsOf<N extends EndpointName> = EndpointTypes[N]['params'];
export type ResponseOf<N extends EndpointName> = EndpointTypes[N]['response'];

import type { EndpointName } from './client.ts';

/**
 * The permission each endpoint needs (Braze's names; brazen adds users.track, currents.ingest and
 * admin). The console's own copy, so that the bundle need not carry the contract; a test checks it
 * against @brazen/contract.
 */
export const PERMISSION_OF: Record<EndpointName, string> = {
  usersExportIds: 'users.export.ids',
  usersExportSegment: 'users.export.segment',
  usersExportGlobalControlGroup: 'users.export.global_control_group',
  exportSegmentCancel: 'segments.list',
  segmentsList: 'segments.list',
  segmentsDataSeries: 'segments.data_series',
  segmentsDetails: 'segments.details',
  campaignsList: 'campaigns.list',
  campaignsDataSeries: 'campaigns.data_series',
  campaignsDetails: 'campaigns.details',
  sendsDataSeries: 'sends.data_series',
  canvasList: 'canvas.list',
  canvasDetails: 'canvas.details',
  canvasDataSeries: 'canvas.data_series',
  canvasDataSummary: 'canvas.data_summary',
  feedList: 'feed.list',
  feedDetails: 'feed.details',
  feedDataSeries: 'feed.data_series',
  kpiMauDataSeries: 'kpi.mau.data_series',
  kpiDauDataSeries: 'kpi.dau.data_series',
  kpiNewUsersDataSeries: 'kpi.new_users.data_series',
  kpiUninstallsDataSeries: 'kpi.uninstalls.data_series',
  sessionsDataSeries: 'sessions.data_series',
  eventsList: 'events.list',
  eventsDataSeries: 'events.data_series',
  purchasesProductList: 'purchases.product_list',
  purchasesRevenueSeries: 'purchases.revenue_series',
  purchasesQuantitySeries: 'purchases.quantity_series',
  customEvents: 'events.get',
  customAttributes: 'custom_attributes.get',
  usersTrack: 'users.track',
  currentsIngest: 'currents.ingest',
  adminCreateApiKey: 'admin',
  adminListApiKeys: 'admin',
  adminGetWorkspace: 'admin',
  adminPutWorkspace: 'admin',
  adminExports: 'admin',
};

/** Every permission a key can be given, sorted. */
export const ALL_PERMISSIONS: string[] = [...new Set(Object.values(PERMISSION_OF))].sort();

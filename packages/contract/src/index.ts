/**
 * @brazen/contract: the single source of truth for every brazen endpoint. The server validates
 * and serializes with these schemas, @fastify/swagger documents them, the client derives its types.
 */
import type { Endpoint } from './endpoint.ts';
import * as admin from './admin.ts';
import * as campaigns from './campaigns.ts';
import * as canvas from './canvas.ts';
import * as customData from './custom-data.ts';
import * as events from './events.ts';
import * as feed from './feed.ts';
import * as ingest from './ingest.ts';
import * as kpi from './kpi.ts';
import * as purchases from './purchases.ts';
import * as segments from './segments.ts';
import * as sends from './sends.ts';
import * as sessions from './sessions.ts';
import * as users from './users.ts';

export * from './endpoint.ts';
export * from './common.ts';
export * from './stats.ts';
export * from './message-content.ts';
export * from './kpi.ts';
export * from './sessions.ts';
export * from './events.ts';
export * from './custom-data.ts';
export * from './faults.ts';
export * from './workspaces.ts';
export * from './purchases.ts';
export * from './segments.ts';
export * from './campaigns.ts';
export * from './sends.ts';
export * from './canvas.ts';
export * from './feed.ts';
export * from './users.ts';
export * from './ingest.ts';
export * from './admin.ts';
export * from './currents.ts';

/** Every endpoint by camelCase name. */
export const endpoints = {
  // User export
  usersExportIds: users.usersExportIds,
  usersExportSegment: users.usersExportSegment,
  usersExportGlobalControlGroup: users.usersExportGlobalControlGroup,
  exportSegmentCancel: segments.exportSegmentCancel,
  // Segments
  segmentsList: segments.segmentsList,
  segmentsDataSeries: segments.segmentsDataSeries,
  segmentsDetails: segments.segmentsDetails,
  // Campaigns and sends
  campaignsList: campaigns.campaignsList,
  campaignsDataSeries: campaigns.campaignsDataSeries,
  campaignsDetails: campaigns.campaignsDetails,
  sendsDataSeries: sends.sendsDataSeries,
  // Canvas
  canvasList: canvas.canvasList,
  canvasDetails: canvas.canvasDetails,
  canvasDataSeries: canvas.canvasDataSeries,
  canvasDataSummary: canvas.canvasDataSummary,
  // News Feed
  feedList: feed.feedList,
  feedDetails: feed.feedDetails,
  feedDataSeries: feed.feedDataSeries,
  // KPI
  kpiMauDataSeries: kpi.kpiMauDataSeries,
  kpiDauDataSeries: kpi.kpiDauDataSeries,
  kpiNewUsersDataSeries: kpi.kpiNewUsersDataSeries,
  kpiUninstallsDataSeries: kpi.kpiUninstallsDataSeries,
  // Sessions, custom events, purchases
  sessionsDataSeries: sessions.sessionsDataSeries,
  eventsList: events.eventsList,
  eventsDataSeries: events.eventsDataSeries,
  purchasesProductList: purchases.purchasesProductList,
  purchasesRevenueSeries: purchases.purchasesRevenueSeries,
  purchasesQuantitySeries: purchases.purchasesQuantitySeries,
  // Custom events and attributes (Braze's newest export endpoints, cursor pages)
  customEvents: customData.customEvents,
  customAttributes: customData.customAttributes,
  // Ingestion (brazen)
  usersTrack: ingest.usersTrack,
  currentsIngest: ingest.currentsIngest,
  // Admin (brazen)
  adminCreateApiKey: admin.adminCreateApiKey,
  adminListApiKeys: admin.adminListApiKeys,
  adminGetWorkspace: admin.adminGetWorkspace,
  adminPutWorkspace: admin.adminPutWorkspace,
  adminExports: users.adminExports,
} as const satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof endpoints;

/** Every permission name, sorted and unique. */
export const ALL_PERMISSIONS: string[] = [...new Set(Object.values(endpoints).map((e: Endpoint) => e.permission))].sort();

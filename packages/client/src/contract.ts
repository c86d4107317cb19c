/**
 * Request and response types of every endpoint, derived from @brazen/contract. Type-only imports:
 * nothing of the contract or TypeBox reaches the JavaScript. The build (scripts/build.ts) expands
 * every exported alias below into plain structural types, so the published .d.ts needs neither.
 */
import type { Static, TSchema } from 'typebox';
import type { endpoints } from '@brazen/contract';

type Defs = typeof endpoints;
type Name = keyof Defs;

/** The query or body of an endpoint, without the legacy `api_key` (the client sends the key as a header). */
type In<N extends Name> = Defs[N] extends { querystring: infer Q extends TSchema }
  ? { [K in keyof Static<Q> as Exclude<K, 'api_key'>]: Static<Q>[K] }
  : Defs[N] extends { body: infer B extends TSchema }
    ? Static<B> extends readonly unknown[]
      ? Static<B>
      : { [K in keyof Static<B> as Exclude<K, 'api_key'>]: Static<B>[K] }
    : never;
type Out<N extends Name> = Static<Defs[N]['response']>;

// ---- user export ------------------------------------------------------------------------------
export type UsersExportIdsParams = In<'usersExportIds'>;
export type UsersExportIdsResponse = Out<'usersExportIds'>;
export type UsersExportSegmentParams = In<'usersExportSegment'>;
export type UsersExportSegmentResponse = Out<'usersExportSegment'>;
export type UsersExportGlobalControlGroupParams = In<'usersExportGlobalControlGroup'>;
export type UsersExportGlobalControlGroupResponse = Out<'usersExportGlobalControlGroup'>;
export type ExportSegmentCancelParams = In<'exportSegmentCancel'>;
export type ExportSegmentCancelResponse = Out<'exportSegmentCancel'>;
/** One exported user profile (the seed's "Sample User Export File Output"). */
export type UserExport = Out<'usersExportIds'>['users'][number];

// ---- segments ---------------------------------------------------------------------------------
export type SegmentsListParams = In<'segmentsList'>;
export type SegmentsListResponse = Out<'segmentsList'>;
export type SegmentsDataSeriesParams = In<'segmentsDataSeries'>;
export type SegmentsDataSeriesResponse = Out<'segmentsDataSeries'>;
export type SegmentsDetailsParams = In<'segmentsDetails'>;
export type SegmentsDetailsResponse = Out<'segmentsDetails'>;

// ---- campaigns and sends ----------------------------------------------------------------------
export type CampaignsListParams = In<'campaignsList'>;
export type CampaignsListResponse = Out<'campaignsList'>;
export type CampaignsDataSeriesParams = In<'campaignsDataSeries'>;
export type CampaignsDataSeriesResponse = Out<'campaignsDataSeries'>;
export type CampaignsDetailsParams = In<'campaignsDetails'>;
export type CampaignsDetailsResponse = Out<'campaignsDetails'>;
export type SendsDataSeriesParams = In<'sendsDataSeries'>;
export type SendsDataSeriesResponse = Out<'sendsDataSeries'>;

// ---- canvas -----------------------------------------------------------------------------------
export type CanvasListParams = In<'canvasList'>;
export type CanvasListResponse = Out<'canvasList'>;
export type CanvasDetailsParams = In<'canvasDetails'>;
export type CanvasDetailsResponse = Out<'canvasDetails'>;
export type CanvasDataSeriesParams = In<'canvasDataSeries'>;
export type CanvasDataSeriesResponse = Out<'canvasDataSeries'>;
export type CanvasDataSummaryParams = In<'canvasDataSummary'>;
export type CanvasDataSummaryResponse = Out<'canvasDataSummary'>;

// ---- news feed --------------------------------------------------------------------------------
export type FeedListParams = In<'feedList'>;
export type FeedListResponse = Out<'feedList'>;
export type FeedDetailsParams = In<'feedDetails'>;
export type FeedDetailsResponse = Out<'feedDetails'>;
export type FeedDataSeriesParams = In<'feedDataSeries'>;
export type FeedDataSeriesResponse = Out<'feedDataSeries'>;

// ---- KPI, sessions, custom events, purchases --------------------------------------------------
export type KpiParams = In<'kpiDauDataSeries'>;
export type KpiMauDataSeriesResponse = Out<'kpiMauDataSeries'>;
export type KpiDauDataSeriesResponse = Out<'kpiDauDataSeries'>;
export type KpiNewUsersDataSeriesResponse = Out<'kpiNewUsersDataSeries'>;
export type KpiUninstallsDataSeriesResponse = Out<'kpiUninstallsDataSeries'>;
export type SessionsDataSeriesParams = In<'sessionsDataSeries'>;
export type SessionsDataSeriesResponse = Out<'sessionsDataSeries'>;
export type EventsListParams = In<'eventsList'>;
export type EventsListResponse = Out<'eventsList'>;
export type EventsDataSeriesParams = In<'eventsDataSeries'>;
export type EventsDataSeriesResponse = Out<'eventsDataSeries'>;
export type ProductListParams = In<'purchasesProductList'>;
export type ProductListResponse = Out<'purchasesProductList'>;
export type PurchaseSeriesParams = In<'purchasesRevenueSeries'>;
export type RevenueSeriesResponse = Out<'purchasesRevenueSeries'>;
export type QuantitySeriesResponse = Out<'purchasesQuantitySeries'>;

// ---- custom events and attributes (cursor pages) ----------------------------------------------
export type CustomEventsParams = In<'customEvents'>;
export type CustomEventsResponse = Out<'customEvents'>;
export type CustomAttributesParams = In<'customAttributes'>;
export type CustomAttributesResponse = Out<'customAttributes'>;
export type CustomEventItem = CustomEventsResponse['events'][number];
export type CustomAttributeItem = CustomAttributesResponse['attributes'][number];

// ---- ingestion and admin (brazen) -------------------------------------------------------------
export type UsersTrackParams = In<'usersTrack'>;
export type UsersTrackResponse = Out<'usersTrack'>;
/** One Braze Currents record (`event_type`, `id`, `time`, user fields, ...). */
export type CurrentsRecord = In<'currentsIngest'>[number];
export type CurrentsIngestResponse = Out<'currentsIngest'>;
export type CreateApiKeyParams = In<'adminCreateApiKey'>;
export type CreateApiKeyResponse = Out<'adminCreateApiKey'>;
export type ApiKeysResponse = Out<'adminListApiKeys'>;
export type WorkspaceResponse = Out<'adminGetWorkspace'>;
export type WorkspaceDocument = In<'adminPutWorkspace'>;
export type ExportJobsResponse = Out<'adminExports'>;

// ---- items of the lists and points of the series (what the iterators yield) --------------------
export type CampaignListItem = CampaignsListResponse['campaigns'][number];
export type CanvasListItem = CanvasListResponse['canvases'][number];
export type SegmentListItem = SegmentsListResponse['segments'][number];
export type FeedListItem = FeedListResponse['cards'][number];
export type MessageSeriesPoint = CampaignsDataSeriesResponse['data'][number];
export type CanvasStatsPoint = CanvasDataSeriesResponse['data']['stats'][number];

/**
 * @brazen/client: a typed client of the Braze Export REST API, for Braze and for brazen. No runtime
 * dependency: it uses the platform's fetch, streams and DecompressionStream (Node 20+, Deno, Bun,
 * browsers).
 */
export { BrazeClient, type BrazeClientOptions } from './client.ts';
export { BrazeApiError, BrazeError, BrazeNetworkError, BrazeTimeoutError } from './errors.ts';
export { BRAZE_INSTANCES, resolveBaseUrl, type BrazeInstance } from './instances.ts';
export { ROUTES, type EndpointName, type EndpointRoute, type EndpointTypes, type ParamsOf, type ResponseOf } from './endpoints.ts';
export { LISTS, type ListItems, type ListName } from './pages.ts';
export { CURSOR_LISTS, linkTarget, type CursorListItems, type CursorListName } from './cursors.ts';
export { SERIES, type SeriesName, type SeriesParams, type SeriesPoints } from './windows.ts';
export { backoffMs, retryPolicy, type RetryOptions, type RetryPolicy } from './retry.ts';
export type { RateLimitState } from './rate-limit.ts';
export type { CallOptions, CallRecord, Sleep } from './transport.ts';
export type { ExportWaitOptions } from './segment-export.ts';
export { exportLines } from './archive.ts';
export type * from './contract.ts';

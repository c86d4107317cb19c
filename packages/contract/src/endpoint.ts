import type { TSchema } from 'typebox';

/** Every brazen endpoint is described once, here, and the server, the OpenAPI document and the
 * client are all derived from that description. */
export interface Endpoint {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path as Braze spells it, e.g. `/kpi/mau/data_series`. */
  path: string;
  /** Braze's permission name for the key (brazen adds `users.track`, `currents.ingest`, `admin`). */
  permission: string;
  summary: string;
  tag: string;
  /** Path parameters (`:name` in `path`). */
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  /** Schema of the successful answer. */
  response: TSchema;
  /** Status of the successful answer (200 unless said). */
  status?: 200 | 201 | 202;
  /** Rate-limit pool: endpoints naming the same pool share one budget. */
  ratePool?: string;
}

export function defineEndpoint<const E extends Endpoint>(endpoint: E): E {
  return endpoint;
}

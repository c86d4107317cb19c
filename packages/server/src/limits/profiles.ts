import type { RateLimitConfig } from './rate-limit.ts';

/**
 * What `brazen serve --compat` chooses: the limits of Braze's API as documented today (`current`,
 * the default), or as they were when brazen was first written (`legacy`), for consumers built then.
 */
export type CompatName = 'current' | 'legacy';

export interface CompatProfile {
  name: CompatName;
  rateLimits: RateLimitConfig;
  /** The most `external_ids` or `user_aliases` one /users/export/ids request may name. */
  maxExportIds: number;
}

const HOUR = 3600;
const MINUTE = 60;

/**
 * Braze's limits of today (braze-docs `_docs/_api/api_limits.md` and `_includes/rate_limits.md`):
 * the endpoints listed under "Requests with shared rate limits" share 250,000 an hour (the
 * contract's `shared_hourly` pool); `/events/list`, `/purchases/product_list`, `/events` and
 * `/custom_attributes` share 1,000 an hour; `/users/export/ids` has 250 a minute (workspaces made
 * since August 22, 2024) and takes at most 50 ids; `/campaigns/data_series` 50,000 a minute;
 * `/users/track` 3,000 every three seconds. Any other endpoint: 250,000 an hour of its own.
 */
export const BRAZE_RATE_LIMITS: RateLimitConfig = {
  default: { limit: 250_000, windowSeconds: HOUR },
  pools: {
    shared_hourly: { limit: 250_000, windowSeconds: HOUR },
    events_products: { limit: 1_000, windowSeconds: HOUR },
  },
  endpoints: {
    '/users/export/ids': { limit: 250, windowSeconds: MINUTE },
    '/campaigns/data_series': { limit: 50_000, windowSeconds: MINUTE },
    '/users/track': { limit: 3_000, windowSeconds: 3 },
  },
};

/** The numbers brazen answered with before: every endpoint 250,000 an hour of its own, the list
 * endpoints 1,000 an hour together, `/campaigns/data_series` 50,000 a minute; 75 ids an export. */
export const LEGACY_RATE_LIMITS: RateLimitConfig = {
  default: { limit: 250_000, windowSeconds: HOUR },
  pools: { events_products: { limit: 1_000, windowSeconds: HOUR } },
  endpoints: { '/campaigns/data_series': { limit: 50_000, windowSeconds: MINUTE } },
};

export const COMPAT_PROFILES: Record<CompatName, CompatProfile> = {
  current: { name: 'current', rateLimits: BRAZE_RATE_LIMITS, maxExportIds: 50 },
  legacy: { name: 'legacy', rateLimits: LEGACY_RATE_LIMITS, maxExportIds: 75 },
};

export { buildApp, type AppOptions } from './app.ts';
export { hashKey, newApiKey } from './auth.ts';
export { ApiError } from './errors.ts';
export { mergeWorkspace } from './routes/admin.ts';
export { loggerOptions, redactUrl } from './logging.ts';
export { Metrics } from './observability.ts';
export { rejectionReason } from './ingest/rejection-reason.ts';
export { BRAZE_RATE_LIMITS, COMPAT_PROFILES, LEGACY_RATE_LIMITS, type CompatName, type CompatProfile } from './limits/profiles.ts';
export { MemoryRateCounter, RedisRateCounter, RateLimiter, type RateCounter, type RateLimitConfig } from './limits/rate-limit.ts';

export * from './types.ts';
export * from './ports.ts';
export * from './errors.ts';
export * from './registry.ts';
export { DuckDbStore, duckdbEngine, type DuckDbStoreOptions } from './duckdb/store.ts';
export { ReferenceStore, referenceEngine } from './reference/store.ts';
export { redact as redactStoreUrl } from './clickhouse/url.ts';
export { ClickHouseStore, clickhouseEngine, clickhouseEngines, type ClickHouseStoreOptions } from './clickhouse/store.ts';
export { holding, LeaseLostError, MemoryLeases, RedisLeases, type HoldOptions, type Lease, type Leases } from './leases.ts';

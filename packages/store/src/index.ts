export * from './types.ts';
export { DuckDbStore, type DuckDbStoreOptions } from './duckdb/store.ts';

export * from './types.ts';
export * from './fields.ts';
export * from './entries.ts';
export * from './stats.ts';

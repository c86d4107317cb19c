export * from './filter.ts';
export * from './describe.ts';
export * from './evaluate.ts';

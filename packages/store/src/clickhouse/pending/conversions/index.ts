export * from './behaviors.ts';
export * from './figures.ts';
export * from './attribution.ts';

export * from './types.ts';
export * from './units.ts';
export * from './days.ts';
export * from './order.ts';
export * from './counters.ts';

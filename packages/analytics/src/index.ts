export * from './time.ts';
export * from './series.ts';
export * from './activity.ts';

export * from './time.ts';
export * from './series.ts';
export * from './activity.ts';
export * from './campaign-series.ts';
export * from './conversions.ts';
export * from './message-points.ts';
export * from './segments/index.ts';
export * from './records.ts';

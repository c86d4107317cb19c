export * from './activity-index.ts';
export * from './activity.ts';

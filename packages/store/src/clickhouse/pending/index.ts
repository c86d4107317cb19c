/**
 * Braze's rules being moved into @brazen/analytics by the engine-neutral core (issue 18), copied
 * verbatim from that work in progress so that this engine is built on them now; the folder goes
 * once they are on main (imports then name '@brazen/analytics').
 */
export * from './currents/index.ts';
export * from './identity/index.ts';
export * from './attributes/index.ts';
export * from './profiles/index.ts';
export * from './engagement/index.ts';
export * from './series/index.ts';
export * from './activity/index.ts';
export * from './campaigns/index.ts';
export * from './conversions/index.ts';
export * from './cards/index.ts';
export * from './segments/index.ts';
export { byCodePoint } from './text-order.ts';
export { jsonText } from './currents/fields.ts';
export { purchaseRevenue } from './currents/records.ts';
export { randomBucket } from './segments/evaluate.ts';

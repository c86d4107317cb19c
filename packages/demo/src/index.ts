export {
  buildDemo, defaultDemoEnd, simulateDemo, storeDemo, type DemoBuildOptions, type DemoMarker, type DemoProgress, type DemoStep, type DemoSummary, type StoredDemo,
} from './build.ts';
export { demoPlan, type DemoOptions, type DemoPlan, type CampaignDef, type CanvasDef } from './plan.ts';
export { demoWorkspace } from './workspace.ts';
export { seedNumber, Random, mix } from './random.ts';
export type { CurrentsRecord, DemoSink } from './user.ts';

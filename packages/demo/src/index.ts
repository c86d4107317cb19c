export { buildDemo, defaultDemoEnd, simulateDemo, type DemoBuildOptions, type DemoMarker, type DemoProgress, type DemoSummary } from './build.ts';
export { demoPlan, type DemoOptions, type DemoPlan, type CampaignDef, type CanvasDef } from './plan.ts';
export { demoWorkspace } from './workspace.ts';
export { seedNumber, Random, mix } from './random.ts';
export type { CurrentsRecord, DemoSink } from './user.ts';

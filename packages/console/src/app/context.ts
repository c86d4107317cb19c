import type { Api } from './api.ts';
import type { Period } from './period.ts';
import type { Route } from './route.ts';

/** What the workspace's definitions tell the console (from GET /admin/workspace, when the key may read it). */
export interface WorkspaceInfo {
  timeZone?: string;
  apps: Array<{ id: string; name: string }>;
  /** Set when the key may not read the workspace (it lacks `admin`). */
  needs?: string;
}

/** Everything a page is drawn from. */
export interface PageContext {
  api: Api;
  route: Route;
  period: Period;
  /** `app_id` to restrict series to, when one is chosen. */
  appId?: string;
  workspace: Promise<WorkspaceInfo>;
  /** Set the page's title, for the tab and the heading. */
  title(text: string): void;
}

export type Page = (ctx: PageContext) => HTMLElement;

/** `app_id` for series parameters. */
export const appParam = (ctx: PageContext): { app_id?: string } => (ctx.appId ? { app_id: ctx.appId } : {});

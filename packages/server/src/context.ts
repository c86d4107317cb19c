import type { AnalyticsData, Catalog, KeyCatalog, SeriesUnits, Workspace, WorkspaceStore } from '@brazen/store';
import { isValidTimeZone, parseIsoInstant, seriesUnits, type SeriesUnit, type Unit } from '@brazen/analytics';
import { ApiError, badRequest } from './errors.ts';
import { findSegment, type SegmentDefinition } from './segment-definitions.ts';
import { ExportRunner, type ExportRunnerOptions } from './export/runner.ts';

/** What every route may use: one workspace's data and catalog, its user exports, the clock, and
 * its definitions (cached). One per workspace; a request gets its key's. */
export class ApiContext {
  private workspace: Workspace | undefined;
  private loadedAt = 0;
  readonly data: AnalyticsData;
  readonly catalog: Catalog;
  /** The workspace's user exports, run in the background. */
  readonly exports: ExportRunner;

  constructor(
    readonly store: WorkspaceStore,
    /** API keys (of every workspace: a key names its own). */
    readonly keys: KeyCatalog,
    /** Epoch milliseconds. */
    readonly now: () => number,
    exports: ExportRunnerOptions,
  ) {
    this.data = store.data;
    this.catalog = store.catalog;
    this.exports = new ExportRunner(store, () => this.getWorkspace(), now, exports);
  }

  async getWorkspace(): Promise<Workspace> {
    // Several servers may share a store: definitions are re-read every few seconds.
    if (!this.workspace || Date.now() - this.loadedAt > 5_000) {
      this.workspace = await this.catalog.getWorkspace();
      this.loadedAt = Date.now();
    }
    return this.workspace;
  }

  async putWorkspace(ws: Workspace): Promise<void> {
    await this.catalog.putWorkspace(ws);
    this.workspace = ws;
    this.loadedAt = Date.now();
  }

  async zone(): Promise<string> {
    return (await this.getWorkspace()).time_zone ?? 'UTC';
  }

  /** The units of a series request, after checking `ending_at`. */
  async units(query: { length: number; unit?: Unit; ending_at?: string }, unit: Unit = query.unit ?? 'day'): Promise<SeriesUnit[]> {
    const zone = await this.zone();
    let endingAt = this.now() / 1000;
    if (query.ending_at !== undefined) {
      const parsed = parseIsoInstant(query.ending_at, zone);
      if (parsed === undefined) throw badRequest('ending_at must be an ISO 8601 date or date-time (e.g. 2024-03-01T23:59:59-05:00)');
      endingAt = parsed;
    }
    return seriesUnits(unit, query.length, endingAt, zone);
  }

  /** The units of a series request as a store takes them. */
  async seriesUnits(query: { length: number; unit?: Unit; ending_at?: string }, unit: Unit = query.unit ?? 'day'): Promise<SeriesUnits> {
    return { unit, zone: await this.zone(), list: await this.units(query, unit) };
  }

  /** `app_id` must name an app of the workspace when the workspace lists its apps. */
  async checkApp(appId: string | undefined): Promise<void> {
    if (appId === undefined) return;
    const apps = (await this.getWorkspace()).apps ?? [];
    if (apps.length > 0 && !apps.some((a) => a.id === appId)) {
      throw new ApiError(400, `app_id ${appId} does not name an app of this workspace`);
    }
  }

  /** The segment `segment_id` names (its filter), or undefined when no segment_id is given. */
  async checkSegment(segmentId: string | undefined, param = 'segment_id'): Promise<SegmentDefinition | undefined> {
    if (segmentId === undefined) return undefined;
    return findSegment(await this.getWorkspace(), segmentId, param);
  }
}

export function checkTimeZone(zone: unknown): string | undefined {
  if (zone === undefined) return undefined;
  if (typeof zone !== 'string' || !isValidTimeZone(zone)) {
    throw badRequest(`time_zone must be an IANA time zone name such as America/New_York (got ${JSON.stringify(zone)})`);
  }
  return zone;
}

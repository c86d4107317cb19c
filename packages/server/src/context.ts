import type { Store, Workspace } from '@brazen/store';
import { dayNumber, isValidTimeZone, parseIsoInstant, seriesUnits, type SeriesUnit, type Unit } from '@brazen/analytics';
import { ApiError, badRequest } from './errors.ts';
import { findSegment, type SegmentDefinition } from './segment-definitions.ts';

/** What every route may use: the store, the clock, and the workspace definitions (cached). */
export class ApiContext {
  private workspace: Workspace | undefined;
  private loadedAt = 0;

  constructor(
    readonly store: Store,
    /** Epoch milliseconds. */
    readonly now: () => number,
  ) {}

  async getWorkspace(): Promise<Workspace> {
    // Several servers may share a store: definitions are re-read every few seconds.
    if (!this.workspace || Date.now() - this.loadedAt > 5_000) {
      this.workspace = await this.store.getWorkspace();
      this.loadedAt = Date.now();
    }
    return this.workspace;
  }

  async putWorkspace(ws: Workspace): Promise<void> {
    await this.store.putWorkspace(ws);
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

  /** The units of a series request and the window a store reads for them (with the units' local
   * day numbers when they are days, so that the store can read its daily totals). */
  async window(query: { length: number; unit?: Unit; ending_at?: string }, unit: Unit = query.unit ?? 'day'): Promise<{
    units: SeriesUnit[];
    range: { from: number; to: number; unitStarts: number[]; unitDays?: { zone: string; days: number[] } };
  }> {
    const units = await this.units(query, unit);
    const zone = await this.zone();
    return {
      units,
      range: {
        from: units[0].start,
        to: units[units.length - 1].end,
        unitStarts: units.map((u) => u.start),
        unitDays: unit === 'day' ? { zone, days: units.map((u) => dayNumber(u.time)) } : undefined,
      },
    };
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

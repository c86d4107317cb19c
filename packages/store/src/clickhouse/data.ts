/** One workspace's records and figures in ClickHouse (the port's AnalyticsData). */
import type { SegmentFilter } from '@brazen/analytics';
import type {
  ActivityQuery, AnalyticsData, CounterName, CounterQuery, CurrentsBody, UnitTotals,
} from '../ports.ts';
import type {
  CardStatRow, CardStatsQuery, ConversionStatRow, MessageSource, MessageStatRow, MessageStatsQuery, ReceiptSpan, SeriesDays,
} from '../campaign-types.ts';
import type { ExportProfiles, ProfileOptions, SegmentInstant, UserIdKind } from '../segment-types.ts';
import type { CurrentsResult, CustomAttributeSample, TrackBatch, TrackResult } from '../types.ts';
import type { ClickHouseCatalog } from './catalog.ts';
import { unavailableWhenDown, type EngineContext } from './context.ts';
import { Ingestion } from './ingest.ts';
import { activitySeries, attributeSamples, counterSeries, hasName, names, recordCount } from './series.ts';
import { cardEngagement, conversions, engagementDays, engagementStats, receipts } from './campaigns.ts';
import { dropExportMembers, findUsers, openExportProfiles, snapshotExportMembers, userProfiles } from './profiles.ts';
import { memberTotals, sizes } from './segments.ts';

export class ClickHouseData implements AnalyticsData {
  private readonly ingestion: Ingestion;

  constructor(
    private readonly ctx: EngineContext,
    private readonly ws: string,
    private readonly catalog: ClickHouseCatalog,
  ) {
    this.ingestion = new Ingestion(ctx, ws, catalog.writeLease, () => catalog.writeState());
  }

  /** A call of the port: unavailable once the store is closed or when ClickHouse cannot be reached. */
  private call<T>(work: () => Promise<T>): Promise<T> {
    return unavailableWhenDown(this.ctx, work);
  }

  /** Resolves once the writes pushed so far are stored. */
  idle(): Promise<void> {
    return this.ingestion.idle();
  }

  ingestCurrents(body: CurrentsBody): Promise<CurrentsResult> {
    return this.call(async () => this.ingestion.ingestCurrents(body));
  }

  track(batch: TrackBatch): Promise<TrackResult> {
    return this.call(async () => this.ingestion.track(batch));
  }

  recordCount(): Promise<number> {
    return this.call(async () => recordCount(this.ctx, this.ws));
  }

  counterSeries(q: CounterQuery): Promise<UnitTotals[]> {
    return this.call(async () => counterSeries(this.ctx, this.ws, q));
  }

  activitySeries(q: ActivityQuery): Promise<number[]> {
    return this.call(async () => activitySeries(this.ctx, this.ws, async () => (await this.catalog.activityState()).gen, q));
  }

  names(kind: CounterName, offset: number, limit: number): Promise<string[]> {
    return this.call(async () => names(this.ctx, this.ws, kind, offset, limit));
  }

  /** Names found recorded: a name once recorded stays so (records are never taken away), so a
   * series of a name asked again needs no second query for it. */
  private readonly recordedNames = new Set<string>();

  hasName(kind: CounterName, name: string): Promise<boolean> {
    const key = `${kind}\u0000${name}`;
    if (this.recordedNames.has(key)) return Promise.resolve(true);
    return this.call(async () => {
      const found = await hasName(this.ctx, this.ws, kind, name);
      if (found && this.recordedNames.size < 100_000) this.recordedNames.add(key);
      return found;
    });
  }

  customAttributeSamples(): Promise<CustomAttributeSample[]> {
    return this.call(async () => attributeSamples(this.ctx, this.ws));
  }

  messageStats(queries: MessageStatsQuery[]): Promise<MessageStatRow[][]> {
    return this.call(async () => engagementStats(this.ctx, this.ws, await this.catalog.getWorkspace(), queries));
  }

  conversionStats(queries: MessageStatsQuery[]): Promise<ConversionStatRow[][]> {
    return this.call(async () => conversions(this.ctx, this.ws, await this.catalog.getWorkspace(), queries));
  }

  receiptSpan(src: MessageSource, obj: string, send?: string): Promise<ReceiptSpan> {
    return this.call(async () => receipts(this.ctx, this.ws, src, obj, send));
  }

  seriesDays(src: MessageSource, obj: string, scope: string): Promise<SeriesDays> {
    return this.call(async () => engagementDays(this.ctx, this.ws, await this.catalog.getWorkspace(), src, obj, scope));
  }

  cardStats(q: CardStatsQuery): Promise<CardStatRow[]> {
    return this.call(async () => cardEngagement(this.ctx, this.ws, q));
  }

  segmentSizes(filter: SegmentFilter | undefined, instants: SegmentInstant[]): Promise<number[]> {
    return this.call(async () => sizes(this.ctx, this.ws, filter, instants));
  }

  segmentCounterSeries(q: CounterQuery, filter: SegmentFilter | undefined, at: number): Promise<UnitTotals[]> {
    return this.call(async () => memberTotals(this.ctx, this.ws, q, filter, at));
  }

  findUsers(kind: UserIdKind, values: string[]): Promise<Map<string, string[]>> {
    return this.call(async () => findUsers(this.ctx, this.ws, kind, values));
  }

  userProfiles(brazeIds: string[], options: ProfileOptions): Promise<string[]> {
    return this.call(async () => userProfiles(this.ctx, this.ws, await this.catalog.getWorkspace(), brazeIds, options));
  }

  snapshotExportMembers(jobId: string, filter: SegmentFilter | undefined, at: number): Promise<number> {
    return this.call(async () => snapshotExportMembers(this.ctx, this.ws, jobId, filter, at));
  }

  openExportProfiles(jobId: string, options: ProfileOptions): Promise<ExportProfiles> {
    return this.call(async () => openExportProfiles(this.ctx, this.ws, await this.catalog.getWorkspace(), jobId, options));
  }

  dropExportMembers(jobId: string): Promise<void> {
    return this.call(async () => dropExportMembers(this.ctx, this.ws, jobId));
  }
}

import type * as T from './contract.ts';
import type { EndpointName, ParamsOf, ResponseOf } from './endpoints.ts';
import { BrazeError } from './errors.ts';

/** The series endpoints and the most units one request may ask for. */
export const SERIES = {
  kpiMauDataSeries: 100,
  kpiDauDataSeries: 100,
  kpiNewUsersDataSeries: 100,
  kpiUninstallsDataSeries: 100,
  sessionsDataSeries: 100,
  eventsDataSeries: 100,
  purchasesRevenueSeries: 100,
  purchasesQuantitySeries: 100,
  segmentsDataSeries: 100,
  campaignsDataSeries: 100,
  sendsDataSeries: 100,
  feedDataSeries: 100,
  canvasDataSeries: 14,
} as const satisfies Partial<Record<EndpointName, number>>;

export type SeriesName = keyof typeof SERIES;

/** What each series yields, point by point, oldest first. */
export interface SeriesPoints {
  kpiMauDataSeries: T.KpiMauDataSeriesResponse['data'][number];
  kpiDauDataSeries: T.KpiDauDataSeriesResponse['data'][number];
  kpiNewUsersDataSeries: T.KpiNewUsersDataSeriesResponse['data'][number];
  kpiUninstallsDataSeries: T.KpiUninstallsDataSeriesResponse['data'][number];
  sessionsDataSeries: T.SessionsDataSeriesResponse['data'][number];
  eventsDataSeries: T.EventsDataSeriesResponse['data'][number];
  purchasesRevenueSeries: T.RevenueSeriesResponse['data'][number];
  purchasesQuantitySeries: T.QuantitySeriesResponse['data'][number];
  segmentsDataSeries: T.SegmentsDataSeriesResponse['data'][number];
  campaignsDataSeries: T.MessageSeriesPoint;
  sendsDataSeries: T.MessageSeriesPoint;
  feedDataSeries: T.FeedDataSeriesResponse['data'][number];
  canvasDataSeries: T.CanvasStatsPoint;
}

/** The endpoint's parameters with `length` any number of units (`starting_at` is not used). */
export type SeriesParams<N extends SeriesName> = Omit<ParamsOf<N>, 'length' | 'starting_at'> & { length: number };

type Fetch = <N extends SeriesName>(name: N, params: ParamsOf<N>) => Promise<ResponseOf<N>>;

const HOUR = 3_600_000;
const DAY = 86_400_000;

const pointsOf = (name: SeriesName, answer: unknown): Array<{ time: string }> =>
  name === 'canvasDataSeries' ? (answer as T.CanvasDataSeriesResponse).data.stats : (answer as { data: Array<{ time: string }> }).data;

/**
 * A series of any length, oldest point first, from requests of at most 100 units (14 days for a
 * Canvas). The newest window is asked first, as given, to learn the label of its oldest unit; the
 * older windows are then asked oldest first, each ending where the next begins, and each is
 * checked to end on the unit expected, so a seam can never drop or repeat a unit.
 *
 * Windows end at local noon of their last day (`2024-03-01T12:00:00`, no offset: the workspace's
 * day whatever its time zone), or in the middle of their last hour (UTC).
 */
export async function* seriesPoints<N extends SeriesName>(fetchWindow: Fetch, name: N, params: SeriesParams<N>): AsyncGenerator<SeriesPoints[N]> {
  const max: number = SERIES[name];
  const total = params.length;
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`length must be a positive integer; got ${total}`);
  const ask = (length: number, ending_at: string | undefined) =>
    fetchWindow(name, { ...params, length, ...(ending_at === undefined ? {} : { ending_at }) } as unknown as ParamsOf<N>);

  const newest = pointsOf(name, await ask(Math.min(total, max), (params as { ending_at?: string }).ending_at));
  if (total > max && newest.length > 0) {
    const hours = (params as { unit?: string }).unit === 'hour';
    const start = unitStart(newest[0].time, hours);
    const step = hours ? HOUR : DAY;
    // The older windows, newest to oldest, each ending one unit before the one after it begins.
    const older = total - newest.length;
    const windows: Array<{ end: number; length: number }> = [];
    for (let done = 0; done < older; done += max) {
      windows.push({ end: start - (1 + done) * step, length: Math.min(max, older - done) });
    }
    for (const window of windows.reverse()) {
      const points = pointsOf(name, await ask(window.length, endingAt(window.end, hours)));
      const last = points[points.length - 1];
      if (!last || unitStart(last.time, hours) !== window.end || points.length !== window.length) {
        throw new BrazeError(
          `${name}: the window asked to end on ${label(window.end, hours)} with ${window.length} units ended on ` +
            `${last?.time ?? 'nothing'} with ${points.length}; the series cannot be stitched`,
        );
      }
      yield* points as SeriesPoints[N][];
    }
  }
  yield* newest as SeriesPoints[N][];
}

/** Start of a unit as a number: UTC midnight of the day label, or the instant of the hour label. */
function unitStart(time: string, hours: boolean): number {
  if (hours) return Date.parse(time);
  return Date.UTC(Number(time.slice(0, 4)), Number(time.slice(5, 7)) - 1, Number(time.slice(8, 10)));
}

const label = (start: number, hours: boolean): string => (hours ? new Date(start).toISOString() : new Date(start).toISOString().slice(0, 10));

function endingAt(start: number, hours: boolean): string {
  return hours ? new Date(start + HOUR / 2).toISOString() : `${label(start, false)}T12:00:00`;
}

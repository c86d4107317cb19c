import { binIntoUnits, currencyRates, dayLabel, dayNumber, localDayByBucketOf, type CurrencyRates, type CounterKind } from '@brazen/analytics';
import type { ActivityQuery, CounterName, CounterQuery, UnitTotals } from '../ports.ts';
import { StoreError } from '../errors.ts';
import { checkPage } from '../page.ts';
import type { Workspace } from '../types.ts';
import { ActivityDays, type ActivityTuples } from './activity.ts';
import { DAILY_FROM_USER_DAYS, sessionDaysSql } from './activity-sql.ts';
import * as campaigns from './campaigns.ts';
import { batchCountersSql, compactCountersSql, countersSql, TRACK_EVENTS } from './currents-sql.ts';
import type { Db } from './db.ts';
import type { KeptProfileStore } from './kept-profiles.ts';
import { COUNTER_DAYS_DDL, COUNTERS_DDL } from './schema.ts';
import { int32Columns } from './id-hashes.ts';
import { appendRows, fillTempTable, one, rows } from './sql.ts';

/** The workspace settings the rollups are kept in: its time zone (local days) and currency rates. */
export class WorkspaceSettings {
  zone = 'UTC';
  rates: CurrencyRates = currencyRates(undefined);

  apply(ws: Workspace): void {
    this.zone = ws.time_zone ?? 'UTC';
    this.rates = currencyRates(ws.currency_rates);
  }

  /** The rates as the temp table `rates` that the SQL of a batch joins. */
  async load(db: Db): Promise<void> {
    await fillTempTable(db.writer, 'rates', { currency: 'VARCHAR', usd: 'DOUBLE' },
      [...this.rates]);
  }
}

/** The name or app of a counter row that totals every name or every app. */
const ALL = '\u0001';

/** What a /users/track event adds to the counters (`Ingest.appendEvent` makes it). */
export interface TrackedCount {
  time: number;
  kind: CounterKind;
  /** The event's name or the purchase's product id. */
  name: string;
  /** '' when the event names no app. */
  app: string;
  quantity: number;
  revenue: number;
}

export interface RollupOptions {
  /** The conversion tables are rewritten in time order once they hold this many rows. */
  sortConversionsAt: number;
}

/**
 * The rollups behind the series, maintained from each batch's new records (the temp table `ins`):
 * for Currents in a transaction of their own after the batch's (pending-rollups.ts), for
 * /users/track in the batch's. Session/event/purchase/uninstall counters per 15-minute UTC bucket and per
 * local day, the daily activity (DAU, new users, MAU as a difference array, with the in-memory
 * ActivityIndex of each user's first and last day), and the campaign rollups (campaigns.ts).
 */
export class Rollups {
  private readonly activity = new ActivityDays();

  constructor(
    private readonly db: Db,
    private readonly settings: WorkspaceSettings,
    private readonly kept: KeptProfileStore,
    private readonly options: RollupOptions,
  ) {}

  /** Updates every rollup from the records of the temp table `ins` (`messages`: its rows that may
   * be message engagement, with their payloads, as a query). Runs inside a transaction. */
  async rollUp(messages: string): Promise<void> {
    const { steps } = this.db;
    await steps.time('counters', async () => {
      for (const sql of batchCountersSql('ins', this.settings.zone)) await this.db.writer.run(sql);
      await this.compactCounters();
    });
    await steps.time('campaigns', () => campaigns.updateCampaignRollups(this.db.writer, this.settings.zone, messages, this.options.sortConversionsAt));
    await steps.time('activity', () => this.recordActivity());
  }

  /**
   * Stores a /users/track group's events, custom events and purchases only (the temp table
   * `track_rows`, id hashes not filled), and updates the rollups they feed: the counters from the
   * events as JavaScript has them (`counted`: time, kind, name, app, quantity and revenue of each),
   * appended to both logs with no statement of their own; no session starts, so
   * no activity; no message engagement, so campaign rollups only for conversions, and only when
   * some behaviour is defined. `uids`: the users of the events. Runs inside the group's
   * transaction; leaves `track_rows` empty.
   *
   * (The counters were summed by DuckDB before, in three statements and a fourth to measure the
   * logs: ~40 ms a group of 5,000 objects at 10M events, a fifth of a group's time.)
   */
  async storeTracked(uids: readonly number[], counted: readonly TrackedCount[]): Promise<void> {
    const { steps, writer } = this.db;
    await steps.time('insert events', () => writer.run(`INSERT INTO events SELECT * FROM ${TRACK_EVENTS}`));
    await steps.time('kept profiles', () => this.kept.markStale([...uids]));
    await steps.time('counters', () => this.appendCounters(counted));
    if (campaigns.convertsAnything(writer)) {
      await steps.time('campaigns', async () => {
        await writer.run(`CREATE OR REPLACE TEMP TABLE ins AS SELECT *, 0 AS req FROM ${TRACK_EVENTS}`);
        await campaigns.updateCampaignRollups(writer, this.settings.zone, undefined, this.options.sortConversionsAt);
      });
    }
    await writer.run(`DELETE FROM track_rows`);
  }

  /**
   * The counter rows of `counted`, summed per slot (15-minute bucket, local day), kind, name and
   * app, with the totals over every name and/or app (what the grouping sets of `batchCountersSql`
   * make), appended to both logs. Every row counts as out of time order toward a compaction.
   */
  private async appendCounters(counted: readonly TrackedCount[]): Promise<void> {
    if (counted.length === 0) return;
    const dayOf = localDayByBucketOf(this.settings.zone);
    // Summed per bucket, day, kind, name and app first (a key an event), then each sum is spread over
    // its slot's totals (four keys a table, a sum at a time rather than an event at a time).
    const fine = new Map<string, { bucket: number; day: number; c: TrackedCount; n: number; quantity: number; revenue: number }>();
    for (const c of counted) {
      const bucket = Math.floor(c.time / 900);
      const day = dayOf(c.time);
      const key = `${bucket}\u0000${day}\u0000${c.kind}\u0000${c.name}\u0000${c.app}`;
      const sum = fine.get(key);
      if (sum) {
        sum.n += 1;
        sum.quantity += c.quantity;
        sum.revenue += c.revenue;
      } else fine.set(key, { bucket, day, c, n: 1, quantity: c.quantity, revenue: c.revenue });
    }
    for (const table of ['counters', 'counter_days'] as const) {
      const sums = new Map<string, [number, string, string, string, number, number, number]>();
      for (const { bucket, day, c, n, quantity, revenue } of fine.values()) {
        const slot = table === 'counters' ? bucket : day;
        for (const [name, appId] of [[c.name, c.app], [c.name, ALL], [ALL, c.app], [ALL, ALL]]) {
          const key = `${slot}\u0000${c.kind}\u0000${name}\u0000${appId}`;
          const row = sums.get(key);
          if (row) {
            row[4] += n;
            row[5] += quantity;
            row[6] += revenue;
          } else sums.set(key, [slot, c.kind, name, appId, n, quantity, revenue]);
        }
      }
      await appendRows(this.db.writer, table, ['INTEGER', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'BIGINT', 'BIGINT', 'DOUBLE'], sums.values());
      const log = this.counterLogs[table];
      let latest = log.latest;
      for (const row of sums.values()) latest = Math.max(latest, row[0]);
      this.counterLogs[table] = { rows: log.rows + sums.size, unsorted: log.unsorted + sums.size, latest };
      if (this.counterLogs[table].unsorted < Math.max(20_000, this.counterLogs[table].rows / 2)) continue;
      await this.db.steps.time('counters: compaction (within)', async () => {
        for (const sql of compactCountersSql(table)) await this.db.writer.run(sql);
        await this.measureCounterLog(table);
      });
    }
  }

  /**
   * Per counter log: its rows, its latest slot, and the rows appended since its last compaction to
   * a slot at or before the latest one then (out of time order: rows a compaction could fold or
   * move). Rows appended in time order extend a log that is already in slot order with one row a
   * key, which a compaction would only copy.
   */
  private readonly counterLogs = {
    counters: { rows: 0, latest: -1, unsorted: 0 },
    counter_days: { rows: 0, latest: -1, unsorted: 0 },
  };

  /**
   * Counter logs from before they were logs (a keyed, upserted table), or whose days were counted
   * in another time zone, are rebuilt from the events once.
   */
  async prepareCounters(): Promise<void> {
    const meta = async (key: string) => (await one<{ value: string }>(this.db.writer, `SELECT value FROM meta WHERE key = $key`, { key }))?.value;
    if ((await meta('counters_layout')) !== 'log') {
      await this.db.transaction(async () => {
        await this.rebuildCounters('counters');
        await this.rebuildCounters('counter_days');
        await this.db.writer.run(`INSERT OR REPLACE INTO meta VALUES ('counters_layout', 'log')`);
      });
    } else if ((await meta('counter_days_zone')) !== this.settings.zone) {
      await this.db.transaction(() => this.rebuildCounters('counter_days'));
    }
    for (const table of ['counters', 'counter_days'] as const) await this.measureCounterLog(table);
  }

  private async measureCounterLog(table: 'counters' | 'counter_days'): Promise<void> {
    const slot = table === 'counters' ? 'bucket' : 'day';
    const r = await one<{ n: number; latest: number | null }>(this.db.writer, `SELECT count(*)::DOUBLE AS n, max(${slot})::DOUBLE AS latest FROM ${table}`);
    this.counterLogs[table] = { rows: r?.n ?? 0, latest: r?.latest ?? -1, unsorted: 0 };
  }

  private async rebuildCounters(table: 'counters' | 'counter_days'): Promise<void> {
    await this.db.writer.run(`DROP TABLE IF EXISTS ${table}`);
    await this.db.writer.run(table === 'counters' ? COUNTERS_DDL : COUNTER_DAYS_DDL);
    await this.db.writer.run(countersSql('events', table, this.settings.zone));
    for (const sql of compactCountersSql(table)) await this.db.writer.run(sql);
    if (table === 'counter_days') await this.db.writer.run(`INSERT OR REPLACE INTO meta VALUES ('counter_days_zone', $zone)`, { zone: this.settings.zone });
    await this.measureCounterLog(table);
  }

  /**
   * Folds a counter log (sums each key's deltas, rewrites it in slot order) once the rows appended
   * out of time order since its last compaction outnumber half of it, so each such row is rewritten
   * about twice in all and a read sums few rows a key. A log fed in time order is never rewritten
   * (on 10M events in time order it was, at each doubling: ~110 ms a batch of 100k, for nothing).
   * Reads the batch's counter rows from `counter_rows`.
   */
  private async compactCounters(): Promise<void> {
    const logs = this.counterLogs;
    const r = await one<{ n: number; b: number; bl: number | null; d: number; dl: number | null; bn: number; dn: number }>(
      this.db.writer,
      `SELECT count(*)::DOUBLE AS n, count(*) FILTER (WHERE bucket <= $b)::DOUBLE AS b, max(bucket)::DOUBLE AS bl,
              count(*) FILTER (WHERE day <= $d)::DOUBLE AS d, max(day)::DOUBLE AS dl,
              (SELECT count(*) FROM counters)::DOUBLE AS bn, (SELECT count(*) FROM counter_days)::DOUBLE AS dn
       FROM counter_rows`,
      { b: logs.counters.latest, d: logs.counter_days.latest },
    );
    if (!r) return;
    const seen = { counters: [r.bn, r.b, r.bl], counter_days: [r.dn, r.d, r.dl] } as const;
    for (const table of ['counters', 'counter_days'] as const) {
      const [rows, unsorted, latest] = seen[table];
      const log = logs[table];
      this.counterLogs[table] = { rows, unsorted: log.unsorted + unsorted, latest: Math.max(log.latest, latest ?? -1) };
      if (this.counterLogs[table].unsorted < Math.max(20_000, rows / 2)) continue;
      for (const sql of compactCountersSql(table)) await this.db.writer.run(sql);
      await this.measureCounterLog(table);
    }
  }

  /** The batch's active days (session starts of `ins`) into `user_days` and the `daily` rollup. */
  private async recordActivity(): Promise<void> {
    const { writer } = this.db;
    // Read before the batch's days are written: the index is of what is committed, as when read at open.
    if (!this.activityLoaded) await this.loadActivity();
    const apps = await rows<{ app: string }>(writer, `SELECT DISTINCT app_id AS app FROM ins WHERE category = 'session_start' AND app_id IS NOT NULL`);
    await this.scopeNumbers(['', ...apps.map((a) => a.app)]);
    // Numbered in (scope, user, day) order (in a transaction, rowids of new rows are no positions).
    await writer.run(`CREATE OR REPLACE TEMP TABLE session_days AS
      SELECT (row_number() OVER (ORDER BY n.n, d.uid, d.day) - 1)::INTEGER AS i, n.n AS s, d.scope, d.uid, d.day
      FROM (${sessionDaysSql('ins', this.settings.zone)}) d JOIN activity_scopes n USING (scope)`);
    const [scope, uid, day] = await int32Columns(writer, `SELECT s, uid, day FROM session_days ORDER BY i`, 3);
    if (uid.length === 0) return;
    const tuples: ActivityTuples = { scope, uid, day };
    const needed = this.activity.needHistory(tuples);
    const history = new Map<number, number[]>();
    if (needed.length > 0) {
      await fillTempTable(writer, 'hist_req', { scope: 'VARCHAR', uid: 'INTEGER', start: 'INTEGER' },
        needed.map((start) => [this.activity.scopeName(scope[start]), uid[start], start]));
      const found = (
        await writer.runAndReadAll(`SELECT h.start, list(d.day ORDER BY d.day) FROM user_days d JOIN hist_req h USING (scope, uid) GROUP BY ALL`)
      ).getRowsJS() as Array<[number, number[]]>;
      for (const [start, days] of found) history.set(start, days.map(Number));
    }
    const change = this.activity.change(tuples, (start) => history.get(start) ?? []);
    if (change.newDays === 'all') {
      await writer.run(`INSERT INTO user_days SELECT scope, uid, day FROM session_days`);
    } else if (change.newDays.length > 0) {
      await fillTempTable(writer, 'new_days', { i: 'INTEGER' }, Array.from(change.newDays, (i) => [i]));
      await writer.run(`INSERT INTO user_days SELECT scope, uid, day FROM session_days WHERE i IN (SELECT i FROM new_days)`);
    }
    if (change.deltas.length > 0) {
      await fillTempTable(
        writer,
        'daily_delta',
        { scope: 'VARCHAR', day: 'INTEGER', dau: 'BIGINT', new_users: 'BIGINT', mau_diff: 'BIGINT' },
        change.deltas.map((d) => [d.scope, d.day, d.dau, d.newUsers, d.mauDiff]),
      );
      await writer.run(
        `INSERT INTO daily SELECT * FROM daily_delta ON CONFLICT DO UPDATE SET
           dau = dau + EXCLUDED.dau, new_users = new_users + EXCLUDED.new_users, mau_diff = mau_diff + EXCLUDED.mau_diff`,
      );
    }
    this.db.afterCommit(change.commit);
  }

  /** Numbers the scopes (made on first sight) and fills the temp table `activity_scopes` with them
   * (every time: a few rows, and a table made in a transaction that rolled back is gone while the
   * numbers stay). */
  private async scopeNumbers(scopes: string[]): Promise<void> {
    for (const scope of scopes) this.activity.scopeNumber(scope);
    await fillTempTable(this.db.writer, 'activity_scopes', { scope: 'VARCHAR', n: 'INTEGER' }, this.activity.scopeList.map((scope, n) => [scope, n]));
  }

  /** Whether `activity` holds every user's first and last active days (read on first use). */
  private activityLoaded = false;

  /** The index of active days is read when a write first needs it, not at open: reading it is a
   * GROUP BY over every user's active days (18.4M rows for the 1M-user demo), which took the
   * process from ~95 to ~430 MB of RSS (DuckDB's hash table and its result, freed but kept by the
   * allocator), and a server that only answers reads (a mirror, an export after a load) never needs it. */
  deferActivity(): void {
    this.activity.clear();
    this.activityLoaded = false;
  }

  async loadActivity(): Promise<void> {
    this.deferActivity();
    // Scopes are few and users many (2M rows for the 1M-user demo): each row names its scope by
    // number, and the numbers are read as columns.
    await this.scopeNumbers(['', ...(await rows<{ scope: string }>(this.db.writer, `SELECT DISTINCT scope FROM user_days`)).map((r) => r.scope)]);
    const [n, uid, first, last] = await int32Columns(
      this.db.writer,
      `SELECT s.n, d.uid, min(d.day)::INTEGER AS first, max(d.day)::INTEGER AS last
       FROM user_days d JOIN activity_scopes s ON s.scope = d.scope GROUP BY s.n, d.uid`,
      4,
    );
    for (let i = 0; i < uid.length; i++) this.activity.load(n[i], uid[i], first[i], last[i]);
    this.activityLoaded = true;
  }

  /** Recomputes the day-based rollups in the current time zone from the stored session starts. */
  async rebuildActivity(): Promise<void> {
    await this.db.transaction(async () => {
      await this.db.writer.run(`DELETE FROM user_days`);
      await this.db.writer.run(`DELETE FROM daily`);
      await this.db.writer.run(`INSERT INTO user_days ${sessionDaysSql('events', this.settings.zone)}`);
      await this.db.writer.run(`INSERT INTO daily ${DAILY_FROM_USER_DAYS}`);
      await this.db.writer.run(
        `INSERT OR REPLACE INTO meta VALUES ('activity_zone', $zone)`,
        { zone: this.settings.zone },
      );
      await this.rebuildCounters('counter_days');
    });
    await this.loadActivity();
  }

  // ---------------------------------------------------------------- series read from the rollups

  async counterSeries(q: CounterQuery): Promise<UnitTotals[]> {
    // Rows of every name or every app are kept as totals (chr(1)): one row a slot to read.
    const name = q.name ?? (q.kind === 'session' || q.kind === 'uninstall' ? '' : ALL);
    const app = q.appId ?? ALL;
    const units = q.units.list;
    if (units.length === 0) return [];
    // Days of the zone the daily counters are kept in are read from them, a row a day.
    if (q.units.unit === 'day' && q.units.zone === this.settings.zone) {
      const days = units.map((u) => dayNumber(u.time));
      const found = (
        await this.db.reader.runAndReadAll(
          `SELECT day, sum(n)::DOUBLE, sum(quantity)::DOUBLE, sum(revenue)::DOUBLE FROM counter_days
           WHERE kind = $kind AND name = $name AND app_id = $app AND day BETWEEN $from AND $to GROUP BY day`,
          { kind: q.kind, name, app, from: days[0], to: days[days.length - 1] },
        )
      ).getRows() as Array<[number, number, number, number]>;
      const byDay = new Map(found.map(([day, count, quantity, revenue]) => [day, { count, quantity, revenue }]));
      return days.map((day) => byDay.get(day) ?? { count: 0, quantity: 0, revenue: 0 });
    }
    const from = units[0].start;
    const to = units[units.length - 1].end;
    const params: Record<string, unknown> = { kind: q.kind, name, app, from: Math.floor(from / 900), to: Math.ceil(to / 900) };
    const filters = `kind = $kind AND name = $name AND app_id = $app AND bucket >= $from AND bucket < $to`;
    // Hour units read at most 400 buckets; binning them in JavaScript beats joining to the units in SQL.
    const sql = `SELECT bucket, sum(n)::DOUBLE, sum(quantity)::DOUBLE, sum(revenue)::DOUBLE FROM counters
       WHERE ${filters} GROUP BY bucket ORDER BY bucket`;
    const found = (await this.db.reader.runAndReadAll(sql, params as never)).getRows() as Array<[number, number, number, number]>;
    return totalsPerUnit(units, found.map(([bucket, count, quantity, revenue]) => ({ start: bucket * 900, count, quantity, revenue })));
  }

  async activitySeries(q: ActivityQuery): Promise<number[]> {
    if (q.days.length === 0) return [];
    const from = dayNumber(q.days[0]);
    const to = dayNumber(q.days[q.days.length - 1]);
    const scope = q.appId ?? '';
    const out = new Map<string, number>();
    if (q.metric === 'mau') {
      const base = await one<{ m: number | null }>(
        this.db.reader,
        `SELECT sum(mau_diff)::DOUBLE AS m FROM daily WHERE scope = $scope AND day < $from`,
        { scope, from },
      );
      const diffs = (
        await this.db.reader.runAndReadAll(
          `SELECT day, mau_diff::DOUBLE FROM daily WHERE scope = $scope AND day BETWEEN $from AND $to`,
          { scope, from, to },
        )
      ).getRows() as Array<[number, number]>;
      const byDay = new Map(diffs);
      let running = base?.m ?? 0;
      for (let day = from; day <= to; day++) {
        running += byDay.get(day) ?? 0;
        out.set(dayLabel(day), running);
      }
    } else {
      const column = q.metric === 'dau' ? 'dau' : 'new_users';
      const found = (
        await this.db.reader.runAndReadAll(
          `SELECT day, ${column}::DOUBLE FROM daily WHERE scope = $scope AND day BETWEEN $from AND $to ORDER BY day`,
          { scope, from, to },
        )
      ).getRows() as Array<[number, number]>;
      for (const [day, value] of found) out.set(dayLabel(day), value);
    }
    return q.days.map((day) => out.get(day) ?? 0);
  }


  async hasName(kind: CounterName, name: string): Promise<boolean> {
    const hit = await one<{ n: number }>(
      this.db.reader,
      `SELECT count(*)::INTEGER AS n FROM (SELECT 1 FROM counter_days WHERE kind = $kind AND name = $name LIMIT 1)`,
      { kind, name },
    );
    return (hit?.n ?? 0) > 0;
  }

  /** Names ever counted (custom events or products), in code-point order. */
  async names(kind: CounterName, offset: number, limit: number): Promise<string[]> {
    checkPage(offset, limit);
    const found = (
      await this.db.reader.runAndReadAll(
        `SELECT DISTINCT name FROM counter_days WHERE kind = $kind AND name <> chr(1) ORDER BY name LIMIT $limit OFFSET $offset`,
        { kind, limit: BigInt(limit), offset: BigInt(offset) },
      )
    ).getRows() as Array<[string]>;
    return found.map(([name]) => name);
  }
}

/** Totals of 15-minute buckets (ascending) per unit of a series. */
export function totalsPerUnit(units: CounterQuery['units']['list'], buckets: Array<{ start: number } & UnitTotals>): UnitTotals[] {
  const count = binIntoUnits(units, buckets, (b) => b.count);
  const quantity = binIntoUnits(units, buckets, (b) => b.quantity);
  const revenue = binIntoUnits(units, buckets, (b) => b.revenue);
  return units.map((_, i) => ({ count: count[i], quantity: quantity[i], revenue: revenue[i] }));
}

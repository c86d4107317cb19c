import { ActivityIndex, binIntoUnits, currencyRates, dayLabel, dayNumber, type ActivityTuple, type CurrencyRates } from '@brazen/analytics';
import type { ActivityQuery, CounterName, CounterQuery, UnitTotals } from '../ports.ts';
import { StoreError } from '../errors.ts';
import { checkPage } from '../page.ts';
import type { Workspace } from '../types.ts';
import { DAILY_FROM_USER_DAYS, sessionDaysSql } from './activity-sql.ts';
import * as campaigns from './campaigns.ts';
import { compactCountersSql, countersSql } from './currents-sql.ts';
import type { Db } from './db.ts';
import type { KeptProfileStore } from './kept-profiles.ts';
import { COUNTER_DAYS_DDL, COUNTERS_DDL } from './schema.ts';
import { appendRows, fillTempTable, one, rows, tuplesOf } from './sql.ts';

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

export interface RollupOptions {
  /** The conversion tables are rewritten in time order once they hold this many rows. */
  sortConversionsAt: number;
}

/**
 * The rollups behind the series, maintained from each batch's new records in the batch's transaction
 * (the temp table `ins`): session/event/purchase/uninstall counters per 15-minute UTC bucket and per
 * local day, the daily activity (DAU, new users, MAU as a difference array, with the in-memory
 * ActivityIndex of each user's first and last day), and the campaign rollups (campaigns.ts).
 */
export class Rollups {
  private readonly activity = new ActivityIndex();

  constructor(
    private readonly db: Db,
    private readonly settings: WorkspaceSettings,
    private readonly kept: KeptProfileStore,
    private readonly options: RollupOptions,
  ) {}

  /** Stores this batch's new events (`insertEvents` copies them into `events`) and updates every
   * rollup from the `ins` table (`messages`: whether it may hold message engagement events). Runs
   * inside the batch's transaction. */
  async storeInserted(insertEvents: string, messages = true): Promise<number> {
    const count = await one<{ n: number }>(this.db.writer, `SELECT count(*)::INTEGER AS n FROM ins`);
    const n = count?.n ?? 0;
    if (n === 0) return 0;
    const { steps } = this.db;
    await steps.time('insert events', () => this.db.writer.run(insertEvents));
    await steps.time('kept profiles', () => this.kept.markInsertedStale());
    await steps.time('counters', async () => {
      await this.db.writer.run(countersSql('ins', 'counters', this.settings.zone));
      await this.db.writer.run(countersSql('ins', 'counter_days', this.settings.zone));
      await this.compactCounters();
    });
    await steps.time('campaigns', () => campaigns.updateCampaignRollups(this.db.writer, this.settings.zone, messages, this.options.sortConversionsAt));
    await steps.time('activity', async () => {
      const tuples = tuplesOf<[string, number, number]>(await this.db.writer.runAndReadAll(sessionDaysSql('ins', this.settings.zone)));
      if (tuples.length > 0) await this.recordActivity(tuples.map(([scope, uid, day]) => ({ scope, uid, day })));
    });
    return n;
  }

  /** Rows of each counter log at its last compaction. */
  private readonly countersCompacted = { counters: 0, counter_days: 0 };

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
    for (const table of ['counters', 'counter_days'] as const) {
      this.countersCompacted[table] = await this.rowCount(table);
    }
  }

  private async rowCount(table: 'counters' | 'counter_days'): Promise<number> {
    return (await one<{ n: number }>(this.db.writer, `SELECT count(*)::DOUBLE AS n FROM ${table}`))?.n ?? 0;
  }

  private async rebuildCounters(table: 'counters' | 'counter_days'): Promise<void> {
    await this.db.writer.run(`DROP TABLE IF EXISTS ${table}`);
    await this.db.writer.run(table === 'counters' ? COUNTERS_DDL : COUNTER_DAYS_DDL);
    await this.db.writer.run(countersSql('events', table, this.settings.zone));
    for (const sql of compactCountersSql(table)) await this.db.writer.run(sql);
    if (table === 'counter_days') await this.db.writer.run(`INSERT OR REPLACE INTO meta VALUES ('counter_days_zone', $zone)`, { zone: this.settings.zone });
    this.countersCompacted[table] = await this.rowCount(table);
  }

  /**
   * Folds a counter log once the deltas appended since its last compaction outnumber the rows it
   * had then (so each row is rewritten about twice in all, and a read sums few rows a key).
   */
  private async compactCounters(): Promise<void> {
    for (const table of ['counters', 'counter_days'] as const) {
      const size = await this.rowCount(table);
      if (size - this.countersCompacted[table] < Math.max(20_000, this.countersCompacted[table])) continue;
      for (const sql of compactCountersSql(table)) await this.db.writer.run(sql);
      this.countersCompacted[table] = await this.rowCount(table);
    }
  }

  private async recordActivity(tuples: ActivityTuple[]): Promise<void> {
    const plan = this.activity.plan(tuples);
    const history = new Map<string, number[]>();
    if (plan.needHistory.length > 0) {
      await fillTempTable(this.db.writer, 'hist_req', { scope: 'VARCHAR', uid: 'INTEGER' }, plan.needHistory.map((h) => [h.scope, h.uid]));
      const found = (
        await this.db.writer.runAndReadAll(
          `SELECT d.scope, d.uid, list(d.day ORDER BY d.day) FROM user_days d JOIN hist_req h USING (scope, uid) GROUP BY ALL`,
        )
      ).getRowsJS() as Array<[string, number, number[]]>;
      for (const [scope, uid, days] of found) history.set(`${scope}\u0000${uid}`, days.map(Number));
    }
    const change = this.activity.change(tuples, (scope, uid) => history.get(`${scope}\u0000${uid}`) ?? []);
    if (change.newDays.length > 0) {
      await appendRows(this.db.writer, 'user_days', ['VARCHAR', 'INTEGER', 'INTEGER'], change.newDays.map((t) => [t.scope, t.uid, t.day]));
    }
    if (change.deltas.length > 0) {
      await fillTempTable(
        this.db.writer,
        'daily_delta',
        { scope: 'VARCHAR', day: 'INTEGER', dau: 'BIGINT', new_users: 'BIGINT', mau_diff: 'BIGINT' },
        change.deltas.map((d) => [d.scope, d.day, d.dau, d.newUsers, d.mauDiff]),
      );
      await this.db.writer.run(
        `INSERT INTO daily SELECT * FROM daily_delta ON CONFLICT DO UPDATE SET
           dau = dau + EXCLUDED.dau, new_users = new_users + EXCLUDED.new_users, mau_diff = mau_diff + EXCLUDED.mau_diff`,
      );
    }
    this.db.afterCommit(change.commit);
  }

  async loadActivity(): Promise<void> {
    this.activity.clear();
    // Scopes are few and users many (2M rows for the 1M-user demo): each row names its scope by
    // number, since reading a text per row costs seconds at that size.
    const scopes = (await rows<{ scope: string }>(this.db.writer, `SELECT DISTINCT scope FROM user_days`)).map((r) => r.scope);
    await fillTempTable(this.db.writer, 'scope_numbers', { scope: 'VARCHAR', n: 'INTEGER' }, scopes.map((scope, n) => [scope, n]));
    const reader = await this.db.writer.runAndReadAll(
      `SELECT s.n, d.uid, min(d.day)::INTEGER AS first, max(d.day)::INTEGER AS last
       FROM user_days d JOIN scope_numbers s ON s.scope = d.scope GROUP BY s.n, d.uid`,
    );
    for (const [n, uid, first, last] of tuplesOf<[number, number, number, number]>(reader)) {
      this.activity.load(scopes[n], uid, first, last);
    }
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

import { readFile } from 'node:fs/promises';
import type { DuckDBAppender } from '@duckdb/node-api';
import { attributeIdentity, counterKind, foldAttributeUpdate, identitiesGiven, isLater, lineOfRecord, trackedEvent, UNREADABLE_BODY, unreadableLineMessage, type TrackNaming } from '@brazen/analytics';
import type { AttributeRecord, CurrentsResult, EventRecord } from '../types.ts';
import { StoreError } from '../errors.ts';
import {
  BATCH_ERRORS_SQL, batchSql, DEVICE_IDENTITIES_SQL, EVENTS_FROM_INS_SQL, INS_SQL, REFS_SQL, REQUEST_SPANS_SQL, STAGED_FALLBACK_SQL,
  stageSql, TRACK_ROWS_DDL,
} from './currents-sql.ts';
import { AttributeValues, type WrittenValue } from './attribute-values.ts';
import { StoredIds } from './dedupe.ts';
import type { Db } from './db.ts';
import type { KeptProfileStore } from './kept-profiles.ts';
import type { PendingRollups } from './pending-rollups.ts';
import type { Rollups, TrackedCount, WorkspaceSettings } from './rollups.ts';
import { fillTempTable, one, rows } from './sql.ts';
import type { TrackEntry } from './track-log.ts';
import type { Users } from './users.ts';

/** A Currents body as DuckDB reads it: a file, the store's own copy in its spool folder or the
 * caller's (`CurrentsBody.file`). */
export interface SpooledBody {
  file: string;
  format: 'ndjson' | 'array';
}

/**
 * Storing a batch: Currents bodies (parsed by DuckDB from their files, checked, deduplicated against
 * the stored ids) and /users/track batches (events, purchases, attribute updates), each group in one
 * transaction with every rollup updated from its new records.
 */
export class Ingest {
  /** The sequence number of the last attribute update (breaks ties of time). */
  private attributeSeq = 0;
  private readonly storedIds: StoredIds;
  /** The latest values increments and array edits read. */
  private readonly values: AttributeValues;

  constructor(
    private readonly db: Db,
    private readonly users: Users,
    private readonly rollups: Rollups,
    private readonly kept: KeptProfileStore,
    private readonly settings: WorkspaceSettings,
    private readonly pending: PendingRollups,
  ) {
    this.storedIds = new StoredIds(db);
    this.values = new AttributeValues(db);
  }

  async load(): Promise<void> {
    const max = await one<{ seq: bigint | null }>(this.db.writer, `SELECT max(seq) AS seq FROM attributes`);
    this.attributeSeq = Number(max?.seq ?? 0);
    // A /users/track group's events before they are stored (made here, outside any transaction, and
    // left empty by each group).
    await this.db.writer.run(TRACK_ROWS_DDL);
  }

  /**
   * Stores a group of Currents bodies in one transaction: parsed once (`staged`), checked and typed
   * on narrow columns (`batch`), deduplicated by id hash (`StoredIds`), users found or made, the new
   * records typed once (`ins`) and copied into `events` with their payloads, and their rows left in
   * `pending_rollups` for the rollups, made after the acknowledgement (pending-rollups.ts).
   */
  async storeCurrents(bodies: SpooledBody[]): Promise<CurrentsResult[]> {
    const { steps } = this.db;
    const files = bodies.map((b) => b.file);
    try {
      await steps.time('parse', () => this.db.writer.run(stageSql(files, bodies[0].format)));
    } catch (error) {
      // Only a body DuckDB cannot parse is the sender's fault; running out of memory or a file
      // that cannot be read is the store's, and is reported as it is.
      if (!isMalformedJson(error)) throw error;
      throw new StoreError('invalid_input', await malformedMessage(error));
    }
    const { spans, errors } = await steps.time('validate', async () => {
      await this.db.writer.run(STAGED_FALLBACK_SQL);
      await this.db.writer.run(batchSql(files));
      return {
        spans: await rows<{ req: number; first: number; records: number }>(this.db.writer, REQUEST_SPANS_SQL),
        errors: await rows<{ rn: number; req: number; message: string }>(this.db.writer, BATCH_ERRORS_SQL),
      };
    });
    const first = new Map(spans.map((s) => [s.req, s.first]));
    const reqOf = (rn: number) => spans.find((s) => rn >= s.first && rn < s.first + s.records)!.req;
    const dropped = new Map<number, number>();
    await this.db.transaction(async () => {
      const duplicates = await steps.time('dedupe', () => this.storedIds.duplicates());
      if (duplicates.length > 0) {
        for (const rn of duplicates) dropped.set(reqOf(rn), (dropped.get(reqOf(rn)) ?? 0) + 1);
        await fillTempTable(this.db.writer, 'dropped', { rn: 'BIGINT' }, duplicates.map((rn) => [rn]));
        await this.db.writer.run(`UPDATE batch SET message = 'duplicate' WHERE rn IN (SELECT rn FROM dropped)`);
      }
      await steps.time('users', async () => {
        await this.db.writer.run(REFS_SQL);
        await this.users.createCurrentsUsers();
      });
      await steps.time('assemble', async () => {
        await this.db.writer.run(INS_SQL);
        // `ins` holds what is left to do: the staged rows (the group's every record, whole) go now,
        // so that their memory is free for the insert.
        await this.db.writer.run(`DROP TABLE staged`);
        for (const sql of DEVICE_IDENTITIES_SQL) await this.db.writer.run(sql);
      });
      const stored = spans.reduce((sum, s) => sum + s.records, 0) - errors.length - duplicates.length;
      steps.records += stored;
      if (stored > 0) {
        // The rows go to the end of `events`: their rowids follow those of the rows stored before.
        const lo = Number((await one<{ n: number }>(this.db.writer, `SELECT count(*)::DOUBLE AS n FROM events`))?.n ?? 0);
        const inserted = await steps.time('insert events', () => this.db.writer.run(EVENTS_FROM_INS_SQL));
        const range = [lo, lo + Number(inserted.rowsChanged)] as const;
        await steps.time('kept profiles', () => this.kept.markInsertedStale());
        // The rollups are made after the acknowledgement (pending-rollups.ts), from `ins` as it is now.
        await this.db.writer.run(`INSERT INTO pending_rollups VALUES (${range[0]}, ${range[1]})`);
        await this.storedIds.remember(`SELECT (id_hash >> 32)::UINTEGER, (id_hash & 4294967295)::UINTEGER FROM ins`);
        this.db.afterCommit(() => this.pending.committed(range));
      }
    });
    return bodies.map((_, req) => {
      const records = spans.find((s) => s.req === req)?.records ?? 0;
      const own = errors.filter((e) => e.req === req);
      const duplicates = dropped.get(req) ?? 0;
      return {
        stored: records - own.length - duplicates,
        duplicates,
        errors: own.map((e) => ({ type: 'currents', index: e.rn - first.get(req)!, message: e.message })),
      };
    });
  }

  /**
   * Applies acknowledged /users/track requests (track-log.ts) in one transaction, in their order:
   * each request's attributes, then its events, then its purchases, as if stored one by one; users
   * made take their request's time (`at`). `within` runs inside the transaction (the log's rows of
   * these requests are deleted there).
   */
  async storeTrack(group: readonly TrackEntry[], within: () => Promise<void>): Promise<void> {
    const attributes: AttributeRecord[] = [];
    const events: EventRecord[] = [];
    const namings: TrackNaming[] = [];
    const namingAt: number[] = [];
    const attributeNaming: number[] = [];
    const eventNaming: number[] = [];
    for (const { batch, at } of group) {
      for (const a of batch.attributes) {
        attributeNaming.push(namings.length);
        attributes.push(a);
        namings.push({ user: a.user, create: !a.updateExistingOnly, gives: identitiesGiven(a.values) });
        namingAt.push(at);
      }
      for (const e of [...batch.events, ...batch.purchases]) {
        eventNaming.push(namings.length);
        events.push(e);
        namings.push({ user: e.user, create: true });
        namingAt.push(at);
      }
    }
    const { steps } = this.db;
    await this.db.transaction(async () => {
      const firstNew = this.users.nextUid;
      const uids = await steps.time('track: users', () => this.users.resolveTrackUsers(namings, (i) => namingAt[i]));
      if (events.length > 0) {
        const eventUids = eventNaming.map((i) => uids[i]!);
        const counted: TrackedCount[] = [];
        await steps.time('track: assemble', async () => {
          const app = await this.db.writer.createAppender('track_rows', 'main', 'temp');
          events.forEach((e, i) => counted.push(this.appendEvent(app, e, eventUids[i])));
          app.closeSync();
        });
        // Custom events and purchases only: no message engagement, no session.
        await this.rollups.storeTracked(eventUids, counted);
      }
      await steps.time('track: attributes', () => this.storeAttributes(attributes, attributeNaming.map((i) => uids[i]), firstNew));
      await steps.time('track: log', within);
      steps.records += attributes.length + events.length;
    });
  }

  /** Appends a /users/track event to `track_rows`; returns what it adds to the counters. */
  private appendEvent(app: DuckDBAppender, e: EventRecord, uid: number): TrackedCount {
    const { category, revenue } = trackedEvent(e, this.settings.rates);
    app.appendVarchar(e.id); // hashed by DuckDB as the row goes into events
    app.appendVarchar(e.eventType);
    app.appendVarchar(category);
    app.appendDouble(e.time);
    app.appendInteger(uid);
    appendText(app, e.appId);
    appendText(app, e.name);
    if (e.price == null) app.appendNull();
    else app.appendDouble(e.price);
    appendText(app, e.currency);
    if (e.quantity == null) app.appendNull();
    else app.appendInteger(e.quantity);
    if (revenue == null) app.appendNull();
    else app.appendDouble(revenue);
    app.appendVarchar(JSON.stringify(e.payload));
    app.endRow();
    // A tracked event is a custom event or a purchase: both are counted.
    return { time: e.time, kind: counterKind({ category })!, name: e.name ?? '', app: e.appId ?? '', quantity: e.quantity ?? 1, revenue: revenue ?? 0 };
  }

  /** Stores attribute updates, `uids[i]` the user of `attributes[i]` (none: not stored); users from
   * `firstNew` on were made by this batch and have no stored value to read. */
  private async storeAttributes(attributes: AttributeRecord[], uids: Array<number | undefined>, firstNew: number): Promise<void> {
    const needed: Array<{ a: AttributeRecord; uid: number }> = [];
    // The (uid, name) pairs an increment or array edit of the group reads: only their values are
    // followed through the group (every other value is written and never read here).
    const watched = new Set<string>();
    const stored: Array<readonly [number, string]> = [];
    attributes.forEach((a, i) => {
      const uid = uids[i];
      if (uid === undefined) return;
      needed.push({ a, uid });
      for (const edits of [a.increments, a.arrayEdits]) {
        for (const name of Object.keys(edits ?? {})) {
          watched.add(`${uid}\u0000${name}`);
          if (uid < firstNew) stored.push([uid, name]);
        }
      }
    });
    if (needed.length === 0) return;
    const current = await this.db.steps.time('track: attributes: current values (within)', () => this.values.current(stored));
    const app = await this.db.writer.createAppender('attributes');
    const identities: Array<[string, string, number]> = [];
    const written: WrittenValue[] = [];
    for (const { a, uid } of needed) {
      // The values an update writes, its increments and array edits applied to the values current
      // before it (those written earlier in this batch included).
      for (const [name, value] of foldAttributeUpdate(a, (name) => current.get(`${uid}\u0000${name}`)?.value)) {
        const seq = ++this.attributeSeq;
        const json = JSON.stringify(value);
        app.appendInteger(uid);
        app.appendVarchar(name);
        app.appendVarchar(json);
        app.appendDouble(a.time);
        app.appendBigInt(BigInt(seq));
        app.endRow();
        written.push({ uid, name, json, time: a.time, seq });
        const key = `${uid}\u0000${name}`;
        if (watched.has(key)) {
          const before = current.get(key);
          if (!before || isLater({ time: a.time, seq }, before)) current.set(key, { value, time: a.time, seq });
        }
        const identity = attributeIdentity(String(uid), name, value);
        if (identity) identities.push([identity.kind, identity.value, uid]);
      }
    }
    app.closeSync();
    this.db.afterCommit(() => this.values.written(written));
    await this.kept.markStale(needed.map((n) => n.uid));
    await this.users.appendIdentities(identities);
  }
}

function appendText(app: DuckDBAppender, value: string | null | undefined): void {
  if (value == null) app.appendNull();
  else app.appendVarchar(value);
}

function isMalformedJson(error: unknown): boolean {
  const text = String(error instanceof Error ? error.message : error);
  return /^Invalid Input Error/.test(text) || /JSON/.test(text.split('\n')[0]);
}

/** The sender's words for a body DuckDB cannot parse. DuckDB says `in line N` of record N - 1 (blank
 * lines not counted): the line the sender sees is found in the body. */
async function malformedMessage(error: unknown): Promise<string> {
  const text = String(error instanceof Error ? error.message : error);
  const found = /in file "(.*)", at byte \d+ in line (\d+)/.exec(text);
  if (!found) return UNREADABLE_BODY;
  const line = lineOfRecord(await readFile(found[1]).catch(() => new Uint8Array()), Number(found[2]) - 1);
  return line === undefined ? UNREADABLE_BODY : unreadableLineMessage(line);
}

/**
 * Ingestion into the cluster. Requests are stored in batches (write-queue.ts), one batch of a
 * workspace at a time across every brazen process (the workspace's write lease): that is what lets
 * a batch check which of its records are stored already and make users without racing another
 * process. A batch writes, on each shard, for that shard's users and in this order: users and
 * identities, attributes, activity (days and their deltas), events (and, through the views, their
 * counters). A batch that fails half-way is safe to send again: what a shard already has is found
 * (identities, stored ids, active days) and not written twice.
 */
import type { AttributeEntry, StoredEvent } from '@brazen/analytics';
import type { CurrentsBody } from '../ports.ts';
import { StoreError } from '../errors.ts';
import type { AttributeRecord, CurrentsResult, RejectedObject, TrackBatch, TrackResult, UserRef, Workspace } from '../types.ts';
import { holding } from '../leases.ts';
import { activityRows, writeActivity, type SessionDay } from './activity.ts';
import type { ActivityState } from './catalog.ts';
import type { EngineContext } from './context.ts';
import { storedIds, writeEvents, type EventToStore } from './event-rows.ts';
import { Sequence, UserBook } from './identities.ts';
import {
  attributeIdentity, CurrentsBodyError, currencyRates, currentsBatch, DEVICE_ID_CATEGORIES, identityKeys, localDayOf,
  parseCurrentsBody, trackedEvent, type CurrencyRates,
} from './pending/index.ts';
import { byShard, insertLocal, type TsvValue } from './shards.ts';
import { attributeEntries, LatestAttributes } from './attribute-writes.ts';
import { WriteQueue } from './write-queue.ts';

/** What a batch reads of the workspace, under the lease. */
interface BatchSettings {
  rates: CurrencyRates;
  activity: ActivityState;
}

type WriteRequest = { kind: 'currents'; values: unknown[] } | { kind: 'track'; batch: TrackBatch };
type WriteResult = CurrentsResult | TrackResult;

const DEVICE_CATEGORIES: ReadonlySet<string> = new Set(DEVICE_ID_CATEGORIES);

export class Ingestion {
  private readonly queue = new WriteQueue<WriteRequest, WriteResult>((batch) => this.store(batch), { maxRequests: 64, maxWeight: 500_000 });

  constructor(
    private readonly ctx: EngineContext,
    private readonly ws: string,
    private readonly writeLease: string,
    private readonly writeState: () => Promise<{ doc: Workspace; activity: ActivityState; sequence: number }>,
  ) {}

  ingestCurrents(body: CurrentsBody): Promise<CurrentsResult> {
    if (!(body.bytes instanceof Uint8Array)) return collect(body.bytes).then((bytes) => this.ingestCurrents({ ...body, bytes }));
    let values: unknown[];
    try {
      values = parseCurrentsBody(body.bytes, body.format);
    } catch (error) {
      if (error instanceof CurrentsBodyError) return Promise.reject(new StoreError('invalid_input', error.message));
      return Promise.reject(error);
    }
    return this.queue.push({ kind: 'currents', values }, Math.max(1, values.length)) as Promise<CurrentsResult>;
  }

  track(batch: TrackBatch): Promise<TrackResult> {
    return this.queue.push({ kind: 'track', batch }, batch.attributes.length + batch.events.length + batch.purchases.length || 1) as Promise<TrackResult>;
  }

  /** Resolves once every write pushed so far is stored. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async store(requests: WriteRequest[]): Promise<WriteResult[]> {
    return holding(this.ctx.leases, this.writeLease, async (stillHeld) => {
      const state = await this.writeState();
      const settings: BatchSettings = { rates: currencyRates(state.doc.currency_rates), activity: state.activity };
      const sequence = new Sequence(this.ctx, this.ws, state.sequence);
      const batch = new Batch(this.ctx, this.ws, settings, sequence);
      const results: WriteResult[] = [];
      // Requests of a batch in their order; runs of the same kind are planned together.
      for (const request of requests) {
        results.push(request.kind === 'currents' ? await batch.addCurrents(request.values) : await batch.addTrack(request.batch));
      }
      await batch.write(stillHeld);
      return results;
    }, { purpose: 'storing records' });
  }
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

/** The rows of one batch, planned request by request, then written shard by shard. */
class Batch {
  private readonly book: UserBook;
  private readonly events: EventToStore[] = [];
  private readonly attributes: AttributeEntry[] = [];
  private readonly sessionDays: SessionDay[] = [];
  /** Ids of the batch's Currents records (a later request's record with one is a duplicate). */
  private readonly ids = new Set<string>();
  private readonly dayOf: (time: number) => number;
  private readonly latest: LatestAttributes;

  constructor(
    private readonly ctx: EngineContext,
    private readonly ws: string,
    private readonly settings: BatchSettings,
    private readonly sequence: Sequence,
  ) {
    this.book = new UserBook(ctx, ws, sequence);
    this.latest = new LatestAttributes(ctx, ws);
    this.dayOf = memoizedDayOf(settings.activity.zone);
  }

  async addCurrents(values: unknown[]): Promise<CurrentsResult> {
    const read = currentsBatch(values, this.settings.rates);
    const fresh = read.records.filter(({ record }) => !this.ids.has(record.event.id)).map(({ record }) => record);
    // The stored ids and the users named, side by side (the names of records stored already are
    // looked up too: one round trip fewer).
    const [stored] = await Promise.all([storedIds(this.ctx, this.ws, fresh.map((r) => r.event.id)), this.book.load(UserBook.currentsKeys(fresh))]);
    const toStore = fresh.filter((r) => !stored.has(r.event.id));
    const userOf = this.book.resolveCurrents(toStore);
    for (const record of toStore) {
      const user = userOf(record);
      this.ids.add(record.event.id);
      this.addEvent({ ...record.event, user });
      const { deviceId, category } = record.event;
      if (deviceId !== null && DEVICE_CATEGORIES.has(category)) this.book.add({ kind: 'device_id', value: deviceId, user });
    }
    const errors: RejectedObject[] = read.errors.map((e) => ({ type: 'currents', index: e.index, message: e.message }));
    return { stored: toStore.length, duplicates: values.length - errors.length - toStore.length, errors };
  }

  async addTrack(batch: TrackBatch): Promise<TrackResult> {
    const refs: Array<{ user: UserRef; create: boolean }> = [
      ...batch.attributes.map((a) => ({ user: a.user, create: !a.updateExistingOnly })),
      ...batch.events.map((e) => ({ user: e.user, create: true })),
      ...batch.purchases.map((p) => ({ user: p.user, create: true })),
    ];
    await this.book.load(refs.flatMap((r) => identityKeys(r.user)));
    const users = this.book.resolveTrack(refs);
    [...batch.events, ...batch.purchases].forEach((e, i) => this.addEvent({ ...trackedEvent(e, this.settings.rates), user: users[batch.attributes.length + i]! }));
    const attributes = batch.attributes.flatMap((record: AttributeRecord, i) => (users[i] === undefined ? [] : [{ record, user: users[i] }]));
    for (const entry of await attributeEntries(this.latest, attributes, () => this.sequence.take())) {
      this.attributes.push(entry);
      const identity = attributeIdentity(entry.user, entry.name, entry.value);
      if (identity) this.book.add(identity);
    }
    return { attributesProcessed: batch.attributes.length, eventsProcessed: batch.events.length, purchasesProcessed: batch.purchases.length, errors: [] };
  }

  private addEvent(event: StoredEvent): void {
    this.events.push({ event, seq: this.sequence.take() });
    if (event.category === 'session_start') {
      const day = this.dayOf(event.time);
      this.sessionDays.push({ scope: '', user: event.user, day });
      if (event.appId !== null) this.sessionDays.push({ scope: event.appId, user: event.user, day });
    }
  }

  /** Writes the planned rows, each shard's in order, shards side by side. */
  async write(stillHeld: () => void): Promise<void> {
    const n = this.ctx.shards;
    const users = byShard(this.ws, n, this.book.newUsers, (u) => u.user);
    const identities = byShard(this.ws, n, this.book.newIdentities, (i) => i.user);
    const attributes = byShard(this.ws, n, this.attributes, (a) => a.user);
    const days = byShard(this.ws, n, this.sessionDays, (d) => d.user);
    const events = byShard(this.ws, n, this.events, (e) => e.event.user);
    const { gen } = this.settings.activity;
    const activity = await Promise.all(days.map((d, node) => activityRows(this.ctx, node, this.ws, gen, d)));
    stillHeld();
    await this.sequence.commit();
    await Promise.all(
      Array.from({ length: n }, async (_, node) => {
        await Promise.all([
          insertLocal(this.ctx.db, node, 'users_local', ['ws', 'user', 'created_at', 'seq'], users[node].map((u): TsvValue[] => [this.ws, u.user, u.createdAt, u.seq])),
          insertLocal(this.ctx.db, node, 'identities_local', ['ws', 'kind', 'value', 'user', 'seq'], identities[node].map((i): TsvValue[] => [this.ws, i.kind, i.value, i.user, i.seq])),
          insertLocal(this.ctx.db, node, 'attributes_local', ['ws', 'user', 'name', 'value', 'time', 'seq'], attributes[node].map((a): TsvValue[] => [this.ws, a.user, a.name, JSON.stringify(a.value ?? null), a.time, a.seq])),
        ]);
        stillHeld();
        await writeActivity(this.ctx, node, activity[node]);
        await writeEvents(this.ctx, node, this.ws, events[node]);
      }),
    );
  }
}

/** The local day of a time, looked up once per 15-minute UTC bucket: every zone's offset is a
 * multiple of 15 minutes, so a bucket never straddles a local midnight. */
function memoizedDayOf(zone: string): (time: number) => number {
  const dayOf = localDayOf(zone);
  const days = new Map<number, number>();
  return (time) => {
    const bucket = Math.floor(time / 900);
    let day = days.get(bucket);
    if (day === undefined) days.set(bucket, (day = dayOf(bucket * 900)));
    return day;
  };
}


/**
 * Ingestion into the cluster. Requests are stored in batches (write-queue.ts), one batch of a
 * workspace at a time across every brazen process (the workspace's write lease): that is what lets
 * a batch check which of its records are stored already and make users without racing another
 * process. A batch writes, on each shard, for that shard's users and in this order: users and
 * identities, attributes, activity (days and their deltas), events (and, through the views, their
 * counters). A batch that fails half-way is safe to send again: what a shard already has is found
 * (identities, stored ids, active days) and not written twice.
 */
import type { AttributeEntry } from '@brazen/analytics';
import type { CurrentsBody } from '../ports.ts';
import { StoreError } from '../errors.ts';
import type { AttributeRecord, CurrentsResult, RejectedObject, TrackBatch, TrackResult, Workspace } from '../types.ts';
import { holding } from '../leases.ts';
import { activityRows, writeActivity, type SessionDay } from './activity.ts';
import type { ActivityState } from './catalog.ts';
import type { EngineContext } from './context.ts';
import { storedIds, writeEvents, type EventToStore } from './event-rows.ts';
import { KnownIdentities, Sequence, UserBook } from './identities.ts';
import {
  attributeIdentity, CurrentsBodyError, currencyRates, currentsBatch, DEVICE_ID_CATEGORIES, identitiesGiven, identityKeys, localDayByBucketOf,
  parseCurrentsBody, trackedEvent, unreadableLineMessage, type CurrencyRates, type CurrentsBatch, type CurrentsNaming, type CurrentsRecord, type TrackNaming,
} from '@brazen/analytics';
import { byShard, insertLocal, shardOf, type TsvValue } from './shards.ts';
import { attributeEntries, LatestAttributes } from './attribute-writes.ts';
import { Probe } from './probe.ts';
import { WriteQueue } from './write-queue.ts';
import { addTime, timed } from './timings.ts';

/** What a batch reads of the workspace, under the lease. */
interface BatchSettings {
  rates: CurrencyRates;
  activity: ActivityState;
}

/** A Currents request: its records, their texts (NDJSON), and their reading under the currency
 * rates named by `ratesKey` (read as it arrives, outside the lease, with the rates last seen; read
 * again in its batch if the workspace's rates changed meanwhile). */
interface CurrentsRequest {
  kind: 'currents';
  values: unknown[];
  texts?: Uint8Array[];
  read?: { ratesKey: string; batch: CurrentsBatch };
}
type WriteRequest = CurrentsRequest | { kind: 'track'; batch: TrackBatch };
type WriteResult = CurrentsResult | TrackResult;

const DEVICE_CATEGORIES: ReadonlySet<string> = new Set(DEVICE_ID_CATEGORIES);

export class Ingestion {
  private readonly queue = new WriteQueue<WriteRequest, WriteResult>((batch) => this.store(batch), { maxRequests: 64, maxWeight: 500_000 });
  /** The workspace's currency rates as last read (records are read with them as they arrive). */
  private rates: { key: string; rates: CurrencyRates } | undefined;
  /** Identities kept from batch to batch while this process is the workspace's only writer. */
  private readonly identities = new KnownIdentities();

  constructor(
    private readonly ctx: EngineContext,
    private readonly ws: string,
    private readonly writeLease: string,
    private readonly writeState: () => Promise<{ doc: Workspace; activity: ActivityState; sequence: number }>,
  ) {}

  ingestCurrents(body: CurrentsBody): Promise<CurrentsResult> {
    if (!(body.bytes instanceof Uint8Array)) return collect(body.bytes).then((bytes) => this.ingestCurrents({ ...body, bytes }));
    let parsed: { values: unknown[]; texts?: Uint8Array[] };
    const started = performance.now();
    try {
      parsed = body.format === 'ndjson' ? ndjsonRecords(body.bytes) : { values: parseCurrentsBody(body.bytes, body.format) };
    } catch (error) {
      if (error instanceof CurrentsBodyError) return Promise.reject(new StoreError('invalid_input', error.message));
      return Promise.reject(error);
    }
    const request: CurrentsRequest = { kind: 'currents', ...parsed };
    if (this.rates) request.read = { ratesKey: this.rates.key, batch: currentsBatch(parsed.values, this.rates.rates) };
    addTime('parse and read the records (outside the lease)', started);
    return this.queue.push(request, Math.max(1, parsed.values.length)) as Promise<CurrentsResult>;
  }

  track(batch: TrackBatch): Promise<TrackResult> {
    return this.queue.push({ kind: 'track', batch }, batch.attributes.length + batch.events.length + batch.purchases.length || 1) as Promise<TrackResult>;
  }

  /** Resolves once every write pushed so far is stored. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async store(requests: WriteRequest[]): Promise<WriteResult[]> {
    const waiting = performance.now();
    return holding(this.ctx.leases, this.writeLease, async (stillHeld) => {
      addTime('wait for the write lease', waiting);
      const state = await timed('catalog: workspace, activity state, sequence', () => this.writeState());
      const ratesKey = JSON.stringify(state.doc.currency_rates ?? {});
      if (this.rates?.key !== ratesKey) this.rates = { key: ratesKey, rates: currencyRates(state.doc.currency_rates) };
      const settings: BatchSettings = { rates: this.rates.rates, activity: state.activity };
      const sequence = new Sequence(this.ctx, this.ws, state.sequence);
      const batch = new Batch(this.ctx, this.ws, settings, sequence, this.identities.forBatch(state.sequence));
      try {
        const results: WriteResult[] = [];
        // The requests of a batch in their order.
        for (const request of requests) {
          if (request.kind === 'track') results.push(await batch.addTrack(request.batch));
          else {
            const read = request.read?.ratesKey === ratesKey ? request.read.batch : currentsBatch(request.values, settings.rates);
            results.push(await batch.addCurrents(request.values.length, read, request.texts));
          }
        }
        await batch.write(stillHeld);
        this.identities.stored(sequence.mark);
        return results;
      } catch (error) {
        this.identities.forget();
        throw error;
      } finally {
        await batch.close();
      }
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
  /** Events and session days of each shard's users. */
  private readonly events: EventToStore[][];
  private readonly attributes: AttributeEntry[] = [];
  private readonly sessionDays: SessionDay[][];
  /** Ids of the batch's Currents records (a later request's record with one is a duplicate). */
  private readonly ids = new Set<string>();
  private readonly dayOf: (time: number) => number;
  private readonly latest: LatestAttributes;

  constructor(
    private readonly ctx: EngineContext,
    private readonly ws: string,
    private readonly settings: BatchSettings,
    private readonly sequence: Sequence,
    identities: KnownIdentities,
  ) {
    this.book = new UserBook(ctx, ws, sequence, identities);
    this.events = Array.from({ length: ctx.shards }, () => []);
    this.sessionDays = Array.from({ length: ctx.shards }, () => []);
    this.latest = new LatestAttributes(ctx, ws);
    this.dayOf = localDayByBucketOf(settings.activity.zone);
  }

  /** `records` of a request, read by the rules; `texts`: each record's own JSON text (NDJSON lines),
   * kept as its payload. */
  async addCurrents(records: number, read: CurrentsBatch, texts?: Uint8Array[]): Promise<CurrentsResult> {
    // The first record of each id in the batch; those stored already are found, the rest stored.
    const fresh = read.records.filter(({ record }) => !this.ids.has(record.event.id));
    const namings = distinctNamings(fresh);
    const [stored] = await timed('look up stored ids and users (side by side)', () => Promise.all([
      storedIds(this.ctx, this.ws, fresh.map((r) => r.record.event.id), this.probe('ids', 0)),
      this.book.load(UserBook.currentsKeys(namings), this.probe('names', 0)),
    ]));
    const planning = performance.now();
    const toStore = stored.size === 0 ? fresh : fresh.filter((r) => !stored.has(r.record.event.id));
    const userOf = this.book.resolveCurrents(stored.size === 0 ? namings : distinctNamings(toStore));
    for (const { index, record } of toStore) {
      const user = userOf(record);
      this.ids.add(record.event.id);
      this.addEvent(record.event, user, texts?.[index]);
      const { deviceId, category } = record.event;
      if (deviceId !== null && DEVICE_CATEGORIES.has(category)) this.book.add({ kind: 'device_id', value: deviceId, user });
    }
    addTime('resolve users, plan rows', planning);
    const errors: RejectedObject[] = read.errors.map((e) => ({ type: 'currents', index: e.index, message: e.message }));
    return { stored: toStore.length, duplicates: records - errors.length - toStore.length, errors };
  }

  async addTrack(batch: TrackBatch): Promise<TrackResult> {
    const refs: TrackNaming[] = [
      ...batch.attributes.map((a) => ({ user: a.user, create: !a.updateExistingOnly, gives: identitiesGiven(a.values) })),
      ...batch.events.map((e) => ({ user: e.user, create: true })),
      ...batch.purchases.map((p) => ({ user: p.user, create: true })),
    ];
    await this.book.load(refs.flatMap((r) => [...identityKeys(r.user), ...(r.gives ?? [])]), this.probe('names', 0));
    const users = this.book.resolveTrack(refs);
    [...batch.events, ...batch.purchases].forEach((e, i) => this.addEvent(trackedEvent(e, this.settings.rates), users[batch.attributes.length + i]!));
    const attributes = batch.attributes.flatMap((record: AttributeRecord, i) => (users[i] === undefined ? [] : [{ record, user: users[i] }]));
    for (const entry of await attributeEntries(this.latest, attributes, () => this.sequence.take())) {
      this.attributes.push(entry);
      const identity = attributeIdentity(entry.user, entry.name, entry.value);
      if (identity) this.book.add(identity);
    }
    return { attributesProcessed: batch.attributes.length, eventsProcessed: batch.events.length, purchasesProcessed: batch.purchases.length, errors: [] };
  }

  /** Sessions of the batch (one at a time each): what it looks up, sent as temporary tables. */
  private readonly probes = new Map<string, Probe>();

  private probe(use: string, node: number): Probe {
    const key = `${use} ${node}`;
    let found = this.probes.get(key);
    if (!found) this.probes.set(key, (found = Probe.open(this.ctx.db, node)));
    return found;
  }

  async close(): Promise<void> {
    await Promise.all([...this.probes.values()].map((p) => p.close()));
  }

  private readonly shardOfUser = new Map<string, number>();

  private shardOf(user: string): number {
    let shard = this.shardOfUser.get(user);
    if (shard === undefined) this.shardOfUser.set(user, (shard = shardOf(this.ws, user, this.ctx.shards)));
    return shard;
  }

  private addEvent(event: EventToStore['event'], user: string, payloadBytes?: Uint8Array): void {
    const shard = this.shardOf(user);
    this.events[shard].push({ event, user, seq: this.sequence.take(), payloadBytes });
    if (event.category === 'session_start') {
      const day = this.dayOf(event.time);
      this.sessionDays[shard].push({ scope: '', user, day });
      if (event.appId !== null) this.sessionDays[shard].push({ scope: event.appId, user, day });
    }
  }

  /** Writes the planned rows, each shard's in order, shards side by side. */
  async write(stillHeld: () => void): Promise<void> {
    const n = this.ctx.shards;
    const users = byShard(this.ws, n, this.book.newUsers, (u) => u.user);
    const identities = byShard(this.ws, n, this.book.newIdentities, (i) => i.user);
    const attributes = byShard(this.ws, n, this.attributes, (a) => a.user);
    const days = this.sessionDays;
    const events = this.events;
    const { gen } = this.settings.activity;
    const activity = await timed('activity: read the users\' days, compute DAU/MAU/new-user deltas', () =>
      Promise.all(days.map((d, node) => activityRows(this.ctx, this.probe('activity', node), this.ws, gen, d))));
    stillHeld();
    // Identities move the mark even when nothing else took a number (KnownIdentities relies on it).
    if (this.book.newIdentities.length > 0 && !this.sequence.moved) this.sequence.take();
    await timed('catalog: sequence mark', () => this.sequence.commit());
    // Every insert is waited for, failed or not, before the batch answers: a batch that fails on one
    // shard must not release the lease (and be sent again) while another shard's insert is still
    // landing, or the retry would not find those rows and store them a second time.
    await timed('insert rows on the shards (side by side)', () => allSettled(
      Array.from({ length: n }, async (_, node) => {
        await allSettled([
          insertLocal(this.ctx.db, node, 'users_local', ['ws', 'user', 'created_at', 'seq'], users[node].map((u): TsvValue[] => [this.ws, u.user, u.createdAt, u.seq])),
          insertLocal(this.ctx.db, node, 'identities_local', ['ws', 'kind', 'value', 'user', 'seq'], identities[node].map((i): TsvValue[] => [this.ws, i.kind, i.value, i.user, i.seq])),
          insertLocal(this.ctx.db, node, 'attributes_local', ['ws', 'user', 'name', 'value', 'time', 'seq'], attributes[node].map((a): TsvValue[] => [this.ws, a.user, a.name, JSON.stringify(a.value ?? null), a.time, a.seq])),
        ]);
        stillHeld();
        await writeActivity(this.ctx, node, activity[node]);
        await writeEvents(this.ctx, node, this.ws, events[node]);
      }),
    ));
  }
}

/** Every promise's value once all have settled; the first failure (in order) if any failed. */
async function allSettled<T>(work: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * The records of an NDJSON body and each one's own text (its line, a view of the body: kept as its
 * payload, no second serialisation nor copy). The rule is the body's (`parseCurrentsBody`): a line
 * holding only spaces is no record, a line that is not JSON refuses the body, naming the line.
 */
function ndjsonRecords(bytes: Uint8Array): { values: unknown[]; texts: Uint8Array[] } {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = body.toString('utf8');
  const lines = text.split('\n');
  // Where each line's bytes start: its characters' count when the body is ASCII (most are).
  const ascii = !/[^\x00-\x7f]/.test(text);
  const values: unknown[] = [];
  const texts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const end = start + (ascii ? line.length : Buffer.byteLength(line));
    if (!/^[ \t\r]*$/.test(line)) {
      try {
        values.push(JSON.parse(line));
      } catch {
        throw new CurrentsBodyError(unreadableLineMessage(i + 1));
      }
      // A line that is not valid UTF-8 is kept as it was read (with U+FFFD), as the reference does.
      texts.push(ascii || !line.includes('\uFFFD') ? body.subarray(start, end) : Buffer.from(line));
    }
    start = end + 1;
  }
  return { values, texts };
}

/** Each way of naming a user once (a batch names a user by the same ids in many records). */
function distinctNamings(records: ReadonlyArray<{ record: CurrentsRecord }>): CurrentsNaming[] {
  const seen = new Map<string, CurrentsNaming>();
  for (const { record: r } of records) {
    const key = `${r.userId}\u0000${r.externalUserId}`;
    if (!seen.has(key)) seen.set(key, { userId: r.userId, externalUserId: r.externalUserId });
  }
  return [...seen.values()];
}

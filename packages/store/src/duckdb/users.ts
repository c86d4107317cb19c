import type { DuckDBConnection } from '@duckdb/node-api';
import { identityKeys, resolveCurrentsUsers, resolveTrackUsers, type IdentityKey, type TrackNaming } from '@brazen/analytics';
import { DEVICE_IDENTITIES_FROM_EVENTS_SQL } from './currents-sql.ts';
import type { Db } from './db.ts';
import { int32Columns } from './id-hashes.ts';
import { fnv1a, IdentityMap, KIND_CODES, type IdentityRows, type KeyHash } from './identity-map.ts';
import type { KeptProfileStore } from './kept-profiles.ts';
import { appendRows, fillTempTable, literal, one, tuplesOf } from './sql.ts';

/** The map reads the identities table this many rows at a time (the values of a range come as one string). */
const MAP_READ_ROWS = 250_000;

/**
 * Users and their identities: every user has a number of the store's own (`uid`, never seen outside
 * the engine) and a braze_id; braze_ids, external ids, aliases, emails, phones and device ids are
 * identities. Writes run on the writer, inside the batch's transaction.
 */
export class Users {
  /** The uid the next new user takes. */
  nextUid = 1;
  /** How the identity map hashes its keys (a test may make every key collide). */
  keyHash: KeyHash = fnv1a;
  /** The identities /users/track names users by, kept in the process from the first group on. */
  private identityMap: IdentityMap | undefined;
  /** How many rows of `identities` (from rowid 0) the map has. */
  private mapRows = 0;
  /** Whether rows may have been added that the map has not (set by every Currents batch). */
  private mapStale = false;

  constructor(
    private readonly db: Db,
    private readonly kept: KeptProfileStore,
    private readonly now: () => number,
  ) {}

  async load(): Promise<void> {
    const max = await one<{ uid: number | null }>(this.db.writer, `SELECT max(uid) AS uid FROM users`);
    this.nextUid = (max?.uid ?? 0) + 1;
  }

  /** Gives a uid to every user named in the batch that is not known yet, and records new identities
   * (the rule of analytics' `resolveCurrentsUsers`, on the namings `umap` found no user for). */
  async createCurrentsUsers(): Promise<void> {
    // Every Currents batch comes here, and may add identities (its users', device ids): the
    // identity map reads them at the next /users/track group.
    this.mapStale = true;
    if (await this.createCurrentsUsersInSql()) return;
    // Read column by column: a batch of new users has tens of thousands of these.
    const open = tuplesOf<[string, string, number | null, number | null, number | null]>(
      await this.db.writer.runAndReadAll(
        `SELECT bk, ek, uid, buid, euid FROM umap WHERE (bk <> '' AND buid IS NULL) OR (ek <> '' AND euid IS NULL)`,
      ),
    ).map(([bk, ek, uid, buid, euid]) => ({ bk, ek, uid, buid, euid }));
    if (open.length === 0) return;
    const users: Array<[number, string]> = [];
    const found = open.map((r) => ({ userId: r.bk, externalUserId: r.ek, byBrazeId: r.buid ?? undefined, byExternalId: r.euid ?? undefined }));
    const resolved = resolveCurrentsUsers<number>(found, (brazeId) => {
      const uid = this.nextUid++;
      users.push([uid, brazeId]);
      return uid;
    });
    const identities = resolved.identities.map((i): [string, string, number] => [i.kind, i.value, i.user]);
    const assigned = open.filter((r) => r.uid === null).map((r): [string, string, number] => [r.bk, r.ek, resolved.userOf({ userId: r.bk, externalUserId: r.ek })]);
    await this.appendUsers(users);
    await this.appendIdentities(identities);
    if (assigned.length > 0) {
      await fillTempTable(this.db.writer, 'umap_new', { bk: 'VARCHAR', ek: 'VARCHAR', uid: 'INTEGER' }, assigned);
      await this.db.writer.run(`UPDATE umap SET uid = n.uid FROM umap_new n WHERE umap.bk = n.bk AND umap.ek = n.ek`);
    }
  }

  /**
   * The common case of `createCurrentsUsers` in SQL, without bringing the namings into JavaScript:
   * every naming not fully known names nobody yet, has a braze_id, and shares neither id with
   * another naming of the batch. The rule then makes a user per naming, with its braze_id (and its
   * external id, if any) as identities, in the rule's order (namings with both ids first, then by
   * braze_id and external id in code-point order, which is DuckDB's byte order of UTF-8). False,
   * having changed nothing, when the batch is not such a case.
   */
  private async createCurrentsUsersInSql(): Promise<boolean> {
    const { writer } = this.db;
    const open = `(bk <> '' AND buid IS NULL) OR (ek <> '' AND euid IS NULL)`;
    const r = await one<{ n: number; simple: boolean }>(writer, `SELECT count(*)::DOUBLE AS n,
        count(*) = count(*) FILTER (WHERE uid IS NULL AND bk <> '')
          AND count(DISTINCT bk) = count(*) AND count(DISTINCT ek) FILTER (WHERE ek <> '') = count(*) FILTER (WHERE ek <> '') AS simple
      FROM umap WHERE ${open}`);
    if (!r || r.n === 0) return true;
    if (!r.simple) return false;
    const first = this.nextUid;
    await writer.run(`CREATE OR REPLACE TEMP TABLE umap AS
      SELECT bk, ek, CASE WHEN uid IS NULL
               THEN (${first} - 1 + row_number() OVER (PARTITION BY uid IS NULL ORDER BY (bk = '' OR ek = ''), bk, ek))::INTEGER
               ELSE uid END AS uid, buid, euid
      FROM umap`);
    const made = `(SELECT bk, ek, uid FROM umap WHERE uid >= ${first})`;
    await writer.run(`INSERT INTO users SELECT uid, bk, $created FROM ${made}`, { created: this.now() / 1000 });
    await writer.run(`INSERT INTO identities SELECT 'braze_id', bk, uid FROM ${made} UNION ALL SELECT 'external_id', ek, uid FROM ${made} WHERE ek <> ''`);
    this.nextUid += r.n;
    // (Their kept profiles are marked stale with every user of the batch's records: markInsertedStale.)
    return true;
  }

  /** Appends users made now, or each at `createdAt(i)` (epoch seconds). */
  private async appendUsers(users: Array<[number, string]>, createdAt?: (i: number) => number): Promise<void> {
    if (users.length === 0) return;
    const now = this.now() / 1000;
    await appendRows(this.db.writer, 'users', ['INTEGER', 'VARCHAR', 'DOUBLE'], users.map(([uid, brazeId], i) => [uid, brazeId, createdAt?.(i) ?? now]));
  }

  async appendIdentities(identities: Array<[string, string, number]>): Promise<void> {
    if (identities.length === 0) return;
    await appendRows(this.db.writer, 'identities', ['VARCHAR', 'VARCHAR', 'INTEGER'], identities);
    await this.kept.markStale(identities.map(([, , uid]) => uid));
    // The rows are the table's next ones: the map takes them once they are committed, unless it is
    // to read the table again anyway.
    const map = this.identityMap;
    if (map && !this.mapStale) {
      this.db.afterCommit(() => {
        if (this.identityMap !== map || this.mapStale) return;
        for (const [kind, value, uid] of identities) map.add(kind, value, uid);
        this.mapRows += identities.length;
      });
    }
  }

  /** Device ids become identities at ingestion; a store made before gets them from its records, once. */
  async prepareDeviceIdentities(onUpgrade: (what: string) => void): Promise<void> {
    this.mapStale = true;
    if (await one(this.db.writer, `SELECT 1 FROM meta WHERE key = 'device_identities'`)) return;
    if (await one(this.db.writer, `SELECT 1 FROM events LIMIT 1`)) onUpgrade('keeping the device ids of the stored records as identities');
    await this.db.transaction(async () => {
      await this.db.writer.run(DEVICE_IDENTITIES_FROM_EVENTS_SQL);
      await this.db.writer.run(`INSERT OR REPLACE INTO meta VALUES ('device_identities', '1')`);
    });
  }

  /** The user of each naming of /users/track objects (undefined: nobody, and not to be made), by
   * the rule of analytics' `resolveTrackUsers`; new users (made at `createdAt(i)` of the naming `i`
   * that made them, epoch seconds) and identities appended. */
  async resolveTrackUsers(namings: readonly TrackNaming[], createdAt: (naming: number) => number): Promise<Array<number | undefined>> {
    const known = await this.db.steps.time('track: users: identity lookup (within)', () => this.lookupIdentities(namings.flatMap((n) => [...identityKeys(n.user), ...(n.gives ?? [])])));
    const firstNew = this.nextUid;
    const newUsers: Array<[number, string]> = [];
    const { resolved, identities } = resolveTrackUsers<number>(namings, {
      find: (key) => known.get(key.key),
      make: (brazeId) => {
        const uid = this.nextUid++;
        newUsers.push([uid, brazeId]);
        return uid;
      },
      // uids are given in the order users are made.
      newer: (a, b) => a > b,
    });
    // A user is made by the first naming resolved to it.
    const created = new Array<number>(newUsers.length);
    resolved.forEach((uid, i) => {
      if (uid !== undefined && uid >= firstNew && created[uid - firstNew] === undefined) created[uid - firstNew] = createdAt(i);
    });
    await this.appendUsers(newUsers, (i) => created[i]);
    await this.appendIdentities(identities.map((i) => [i.kind, i.value, i.user]));
    return resolved;
  }

  /** uid of each key found (by `key`), read on the writer inside a /users/track group, before
   * the group writes. */
  async lookupIdentities(keys: IdentityKey[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (keys.length === 0) return found;
    const map = await this.currentIdentityMap();
    for (const k of keys) {
      const uid = map.get(k.kind, k.value);
      if (uid !== undefined) found.set(k.key, uid);
    }
    return found;
  }

  /**
   * The identity map with every committed row of `identities`. The table only grows at its end:
   * its rows are never updated or deleted, and a rolled-back append leaves no row behind (the next
   * append takes its rowids). The map takes the rows /users/track appends once they are committed
   * (`appendIdentities`); any other writer of identities (a Currents batch) marks it stale, and the
   * rows from `mapRows` on are then read here, at the start of the next group, before it writes:
   * the map never runs ahead of the table, and rows of a rolled-back group are never taken. Should
   * the rows from `mapRows` on not be all the new ones, the map is made again from every row.
   */
  private async currentIdentityMap(): Promise<IdentityMap> {
    if (this.identityMap && !this.mapStale) return this.identityMap;
    const { writer } = this.db;
    const counts = await one<{ total: number; after: number }>(writer,
      `SELECT count(*)::DOUBLE AS total, count(*) FILTER (WHERE rowid >= ${this.mapRows})::DOUBLE AS after FROM identities`);
    const total = counts?.total ?? 0;
    if (!this.identityMap || counts?.after !== total - this.mapRows) {
      this.identityMap = new IdentityMap(this.keyHash);
      this.mapRows = 0;
    }
    const map = this.identityMap;
    await this.db.steps.time('track: users: identity map read (within)', async () => {
      for (let from = this.mapRows; from < total; from += MAP_READ_ROWS) {
        map.addRows(await identityRows(writer, from, Math.min(total, from + MAP_READ_ROWS)));
      }
    });
    this.mapRows = total;
    this.mapStale = false;
    return map;
  }
}

const KEPT_KINDS = `kind IN (${Object.keys(KIND_CODES).map(literal).join(', ')})`;

/** The identities of the rows [from, to) of the table that the map keeps, in the table's order. The
 * values come as one string and every other column as typed arrays: reading each value by itself
 * took twice as long (0.9 s for 2M). */
async function identityRows(conn: DuckDBConnection, from: number, to: number): Promise<IdentityRows> {
  const where = `rowid >= ${from} AND rowid < ${to} AND ${KEPT_KINDS}`;
  const code = `CASE kind ${Object.entries(KIND_CODES).map(([kind, c]) => `WHEN ${literal(kind)} THEN ${c}`).join(' ')} END`;
  const [kinds, uids, lengths] = await int32Columns(conn, `SELECT ${code}::INTEGER, uid, strlen(value)::INTEGER FROM identities WHERE ${where} ORDER BY rowid`, 3);
  const joined = await one<{ v: string | null }>(conn, `SELECT string_agg(value, '' ORDER BY rowid) AS v FROM identities WHERE ${where}`);
  const bytes = Buffer.from(joined?.v ?? '', 'utf8');
  if (bytes.length !== lengths.reduce((sum, n) => sum + n, 0)) throw new Error('identities: the values read are not those counted');
  return { kinds, uids, lengths, bytes };
}

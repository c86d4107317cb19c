import type { DuckDBConnection } from '@duckdb/node-api';
import { derivedBrazeId, identityKey, identityKeys, type IdentityKey } from '@brazen/analytics';
import type { TrackBatch, UserRef } from '../types.ts';
import { DEVICE_IDENTITIES_FROM_EVENTS_SQL } from './currents-sql.ts';
import type { Db } from './db.ts';
import type { KeptProfileStore } from './kept-profiles.ts';
import { appendRows, fillTempTable, identitiesByValue, one, rows } from './sql.ts';

/**
 * Users and their identities: every user has a number of the store's own (`uid`, never seen outside
 * the engine) and a braze_id; braze_ids, external ids, aliases, emails, phones and device ids are
 * identities. Writes run on the writer, inside the batch's transaction.
 */
export class Users {
  /** The uid the next new user takes. */
  nextUid = 1;

  constructor(
    private readonly db: Db,
    private readonly kept: KeptProfileStore,
    private readonly now: () => number,
  ) {}

  async load(): Promise<void> {
    const max = await one<{ uid: number | null }>(this.db.writer, `SELECT max(uid) AS uid FROM users`);
    this.nextUid = (max?.uid ?? 0) + 1;
  }

  /** Gives a uid to every user named in the batch that is not known yet, and records new identities. */
  async createCurrentsUsers(): Promise<void> {
    const open = await rows<{ bk: string; ek: string; uid: number | null; buid: number | null; euid: number | null }>(
      this.db.writer,
      `SELECT bk, ek, uid, buid, euid FROM umap
       WHERE (bk <> '' AND buid IS NULL) OR (ek <> '' AND euid IS NULL)
       -- Known users first, then references naming both ids, so that a pair links the two.
       ORDER BY uid IS NULL, (bk = '' OR ek = ''), bk, ek`,
    );
    if (open.length === 0) return;
    const byBraze = new Map<string, number>();
    const byExternal = new Map<string, number>();
    const identities: Array<[string, string, number]> = [];
    const users: Array<[number, string]> = [];
    const assigned: Array<[string, string, number]> = [];
    for (const row of open) {
      let uid = row.uid ?? (row.bk ? byBraze.get(row.bk) : undefined) ?? (row.ek ? byExternal.get(row.ek) : undefined);
      if (uid === undefined) {
        uid = this.nextUid++;
        const brazeId = row.bk || derivedBrazeId(identityKey('external_id', row.ek));
        users.push([uid, brazeId]);
        if (!row.bk) identities.push(['braze_id', brazeId, uid]);
      }
      if (row.bk && row.buid === null && !byBraze.has(row.bk)) {
        byBraze.set(row.bk, uid);
        identities.push(['braze_id', row.bk, uid]);
      }
      if (row.ek && row.euid === null && !byExternal.has(row.ek)) {
        byExternal.set(row.ek, uid);
        identities.push(['external_id', row.ek, uid]);
      }
      if (row.uid === null) assigned.push([row.bk, row.ek, uid]);
    }
    await this.appendUsers(users);
    await this.appendIdentities(identities);
    if (assigned.length > 0) {
      await fillTempTable(this.db.writer, 'umap_new', { bk: 'VARCHAR', ek: 'VARCHAR', uid: 'INTEGER' }, assigned);
      await this.db.writer.run(`UPDATE umap SET uid = n.uid FROM umap_new n WHERE umap.bk = n.bk AND umap.ek = n.ek`);
    }
  }

  private async appendUsers(users: Array<[number, string]>): Promise<void> {
    if (users.length === 0) return;
    const created = this.now() / 1000;
    await appendRows(this.db.writer, 'users', ['INTEGER', 'VARCHAR', 'DOUBLE'], users.map(([uid, brazeId]) => [uid, brazeId, created]));
  }

  async appendIdentities(identities: Array<[string, string, number]>): Promise<void> {
    if (identities.length === 0) return;
    await appendRows(this.db.writer, 'identities', ['VARCHAR', 'VARCHAR', 'INTEGER'], identities);
    await this.kept.markStale(identities.map(([, , uid]) => uid));
  }

  /** Device ids become identities at ingestion; a store made before gets them from its records, once. */
  async prepareDeviceIdentities(onUpgrade: (what: string) => void): Promise<void> {
    if (await one(this.db.writer, `SELECT 1 FROM meta WHERE key = 'device_identities'`)) return;
    if (await one(this.db.writer, `SELECT 1 FROM events LIMIT 1`)) onUpgrade('keeping the device ids of the stored records as identities');
    await this.db.transaction(async () => {
      await this.db.writer.run(DEVICE_IDENTITIES_FROM_EVENTS_SQL);
      await this.db.writer.run(`INSERT OR REPLACE INTO meta VALUES ('device_identities', '1')`);
    });
  }

  /** uid of every user the batch names; unknown users are created unless only updated. */
  async resolveTrackUsers(batch: TrackBatch): Promise<Map<UserRef, number>> {
    const refs: Array<{ user: UserRef; create: boolean }> = [
      ...batch.attributes.map((a) => ({ user: a.user, create: !a.updateExistingOnly })),
      ...batch.events.map((e) => ({ user: e.user, create: true })),
      ...batch.purchases.map((p) => ({ user: p.user, create: true })),
    ];
    const known = await this.lookupIdentities(refs.flatMap((r) => identityKeys(r.user)));
    const result = new Map<UserRef, number>();
    const newIdentities: Array<[string, string, number]> = [];
    const newUsers: Array<[number, string]> = [];
    for (const { user, create } of refs) {
      const keys = identityKeys(user);
      let uid: number | undefined;
      for (const k of keys) {
        uid = known.get(k.key);
        if (uid !== undefined) break;
      }
      if (uid === undefined) {
        if (!create) continue;
        uid = this.nextUid++;
        const brazeId = user.braze_id ?? derivedBrazeId(keys[0]);
        newUsers.push([uid, brazeId]);
        if (!user.braze_id) {
          newIdentities.push(['braze_id', brazeId, uid]);
          known.set(`braze_id\u0000${brazeId}`, uid);
        }
      }
      for (const k of keys) {
        if (!known.has(k.key)) {
          known.set(k.key, uid);
          newIdentities.push([k.kind, k.value, uid]);
        }
      }
      result.set(user, uid);
    }
    await this.appendUsers(newUsers);
    await this.appendIdentities(newIdentities);
    return result;
  }

  /** uid of each key found (by `key`), read on `conn` (the writer's, inside a write). */
  async lookupIdentities(keys: IdentityKey[], conn: DuckDBConnection = this.db.writer): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (keys.length === 0) return found;
    // Email and phone may name several users; the most recent one is meant. The values are matched
    // as a list of constants, which the index on identities(value) answers (a join scans them all).
    const hits = await identitiesByValue<{ kind: string; value: string; uid: number }>(conn, [...new Set(keys.map((k) => k.value))], 'kind, value, max(uid) AS uid', 'GROUP BY ALL');
    for (const h of hits) found.set(`${h.kind}\u0000${h.value}`, h.uid);
    return found;
  }

}

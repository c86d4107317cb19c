/**
 * Attribute updates of /users/track as rows of `attributes_local` (the rule: `foldAttributeUpdate`):
 * increments and array edits apply to the current value, the latest entry by time then arrival among
 * those stored and those this batch made before.
 */
import type { AttributeEntry } from '@brazen/analytics';
import type { AttributeRecord } from '../types.ts';
import type { EngineContext } from './context.ts';
import { foldAttributeUpdate, isLater } from '@brazen/analytics';
import { join, sql } from './sql.ts';

/** The latest entries of the (user, name) pairs a batch reads, as the batch goes. */
export class LatestAttributes {
  /** Latest stored entry of the pairs read (null: none). */
  private readonly stored = new Map<string, AttributeEntry | null>();
  /** Latest entry this batch made of each pair. */
  private readonly made = new Map<string, AttributeEntry>();

  constructor(private readonly ctx: EngineContext, private readonly ws: string) {}

  /** Reads the stored latest entries of the pairs not read yet. */
  async load(pairs: ReadonlyArray<{ user: string; name: string }>): Promise<void> {
    const wanted = pairs.filter((p) => !this.stored.has(key(p.user, p.name)));
    if (wanted.length === 0) return;
    for (const p of wanted) this.stored.set(key(p.user, p.name), null);
    const users = [...new Set(wanted.map((p) => p.user))];
    const names = [...new Set(wanted.map((p) => p.name))];
    const rows = await this.ctx.db.query<{ user: string; name: string; last: [string, number, number] }>(
      sql`SELECT user, name, argMax((value, time, seq), (time, seq)) AS last FROM ${this.ctx.db.table('attributes')}
          WHERE ws = ${this.ws} AND user IN (${join(users.map((u) => sql`${u}`))}) AND name IN (${join(names.map((n) => sql`${n}`))})
          GROUP BY user, name`,
    );
    for (const { user, name, last: [value, time, seq] } of rows) {
      this.stored.set(key(user, name), { user, name, value: JSON.parse(value), time, seq: Number(seq) });
    }
  }

  value(user: string, name: string): unknown {
    const k = key(user, name);
    const [stored, made] = [this.stored.get(k), this.made.get(k)];
    return (stored && (!made || isLater(stored, made)) ? stored : made)?.value;
  }

  saw(entry: AttributeEntry): void {
    const k = key(entry.user, entry.name);
    const before = this.made.get(k);
    if (!before || isLater(entry, before)) this.made.set(k, entry);
  }
}

const key = (user: string, name: string) => `${user}\u0000${name}`;

/** The entries of attribute records, in order, each taking the next sequence number. */
export async function attributeEntries(
  latest: LatestAttributes, items: ReadonlyArray<{ record: AttributeRecord; user: string }>, take: () => number,
): Promise<AttributeEntry[]> {
  await latest.load(items.flatMap(({ record, user }) => [...Object.keys(record.increments ?? {}), ...Object.keys(record.arrayEdits ?? {})].map((name) => ({ user, name }))));
  const out: AttributeEntry[] = [];
  for (const { record, user } of items) {
    for (const [name, value] of foldAttributeUpdate(record, (name) => latest.value(user, name))) {
      const entry: AttributeEntry = { user, name, value, time: record.time, seq: take() };
      latest.saw(entry);
      out.push(entry);
    }
  }
  return out;
}

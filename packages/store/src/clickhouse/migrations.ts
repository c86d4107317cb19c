/**
 * Versioned migrations, applied on every node at start and recorded per node in
 * `brazen_migrations`. ClickHouse has no transactions nor locks, so safety when several brazen
 * processes start together comes from the steps themselves: each one is idempotent (CREATE ... IF
 * NOT EXISTS, DROP ... IF EXISTS, an added column checked in system.columns), a runner applies a
 * migration only after its own pass over every earlier one, and a step that loses a race to an
 * identical step of another runner (18.16 can answer "already exists" to IF NOT EXISTS when two
 * creations overlap) is checked and passed. Any interleaving of runners therefore ends in the state
 * one runner alone reaches; a record written twice is one row after merges and is read grouped.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClickHouseConnection } from './client.ts';
import { ClickHouseStoreError } from './errors.ts';
import { identifier, Sql, sql } from './sql.ts';

/** A column added to an existing table (18.16 has no ADD COLUMN IF NOT EXISTS). */
export interface AddColumn {
  addColumn: { table: string; column: string; type: Sql };
}

/** A statement that is idempotent for a reason the form does not show (e.g. an INSERT into a ReplacingMergeTree). */
export interface IdempotentStatement {
  statement: Sql;
  idempotentBecause: string;
}

export type MigrationStep = Sql | AddColumn | IdempotentStatement;

export interface Migration {
  version: number;
  name: string;
  steps(db: ClickHouseConnection): MigrationStep[];
}

export interface MigrationReport {
  /** Versions this runner applied, per node (shard order). */
  applied: number[][];
  /** The database's version after the run. */
  version: number;
}

const RECORDS = 'brazen_migrations';
const SELF_EVIDENT = /^\s*(CREATE\s+(TABLE|MATERIALIZED\s+VIEW|VIEW|DATABASE)\s+IF\s+NOT\s+EXISTS|DROP\s+(TABLE|VIEW|DATABASE)\s+IF\s+EXISTS)\b/i;
// Error codes a step can get when an identical step of another runner overlaps it: 57
// TABLE_ALREADY_EXISTS, 82 DATABASE_ALREADY_EXISTS, 15 DUPLICATE_COLUMN, 44 ILLEGAL_COLUMN.
const LOST_RACE = new Set([15, 44, 57, 82]);

export async function migrate(db: ClickHouseConnection, migrations: readonly Migration[], appliedBy = `${hostname()}:${process.pid}`): Promise<MigrationReport> {
  checkList(migrations);
  const latest = migrations.at(-1)?.version ?? 0;
  const records = db.table(RECORDS);
  const createRecords = sql`CREATE TABLE IF NOT EXISTS ${records} (version UInt32, name String, checksum String, applied_at DateTime('UTC'), applied_by String)
    ENGINE = ReplacingMergeTree ORDER BY version`;
  await Promise.all(db.nodes.map((_, node) => runStep(db, node, createRecords)));
  const applied = await Promise.all(
    db.nodes.map(async (_, node) => {
      const done = new Map(
        (await db.query<{ version: number; checksum: string }>(sql`SELECT version, any(checksum) AS checksum FROM ${records} GROUP BY version`, { node })).map((r) => [r.version, r.checksum]),
      );
      const newest = Math.max(0, ...done.keys());
      if (newest > latest) {
        throw new ClickHouseStoreError('migration', `database ${db.database} on ${db.nodes[node].name} is at version ${newest}; this brazen knows up to ${latest}: run a newer brazen`);
      }
      const ran: number[] = [];
      for (const m of migrations) {
        const steps = m.steps(db);
        const checksum = checksumOf(steps);
        const recorded = done.get(m.version);
        if (recorded !== undefined && recorded !== checksum) {
          throw new ClickHouseStoreError('migration', `migration ${m.version} (${m.name}) changed after it was applied to ${db.nodes[node].name}; add a new migration instead`);
        }
        // Steps of recorded migrations run again only if this runner has not seen the record: cheap,
        // and it is what makes a runner that starts late safe next to one that is mid-way.
        if (recorded !== undefined) continue;
        for (const step of steps) await runStep(db, node, step);
        await db.insert(RECORDS, [{ version: m.version, name: m.name, checksum, applied_at: Math.floor(Date.now() / 1000), applied_by: appliedBy }], { node });
        ran.push(m.version);
      }
      return ran;
    }),
  );
  return { applied, version: latest };
}

/** The database's version on every node (0 before any migration). */
export async function schemaVersions(db: ClickHouseConnection): Promise<number[]> {
  return Promise.all(
    db.nodes.map(async (_, node) => {
      const [row] = await db.query<{ exists: number }>(
        sql`SELECT count() AS exists FROM system.tables WHERE database = ${db.database} AND name = ${RECORDS}`,
        { node },
      );
      if (row.exists === 0) return 0;
      const [{ v }] = await db.query<{ v: number }>(sql`SELECT max(version) AS v FROM ${db.table(RECORDS)}`, { node });
      return v;
    }),
  );
}

async function runStep(db: ClickHouseConnection, node: number, step: MigrationStep): Promise<void> {
  if (!(step instanceof Sql) && 'addColumn' in step) {
    const { table, column, type } = step.addColumn;
    const present = async () =>
      (await db.query<{ n: number }>(sql`SELECT count() AS n FROM system.columns WHERE database = ${db.database} AND table = ${table} AND name = ${column}`, { node }))[0].n > 0;
    if (await present()) return;
    try {
      await db.command(sql`ALTER TABLE ${db.table(table)} ADD COLUMN ${identifier(column)} ${type}`, { node });
    } catch (error) {
      if (!(lostRace(error) && (await present()))) throw error;
    }
    return;
  }
  const statement = step instanceof Sql ? step : step.statement;
  try {
    await db.command(statement, { node });
  } catch (error) {
    // The same idempotent statement of another runner won: running it again now is a no-op.
    if (!lostRace(error)) throw error;
    await db.command(statement, { node });
  }
}

function lostRace(error: unknown): boolean {
  const code = error instanceof ClickHouseStoreError ? error.serverCode : undefined;
  return (code !== undefined && LOST_RACE.has(code)) || /already exists|creating or attaching right now/i.test(String((error as Error)?.message));
}

function checkList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new ClickHouseStoreError('migration', `migration ${m.name} has version ${m.version}; versions are 1, 2, 3, ... in order`);
  });
}

/** Refuses a step whose form does not show that running it twice is harmless. */
export function checkIdempotent(step: MigrationStep): void {
  if (!(step instanceof Sql)) return;
  if (!SELF_EVIDENT.test(step.text)) {
    throw new ClickHouseStoreError('migration', `step is not idempotent by its form (CREATE ... IF NOT EXISTS, DROP ... IF EXISTS): ${step.text.slice(0, 120)}`);
  }
}

function checksumOf(steps: MigrationStep[]): string {
  const hash = createHash('sha256');
  for (const step of steps) {
    checkIdempotent(step);
    const text = step instanceof Sql ? step.text : 'addColumn' in step ? `ADD COLUMN ${step.addColumn.table}.${step.addColumn.column} ${step.addColumn.type.text}` : step.statement.text;
    hash.update(text.replace(/\s+/g, ' ').trim()).update('\n');
  }
  return hash.digest('hex').slice(0, 16);
}

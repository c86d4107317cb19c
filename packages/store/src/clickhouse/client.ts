/**
 * A connection to ClickHouse through the official @clickhouse/client: one server, the nodes of a
 * cluster (one per shard), or chdb in-process through the same client (`createClient({ connection:
 * createChdbConnection(...) })`). At connect it reads `version()` and the settings the server
 * knows, checks that a cluster's nodes are its shards, creates the database, and from then on sends
 * the capability-gated settings profile with every statement. Statements are `Sql` values (sql.ts),
 * so every value in them went through the one escaping function. Names are always qualified with
 * the database (`table()`): chdb ignores the client's `database` option.
 */
import { createClient, ClickHouseLogLevel, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ClickHouseStoreError, queryError } from './errors.ts';
import { capabilitiesOf, parseVersion, PROFILE_SETTINGS, settingsProfile, type Capabilities, type ServerVersion, type SettingsProfile } from './settings.ts';
import { identifier, literal, sql, type Sql } from './sql.ts';
import { parseClickHouseUrl, redact, type ClickHouseTarget } from './url.ts';

export interface ClickHouseNode {
  /** `http://HOST:PORT` or `chdb:PATH`, for messages. */
  readonly name: string;
  /** 1-based shard number in the cluster (1 for a single server or chdb). */
  readonly shard: number;
  readonly client: ClickHouseClient;
  /** A client of its own in session `id` (temporary tables live in a session; chdb has one). */
  readonly sessionClient: (id: string) => ClickHouseClient;
}

export interface StatementOptions {
  /** Index in `nodes` (default 0, the node that answers queries). */
  node?: number;
  settings?: ClickHouseSettings;
}

export interface ConnectOptions {
  env?: Record<string, string | undefined>;
  /** CREATE DATABASE IF NOT EXISTS on every node (default true). */
  createDatabase?: boolean;
  /** Per-request timeout for servers (default 300 s). */
  requestTimeoutMs?: number;
}

export class ClickHouseConnection {
  private constructor(
    readonly target: ClickHouseTarget,
    readonly nodes: readonly ClickHouseNode[],
    readonly version: ServerVersion,
    readonly capabilities: Capabilities,
    readonly profile: SettingsProfile,
  ) {}

  get database(): string {
    return this.target.database;
  }

  /** The cluster name of `remote_servers`, when the URL names one. */
  get cluster(): string | undefined {
    return this.target.kind === 'server' ? this.target.cluster : undefined;
  }

  get engine(): 'server' | 'chdb' {
    return this.target.kind;
  }

  /** A table of brazen's database, qualified. */
  table(name: string): Sql {
    return sql`${identifier(this.target.database)}.${identifier(name)}`;
  }

  /** Rows of a SELECT; 64-bit integers come back as numbers (an error where one is not exact). */
  async query<T extends object>(statement: Sql, options: StatementOptions = {}): Promise<T[]> {
    const node = this.node(options.node);
    try {
      const result = await node.client.query({ query: statement.text, format: 'JSON', clickhouse_settings: options.settings });
      const body = await result.json<T>();
      return coerceRows(body.meta ?? [], body.data);
    } catch (error) {
      throw queryError(error, statement.text);
    }
  }

  /** A statement without rows (DDL, INSERT ... SELECT, OPTIMIZE, ...). */
  async command(statement: Sql, options: StatementOptions = {}): Promise<void> {
    const node = this.node(options.node);
    try {
      await node.client.command({ query: statement.text, clickhouse_settings: options.settings });
    } catch (error) {
      throw queryError(error, statement.text);
    }
  }

  /** The same statement on every node, in parallel (tables exist on every shard). */
  async onEveryNode(statement: Sql, settings?: ClickHouseSettings): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.command(statement, { node: i, settings })));
  }

  /** JSONEachRow rows (objects, or a Readable of objects) into a table of brazen's database. */
  async insert(table: string, rows: readonly object[] | Readable, options: StatementOptions = {}): Promise<void> {
    const node = this.node(options.node);
    const target = this.table(table).text;
    try {
      await node.client.insert({
        table: target,
        values: rows as ReadonlyArray<object>,
        format: 'JSONEachRow',
        clickhouse_settings: { ...this.profile.insert, ...options.settings },
      });
    } catch (error) {
      throw queryError(error, `INSERT INTO ${target}`);
    }
  }

  async close(): Promise<void> {
    if (this.target.kind === 'chdb') {
      // Closing a chdb client closes the shared connection: only the last user of the path does.
      const shared = chdbConnections.get(this.target.path);
      if (shared && --shared.users > 0) return;
      chdbConnections.delete(this.target.path);
    }
    await Promise.all(this.nodes.map((n) => n.client.close()));
  }

  private node(index = 0): ClickHouseNode {
    const node = this.nodes[index];
    if (!node) throw new ClickHouseStoreError('cluster', `no node ${index} (the connection has ${this.nodes.length})`);
    return node;
  }

  static async open(url: string, options: ConnectOptions = {}): Promise<ClickHouseConnection> {
    const target = parseClickHouseUrl(url, options.env);
    const timeout = options.requestTimeoutMs ?? 300_000;
    const chdb = target.kind === 'chdb' ? await chdbConnection(target.path) : undefined;
    // One client per node; made again with the settings profile once the server is known.
    const clientOf = (index: number, settings: ClickHouseSettings, session?: string): ClickHouseClient =>
      target.kind === 'chdb' ? createClient({ connection: chdb, clickhouse_settings: settings, log: QUIET }) : serverClient(target, index, settings, timeout, session);
    const names = target.kind === 'chdb' ? [`chdb:${target.path}`] : target.nodes.map((n) => `${target.protocol}://${n.host}:${n.port}`);
    const probes: ClickHouseNode[] = names.map((name, i) => ({ name, shard: i + 1, client: clientOf(i, {}), sessionClient: () => clientOf(i, {}) }));
    try {
      const found = await Promise.all(probes.map((n) => probe(n)));
      const versions = new Set(found.map((p) => p.version));
      if (versions.size > 1) {
        throw new ClickHouseStoreError('version', `the nodes of ${redact(url)} run different versions (${[...versions].join(', ')}); a cluster needs one`);
      }
      const version = parseVersion(found[0].version);
      const known = new Set(found[0].settings);
      const profile = settingsProfile(known);
      const shards = target.kind === 'server' && target.cluster ? await shardNumbers(probes, target.cluster) : probes.map((n) => n.shard);
      const nodes = names
        .map((name, i) => ({ name, shard: shards[i], client: clientOf(i, profile.common), sessionClient: (id: string) => clientOf(i, profile.common, id) }))
        .sort((a, b) => a.shard - b.shard);
      const connection = new ClickHouseConnection(target, nodes, version, capabilitiesOf(version, known), profile);
      if (target.kind === 'server') await Promise.all(probes.map((n) => n.client.close()));
      if (options.createDatabase ?? true) await connection.onEveryNode(sql`CREATE DATABASE IF NOT EXISTS ${identifier(target.database)}`);
      return connection;
    } catch (error) {
      if (target.kind === 'server') await Promise.allSettled(probes.map((n) => n.client.close()));
      throw error instanceof ClickHouseStoreError ? error : queryError(error, 'connect');
    }
  }
}

/**
 * Statements of one node in a session of their own, one at a time: temporary tables made in it are
 * seen by its later statements (a batch's sets of ids sent once as a table, instead of as thousands
 * of literals that 18.16 parses slowly). Closing it drops them.
 */
export class ClickHouseSession {
  private readonly client: ClickHouseClient;

  constructor(readonly connection: ClickHouseConnection, readonly node: number) {
    this.client = connection.nodes[node].sessionClient(`brazen-${randomUUID()}`);
  }

  async query<T extends object>(statement: Sql): Promise<T[]> {
    try {
      const result = await this.client.query({ query: statement.text, format: 'JSON' });
      const body = await result.json<T>();
      return coerceRows(body.meta ?? [], body.data);
    } catch (error) {
      throw queryError(error, statement.text);
    }
  }

  async command(statement: Sql): Promise<void> {
    try {
      await this.client.command({ query: statement.text });
    } catch (error) {
      throw queryError(error, statement.text);
    }
  }

  /** TabSeparated text into a (temporary) table of the session. */
  async insertText(table: Sql, columns: readonly string[], text: Buffer): Promise<void> {
    try {
      await this.client.insert({
        table: table.text,
        columns: columns as [string, ...string[]],
        values: Readable.from([text], { objectMode: false }),
        format: 'TabSeparated',
        clickhouse_settings: this.connection.profile.insert,
      });
    } catch (error) {
      throw queryError(error, `INSERT INTO ${table.text}`);
    }
  }

  async close(): Promise<void> {
    // chdb's connection is shared: only a server's client of its own is closed.
    if (this.connection.engine === 'server') await this.client.close();
  }
}

export function connectClickHouse(url: string, options?: ConnectOptions): Promise<ClickHouseConnection> {
  return ClickHouseConnection.open(url, options);
}

const QUIET = { level: ClickHouseLogLevel.OFF };

type ChdbConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
interface ChdbConnectionModule {
  createChdbConnection(options: { path: string }): ChdbConnection;
}

// chdb keeps one live data directory per process, and closing a client closes its connection: the
// connection is made once per path and shared by every client of that path.
const chdbConnections = new Map<string, { connection: ChdbConnection; users: number }>();

async function chdbConnection(path: string): Promise<ChdbConnection> {
  const shared = chdbConnections.get(path);
  if (shared) {
    shared.users++;
    return shared.connection;
  }
  const specifier = 'chdb/connection'; // a variable: chdb is optional, typecheck and bundlers must not need it
  let chdb: ChdbConnectionModule;
  try {
    chdb = (await import(specifier)) as ChdbConnectionModule;
  } catch {
    throw new ClickHouseStoreError('chdb-missing', 'chdb:PATH needs the optional package chdb (about 550 MB): npm install --no-save chdb@3.4.0');
  }
  const connection = chdb.createChdbConnection({ path });
  chdbConnections.set(path, { connection, users: 1 });
  return connection;
}

function serverClient(
  target: Extract<ClickHouseTarget, { kind: 'server' }>, index: number, settings: ClickHouseSettings, requestTimeoutMs: number, session?: string,
): ClickHouseClient {
  const n = target.nodes[index];
  return createClient({
    ...(session ? { session_id: session } : {}),
    url: `${target.protocol}://${n.host}:${n.port}`,
    username: target.user,
    password: target.password,
    clickhouse_settings: settings,
    request_timeout: requestTimeoutMs,
    log: QUIET,
  });
}

async function probe(node: ClickHouseNode): Promise<{ version: string; settings: string[] }> {
  const names = sql`${PROFILE_SETTINGS as unknown as string[]}`;
  const result = await node.client.query({
    query: `SELECT version() AS version, (SELECT groupArray(name) FROM system.settings WHERE has(${names.text}, name)) AS settings`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ version: string; settings: string[] }>();
  return row;
}

/** The shard number of each node, each checked to be a distinct shard of `cluster` (is_local there). */
async function shardNumbers(nodes: ClickHouseNode[], cluster: string): Promise<number[]> {
  const seen = await Promise.all(
    nodes.map(async (node) => {
      const result = await node.client.query({
        query: `SELECT count() AS shards, sumIf(shard_num, is_local = 1) AS local, countIf(is_local = 1) AS locals FROM system.clusters WHERE cluster = ${literal(cluster)}`,
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ shards: number | string; local: number | string; locals: number | string }>();
      return { name: node.name, shards: Number(row.shards), shard: Number(row.local), locals: Number(row.locals) };
    }),
  );
  for (const s of seen) {
    if (s.shards !== nodes.length) {
      throw new ClickHouseStoreError('cluster', `${s.name} lists ${s.shards} servers in cluster ${cluster}; the URL names ${nodes.length} (one per shard; replicas are not supported)`);
    }
    if (s.locals !== 1) throw new ClickHouseStoreError('cluster', `${s.name} is not one of the shards of cluster ${cluster} in its remote_servers`);
  }
  if (new Set(seen.map((s) => s.shard)).size !== nodes.length) throw new ClickHouseStoreError('cluster', `two nodes of the URL are the same shard of ${cluster}`);
  return seen.map((s) => s.shard);
}

type Convert = (value: unknown) => unknown;

/** A converter for values of a ClickHouse type whose JSON form is a string but whose value is a number. */
function converterFor(type: string, column: string): Convert | undefined {
  const wrapped = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(type);
  if (wrapped) {
    const inner = converterFor(wrapped[1], column);
    return inner && ((v) => (v === null ? null : inner(v)));
  }
  const array = /^Array\((.*)\)$/.exec(type);
  if (array) {
    const inner = converterFor(array[1], column);
    return inner && ((v) => (v as unknown[]).map(inner));
  }
  if (/^U?Int(64|128|256)$/.test(type)) {
    return (v) => {
      const n = typeof v === 'string' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
        throw new ClickHouseStoreError('unsafe-integer', `column ${column} (${type}) holds ${String(v)}, beyond exact numbers; select toString(...) instead`);
      }
      return n;
    };
  }
  return undefined;
}

function coerceRows<T extends object>(meta: ReadonlyArray<{ name: string; type: string }>, rows: T[]): T[] {
  const converters = meta.flatMap((m) => {
    const convert = converterFor(m.type, m.name);
    return convert ? [[m.name, convert] as const] : [];
  });
  if (converters.length === 0) return rows;
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    for (const [name, convert] of converters) r[name] = convert(r[name]);
  }
  return rows;
}

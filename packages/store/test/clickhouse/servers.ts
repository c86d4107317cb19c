/**
 * Real `clickhouse-server` processes for tests and benchmarks: one server, or a cluster of several
 * server processes on 127.0.0.1 whose `remote_servers` name each other as shards, so that a
 * `Distributed` table really spreads rows by its sharding key. Each server gets a generated config
 * (data, logs and users under a temp dir, free ports for HTTP, TCP and interserver) and is ready
 * when /ping answers (~100 ms on Debian's 18.16).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ClickHouseUser {
  name: string;
  password: string;
}

export interface ClickHouseServer {
  readonly host: '127.0.0.1';
  readonly httpPort: number;
  readonly tcpPort: number;
  readonly dir: string;
  /** `http://127.0.0.1:PORT`, for @clickhouse/client or curl. */
  readonly httpUrl: string;
  readonly pid: number;
  /**
   * Ends the server and removes its temp dir. By default at once (SIGKILL: its data is thrown away
   * anyway); with `graceMs`, SIGTERM first (18.16 then waits up to 5 s for idle keep-alive clients).
   */
  stop(graceMs?: number): Promise<void>;
  /** Lines of the server's error log, for failure messages. */
  errorLog(): string;
}

export interface ClickHouseCluster {
  /** The name under `remote_servers`, as `Distributed(NAME, ...)` needs it. */
  readonly name: string;
  /** One server process per shard, in shard order. */
  readonly nodes: readonly ClickHouseServer[];
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Users besides `default` (no password), each allowed from 127.0.0.1. */
  users?: ClickHouseUser[];
}

const BINARY = 'clickhouse-server';
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;
const running = new Map<ChildProcess, string>(); // process -> its temp dir
let exitHookInstalled = false;

/** Why servers cannot be started here, or undefined when `clickhouse-server` is installed. */
export function clickHouseServerMissing(): string | undefined {
  const probe = spawnSync(BINARY, ['--help'], { stdio: 'ignore' });
  if (probe.error) return `${BINARY} is not installed (apt-get install clickhouse-server; .ci/run does it)`;
  return undefined;
}

export async function startClickHouseServer(options: ServerOptions = {}): Promise<ClickHouseServer> {
  const [server] = await startNodes(1, undefined, options);
  return server;
}

/** `shards` server processes, each with the cluster `name` listing all of them as its shards. */
export async function startClickHouseCluster(shards = 2, options: ServerOptions & { name?: string } = {}): Promise<ClickHouseCluster> {
  const name = options.name ?? 'brazen';
  const nodes = await startNodes(shards, name, options);
  return { name, nodes, stop: async () => void (await Promise.all(nodes.map((n) => n.stop()))) };
}

interface Ports {
  http: number;
  tcp: number;
  interserver: number;
}

async function startNodes(count: number, cluster: string | undefined, options: ServerOptions): Promise<ClickHouseServer[]> {
  // A port found free can be taken by another process before the server binds it: try again with new ones.
  for (let attempt = 1; ; attempt++) {
    const ports = await freePortSets(count);
    const started = await Promise.allSettled(ports.map((p) => startNode(p, cluster ? { name: cluster, tcpPorts: ports.map((q) => q.tcp) } : undefined, options)));
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    if (failed.length === 0) return ok;
    await Promise.all(ok.map((s) => s.stop()));
    if (attempt === 3 || !failed.every((e) => /address already in use/i.test(e.message))) throw failed[0];
  }
}

async function startNode(ports: Ports, cluster: { name: string; tcpPorts: number[] } | undefined, options: ServerOptions): Promise<ClickHouseServer> {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-clickhouse-'));
  writeFileSync(join(dir, 'config.xml'), serverConfig(dir, ports, cluster));
  writeFileSync(join(dir, 'users.xml'), usersConfig(options.users ?? []));
  const child = spawn(BINARY, [`--config-file=${join(dir, 'config.xml')}`], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  running.set(child, dir);
  installExitHook();
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  const errorLog = () => {
    try {
      return readFileSync(join(dir, 'err.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const httpUrl = `http://${HOST}:${ports.http}`;
  const stop = async (graceMs = 0) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPing(httpUrl, exited, () => `${output}\n${errorLog()}`);
  } catch (error) {
    await stop(0);
    throw error;
  }
  return { host: HOST, httpPort: ports.http, tcpPort: ports.tcp, dir, httpUrl, pid: child.pid!, stop, errorLog };
}

async function waitForPing(httpUrl: string, exited: Promise<number | null>, log: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`clickhouse-server exited before answering /ping: ${log().slice(-2000)}`);
    try {
      const res = await fetch(`${httpUrl}/ping`);
      if (res.ok && (await res.text()).startsWith('Ok.')) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 15));
  }
  throw new Error(`clickhouse-server did not answer /ping within ${READY_TIMEOUT_MS} ms: ${log().slice(-2000)}`);
}

function serverConfig(dir: string, ports: Ports, cluster: { name: string; tcpPorts: number[] } | undefined): string {
  const shards = cluster
    ? `<remote_servers><${cluster.name}>${cluster.tcpPorts
        .map((p) => `<shard><replica><host>${HOST}</host><port>${p}</port></replica></shard>`)
        .join('')}</${cluster.name}></remote_servers>`
    : '';
  // Caches far below Debian's defaults (5 and 8 GB): several servers share a small machine.
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/err.log</errorlog><size>10M</size><count>1</count></logger>
  <listen_host>${HOST}</listen_host>
  <http_port>${ports.http}</http_port>
  <tcp_port>${ports.tcp}</tcp_port>
  <interserver_http_port>${ports.interserver}</interserver_http_port>
  <interserver_http_host>${HOST}</interserver_http_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  ${shards}
</yandex>
`;
}

function usersConfig(users: ClickHouseUser[]): string {
  const user = (name: string, password: string) =>
    `<${name}><password>${xmlText(password)}</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></${name}>`;
  return `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>${user('default', '')}${users.map((u) => user(u.name, u.password)).join('')}</users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;
}

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `count` sets of three distinct free ports, all held open together so that none repeats. */
async function freePortSets(count: number): Promise<Ports[]> {
  const holders: Server[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < count * 3; i++) {
      const srv = createServer();
      holders.push(srv);
      await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, HOST, () => resolve()));
      ports.push((srv.address() as { port: number }).port);
    }
  } finally {
    await Promise.all(holders.map((s) => new Promise((r) => s.close(r))));
  }
  return Array.from({ length: count }, (_, i) => ({ http: ports[3 * i], tcp: ports[3 * i + 1], interserver: ports[3 * i + 2] }));
}

// A test process that dies (or forgets stop()) must not leave servers behind.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [child, dir] of running) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

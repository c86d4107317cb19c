/**
 * Store URLs of the ClickHouse engine:
 *
 *   clickhouse://[USER[:PASSWORD]@]HOST:HTTP_PORT[,HOST:HTTP_PORT...]/DATABASE[?cluster=NAME]
 *   clickhouses://...                      the same over HTTPS
 *   chdb:PATH[?database=NAME]              in-process chdb (optional package) keeping its data in PATH
 *
 * Several hosts name the nodes of one cluster, one per shard: statements that create tables go to
 * every node (18.16 has no ON CLUSTER without ZooKeeper), queries go to the first. `cluster` is the
 * name of the cluster in the servers' `remote_servers`; without it the nodes are independent
 * (one node: a single server). User and password come from the URL (percent-encoded), else from
 * BRAZEN_CLICKHOUSE_USER / BRAZEN_CLICKHOUSE_PASSWORD, else `default` with no password.
 */
import { ClickHouseStoreError } from './errors.ts';

export interface ClickHouseNodeAddress {
  host: string;
  port: number;
}

export type ClickHouseTarget =
  | {
      kind: 'server';
      protocol: 'http' | 'https';
      nodes: ClickHouseNodeAddress[];
      database: string;
      user: string;
      password: string;
      cluster?: string;
    }
  | { kind: 'chdb'; path: string; database: string };

export const DEFAULT_DATABASE = 'brazen';
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseClickHouseUrl(url: string, env: Record<string, string | undefined> = process.env): ClickHouseTarget {
  const fail = (why: string) => new ClickHouseStoreError('url', `store URL ${redact(url)}: ${why}`);
  if (url.startsWith('chdb:')) {
    const [path, query = ''] = splitOnce(url.slice('chdb:'.length), '?');
    if (!path) throw fail('chdb: needs a folder, e.g. chdb:.brazen/chdb');
    const database = new URLSearchParams(query).get('database') ?? DEFAULT_DATABASE;
    if (!NAME.test(database)) throw fail(`database "${database}" must be letters, digits and _`);
    return { kind: 'chdb', path: decodeURIComponent(path), database };
  }
  const m = /^(clickhouses?):\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/([^?#]*))?(?:\?([^#]*))?$/.exec(url);
  if (!m) throw fail('expected clickhouse://HOST:PORT/DATABASE, clickhouses://... or chdb:PATH');
  const [, scheme, auth, hosts, path = '', query = ''] = m;
  const nodes = hosts.split(',').map((hostPort) => {
    const hp = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(hostPort);
    if (!hp || Number(hp[2]) < 1 || Number(hp[2]) > 65535) throw fail(`"${hostPort}" is not HOST:HTTP_PORT`);
    return { host: hp[1], port: Number(hp[2]) };
  });
  const database = decodeURIComponent(path) || DEFAULT_DATABASE;
  if (!NAME.test(database)) throw fail(`database "${database}" must be letters, digits and _`);
  const params = new URLSearchParams(query);
  const cluster = params.get('cluster') ?? undefined;
  if (cluster !== undefined && !NAME.test(cluster)) throw fail(`cluster "${cluster}" must be letters, digits and _`);
  if (nodes.length > 1 && cluster === undefined) throw fail('several hosts need ?cluster=NAME (the remote_servers entry that lists them)');
  let user = env.BRAZEN_CLICKHOUSE_USER || 'default';
  let password = env.BRAZEN_CLICKHOUSE_PASSWORD ?? '';
  if (auth !== undefined) {
    const [u, p] = splitOnce(auth, ':');
    try {
      user = decodeURIComponent(u) || user;
      if (p !== undefined) password = decodeURIComponent(p);
    } catch {
      throw fail('user or password is not valid percent-encoding');
    }
  }
  return { kind: 'server', protocol: scheme === 'clickhouses' ? 'https' : 'http', nodes, database, user, password, ...(cluster ? { cluster } : {}) };
}

/** The URL with its password replaced, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/^(clickhouses?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

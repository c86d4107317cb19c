import type { Store } from './ports.ts';
import type { Leases } from './leases.ts';

/** How an engine is opened: the part of the `--store` URL after `NAME:` and the process's settings. */
export interface EngineOptions {
  /** Epoch milliseconds; injected by tests. */
  now?: () => number;
  /** The engine's memory limit where it has one, e.g. `1GB`. */
  memoryLimit?: string;
  /** Told before a long one-time upgrade of stored data. */
  onUpgrade?: (what: string) => void;
  /** Leases shared by the brazen processes of one store (Redis); an engine that several processes
   * share needs them, one process alone uses leases in memory. */
  leases?: Leases;
}

export interface Engine {
  /** The URL scheme that chooses it (`duckdb`, `clickhouse`). */
  readonly name: string;
  /** What a URL of this engine looks like, for error messages and `--help`. */
  readonly example: string;
  open(url: string, options: EngineOptions): Promise<Store>;
}

const engines = new Map<string, Engine>();

/** Registers an engine under its name (a later registration of the same name replaces it). */
export function registerEngine(engine: Engine): void {
  engines.set(engine.name, engine);
}

export function registeredEngines(): Engine[] {
  return [...engines.values()];
}

/** The engine a `--store` URL names: `duckdb:PATH`, `clickhouse://HOST:PORT/DATABASE`, ... */
export function engineOf(url: string): Engine {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const engine = scheme === undefined ? undefined : engines.get(scheme);
  if (!engine) {
    const known = registeredEngines().map((e) => e.example).join(', ');
    throw new Error(`--store ${url} names no engine brazen knows (${known})`);
  }
  return engine;
}

/** Opens the store a URL names. */
export function openStore(url: string, options: EngineOptions = {}): Promise<Store> {
  return engineOf(url).open(url, options);
}

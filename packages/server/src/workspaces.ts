import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { DEFAULT_WORKSPACE, type Store, type Workspace, type WorkspaceInfo, type WorkspaceStates, type WorkspaceStore } from '@brazen/store';
import { ApiContext } from './context.ts';
import type { ExportRunnerOptions } from './export/runner.ts';
import { keptWork, ProfileKeeper, type ProfileKeeperOptions } from './export/profile-keeper.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The workspaces this server answers for, each with its context (tests reach them here). */
    workspaces: WorkspaceContexts;
  }
}

export interface WorkspaceContextOptions {
  /** Epoch milliseconds. */
  now: () => number;
  /** Exports of the default workspace go to `dir`, those of workspace NAME to `dir/workspaces/NAME`. */
  exports: ExportRunnerOptions;
  /** When kept profiles are brought up to date (engines that keep them). */
  profiles?: ProfileKeeperOptions;
  log?: FastifyBaseLogger;
}

/** One workspace as the server serves it: its context, its profile keeper, and its requests under way. */
interface Served {
  ctx: ApiContext;
  keeper?: ProfileKeeper;
  /** Requests running in the workspace. */
  inFlight: number;
  /** Called when `inFlight` falls to 0. */
  drained?: () => void;
  /** Set while the workspace changes as a whole (reset, restore): new requests wait on it. */
  changing?: Promise<void>;
  started: boolean;
}

/**
 * Every workspace's context, made on first use from the store's workspace of that name: its
 * definitions cache, its export runner (its own export folder) and its profile keeper. A request
 * runs in the context of its key's workspace (`use`); a reset or a restore (`change`) has the
 * workspace alone: new requests wait, those under way finish, its background work stops, and the
 * workspace is served anew from the store afterwards.
 */
export class WorkspaceContexts {
  private readonly served = new Map<string, Served>();
  private started = false;

  constructor(
    private readonly store: Store,
    private readonly options: WorkspaceContextOptions,
  ) {}

  /** Every workspace of the store, `default` first. */
  list(): Promise<WorkspaceInfo[]> {
    return this.store.workspaces();
  }

  /** Makes a workspace in the store; it is served from its first request. */
  create(name: string, doc: Workspace): Promise<WorkspaceStore> {
    return this.store.createWorkspace(name, doc);
  }

  /** Reset and snapshots, when the store has them (used through `change`). */
  get states(): WorkspaceStates | undefined {
    return this.store.states;
  }

  /** The context of a workspace (a StoreError `not_found` when the store has none of that name). */
  context(name: string = DEFAULT_WORKSPACE): ApiContext {
    return this.get(name).ctx;
  }

  /** The keeper of a workspace's kept profiles, when the engine keeps them. */
  keeper(name: string = DEFAULT_WORKSPACE): ProfileKeeper | undefined {
    return this.get(name).keeper;
  }

  /** Runs a request's work in its workspace, after any change of the workspace under way. */
  async use<T>(name: string, work: (ctx: ApiContext) => Promise<T>): Promise<T> {
    let served = this.get(name);
    while (served.changing) {
      await served.changing;
      served = this.get(name);
    }
    served.inFlight += 1;
    try {
      return await work(served.ctx);
    } finally {
      served.inFlight -= 1;
      if (served.inFlight === 0) served.drained?.();
    }
  }

  /**
   * The workspace for work that outlives a request (a bucket followed into it): each call of its
   * data and catalog runs like a request, in the workspace as it is then (after a reset or a
   * restore the store gives a new one) and never during a change of it.
   */
  gated(name: string = DEFAULT_WORKSPACE): WorkspaceStore {
    const through = <P extends 'data' | 'catalog'>(part: P): WorkspaceStore[P] =>
      new Proxy({} as WorkspaceStore[P], {
        // Not a promise (`then`), nor anything but a method name.
        get: (_target, method) => (typeof method !== 'string' || method === 'then' ? undefined : (...args: unknown[]) =>
          this.use(name, async (ctx) => (ctx.store[part] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method](...args))),
      });
    return { name, data: through('data'), catalog: through('catalog') };
  }

  /** Runs `change` with the workspace to itself (see the class); one change at a time. */
  async change<T>(name: string, change: () => Promise<T>): Promise<T> {
    let served = this.get(name);
    while (served.changing) {
      await served.changing;
      served = this.get(name);
    }
    let changed = () => undefined as void;
    served.changing = new Promise<void>((resolve) => {
      changed = resolve;
    });
    try {
      if (served.inFlight > 0) {
        await new Promise<void>((resolve) => {
          served.drained = resolve;
        });
      }
      await served.keeper?.stop();
      await served.ctx.exports.stop();
      return await change();
    } finally {
      // Served anew whatever happened: a change that failed may have changed part of it.
      this.served.delete(name);
      try {
        if (this.started) this.start(this.get(name));
      } finally {
        served.changing = undefined;
        changed();
      }
    }
  }

  /** Starts the background work of every workspace (the server is ready). */
  async startAll(): Promise<void> {
    this.started = true;
    for (const { name } of await this.store.workspaces()) this.start(this.get(name));
  }

  async closeAll(): Promise<void> {
    this.started = false;
    for (const served of this.served.values()) {
      await served.keeper?.stop();
      await served.ctx.exports.stop();
    }
  }

  /** A request came: profile keepers wait for a quiet moment (they share the machine). */
  requestArrived(): void {
    for (const served of this.served.values()) served.keeper?.request();
  }

  /** A request may have changed the workspace's data. */
  dataChanged(name: string): void {
    this.served.get(name)?.keeper?.changed();
  }

  /** Whether any workspace's export runs or waits. */
  get exporting(): boolean {
    return [...this.served.values()].some((s) => s.ctx.exports.busy);
  }

  private get(name: string): Served {
    let served = this.served.get(name);
    if (served) return served;
    const workspace = this.store.workspace(name);
    const dir = name === DEFAULT_WORKSPACE ? this.options.exports.dir : join(this.options.exports.dir, 'workspaces', name);
    const ctx = new ApiContext(workspace, this.store.keys, this.options.now, { ...this.options.exports, dir });
    served = { ctx, inFlight: 0, started: false };
    const kept = keptWork(workspace);
    if (kept) {
      // One keeper at a time, and none while an export runs: they share the machine.
      const self = served;
      const busy = this.options.profiles?.busy;
      served.keeper = new ProfileKeeper(kept, {
        ...this.options.profiles,
        busy: () => busy?.() === true || this.exporting || [...this.served.values()].some((s) => s !== self && s.keeper?.refreshing),
      });
    }
    this.served.set(name, served);
    if (this.started) this.start(served);
    return served;
  }

  private start(served: Served): void {
    if (served.started) return;
    served.started = true;
    served.ctx.exports.resume().catch((error: unknown) => this.options.log?.error({ err: error }, 'export jobs could not be resumed'));
    served.keeper?.changed();
  }
}

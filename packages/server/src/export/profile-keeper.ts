import type { KeptProfiles, WorkspaceStore } from '@brazen/store';

/** Timers, injected by tests. */
export interface KeeperClock {
  /** Epoch milliseconds. */
  now(): number;
  setTimer(run: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

export interface ProfileKeeperOptions {
  /** Quiet time (ms, no request) after a change before kept profiles are brought up to date
   * (default 30 s); `false` never does it in the background (an export still does it for its members). */
  idleMs?: number | false;
  /** Users whose profiles are computed between two checks for new requests. */
  batchUsers?: number;
  clock?: KeeperClock;
  /** Other background work that should have the machine first (a user export running). */
  busy?: () => boolean;
}

/** What a workspace keeps that a quiet server brings up to date: its tracked segments first (a
 * catch-up is quick, and series read them), then its profiles; undefined when it keeps neither. */
export function keptWork(workspace: WorkspaceStore): KeptProfiles | undefined {
  const { keptSegments, keptProfiles } = workspace;
  if (!keptSegments) return keptProfiles;
  return {
    refresh: async (options) => {
      const segments = await keptSegments.refresh(options);
      return segments + (keptProfiles && !options?.stop?.() ? await keptProfiles.refresh(options) : 0);
    },
  };
}

const systemClock: KeeperClock = {
  now: () => Date.now(),
  setTimer: (run, ms) => setTimeout(run, ms).unref(),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/**
 * Keeps the user profiles that exports read up to date while the server is quiet: after data
 * changed and no request came for `idleMs`, it computes the profiles that are missing or stale,
 * batch by batch; when a request arrives or a user export starts, the batch under way is cut short
 * (rolled back) and the rest waits for the next quiet moment. The work is the store's
 * (`refreshProfiles`); this only picks the moment.
 */
export class ProfileKeeper {
  private readonly clock: KeeperClock;
  private readonly idleMs: number | false;
  private lastRequest: number;
  private timer: unknown;
  private pending = false;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly profiles: KeptProfiles,
    private readonly options: ProfileKeeperOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.idleMs = options.idleMs ?? 30_000;
    this.lastRequest = this.clock.now();
  }

  /** A request arrived: the server is not quiet. */
  request(): void {
    this.lastRequest = this.clock.now();
  }

  /** Data may have changed: profiles are brought up to date at the next quiet moment. */
  changed(): void {
    if (this.idleMs === false || this.stopped) return;
    this.pending = true;
    if (this.timer === undefined && !this.running) this.arm(this.idleMs);
  }

  /** Whether a refresh is under way. */
  get refreshing(): boolean {
    return this.running !== undefined;
  }

  /** Resolves once no refresh is running or waiting to run (tests). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Cuts the batch under way short and starts nothing more. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.settled();
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimer(() => this.fire(), ms);
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stopped || this.idleMs === false) return;
    const quietFor = this.clock.now() - this.lastRequest;
    if (quietFor < this.idleMs || this.options.busy?.()) {
      this.arm(quietFor < this.idleMs ? this.idleMs - quietFor : this.idleMs);
      return;
    }
    this.pending = false;
    const started = this.clock.now();
    const interrupted = () => this.stopped || this.lastRequest > started || this.options.busy?.() === true;
    this.running = this.profiles
      .refresh({ stop: interrupted, batchUsers: this.options.batchUsers })
      .then(
        () => undefined,
        () => undefined, // a failed batch is rolled back; its users stay due for the next time
      )
      .then(() => {
        this.running = undefined;
        // Interrupted, or data changed meanwhile: again at the next quiet moment.
        if (!this.stopped && (this.pending || this.lastRequest > started || this.options.busy?.())) this.changed();
      });
  }
}

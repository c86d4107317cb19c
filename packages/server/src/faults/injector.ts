import { mulberry32 } from './random.ts';
import { parseFaultRules, type FaultRule } from './rules.ts';

/**
 * The faults of one workspace: the rules set per API key (by the key's name) and the seeded generator
 * every `;p=` rule draws from, in the order requests reach it. Kept in
 * memory: a restart forgets the rules and starts the sequence again.
 */
export class FaultInjector {
  private random: () => number;
  private drawn = 0;
  private readonly byKey = new Map<string, { text: string; rules: FaultRule[] }>();

  constructor(private seed: number) {
    this.random = mulberry32(seed);
  }

  /** The next number of the sequence, in [0, 1). */
  readonly draw = (): number => {
    this.drawn += 1;
    return this.random();
  };

  /** Starts the sequence again from `seed`. */
  reseed(seed: number): void {
    this.seed = seed;
    this.random = mulberry32(seed);
    this.drawn = 0;
  }

  /** Sets the rules of every key of that name (none clears them); throws FaultRuleError. */
  setKeyRules(keyName: string, text: string): void {
    const rules = parseFaultRules(text);
    if (rules.length === 0) this.byKey.delete(keyName);
    else this.byKey.set(keyName, { text: rules.map((r) => r.text).join(','), rules });
  }

  keyRules(keyName: string): FaultRule[] {
    return this.byKey.get(keyName)?.rules ?? [];
  }

  state(): { seed: number; draws: number; faults: Array<{ key_name: string; rules: string }> } {
    return {
      seed: this.seed,
      draws: this.drawn,
      faults: [...this.byKey].map(([key_name, { text }]) => ({ key_name, rules: text })),
    };
  }
}

/**
 * The faults of each workspace apart: rules set by a key name of one workspace never reach a key of
 * that name in another, and each workspace draws from a generator of its own (all seeded alike), so
 * that tests running against two workspaces at once repeat exactly.
 */
export class FaultInjectors {
  private readonly byWorkspace = new Map<string, FaultInjector>();

  constructor(private readonly seed: number) {}

  of(workspace: string): FaultInjector {
    let injector = this.byWorkspace.get(workspace);
    if (!injector) {
      injector = new FaultInjector(this.seed);
      this.byWorkspace.set(workspace, injector);
    }
    return injector;
  }
}

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultDemoEnd, seedNumber, storeDemo, type DemoProgress, type DemoStep, type DemoSummary } from '@brazen/demo';
import type { WorkspaceStore } from '@brazen/store';
import { MEMORY_LIMIT_HELP, openStore, storeUrl, useWorkspace, WORKSPACE_NAME_HELP } from './open-store.ts';
import { dataDirDefault, memorySize, positiveInteger, timeZone, utcDate, workspaceName } from './options.ts';
import { keepUpToDate } from './keep.ts';
import { progressBar } from './progress.ts';

export interface DemoSettings {
  users: number;
  days: number;
  seed: string;
  /** Epoch seconds of the UTC midnight ending the period; default: the end of today (UTC). */
  end?: number;
  timeZone?: string;
}

export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description('Build a realistic demo workspace (seeded, deterministic) into the data folder')
    .option('-u, --users <n>', 'number of users', positiveInteger(16_000_000), 10_000)
    .option('--days <n>', 'days of history', positiveInteger(3650), 90)
    .option('-s, --seed <seed>', 'seed: the same seed and end date give the same data, byte for byte', '1')
    .option('--end <date>', 'UTC date (YYYY-MM-DD) the history ends before (default: tomorrow, so today is the last day, and the history stops at the moment of the build)', utcDate)
    .option('--time-zone <zone>', 'IANA time zone of the workspace', timeZone, 'UTC')
    .option('-d, --data <dir>', 'data folder (must hold no events yet)', dataDirDefault())
    .option('--memory-limit <size>', MEMORY_LIMIT_HELP, memorySize, process.env.BRAZEN_MEMORY_LIMIT)
    .option('--workspace-name <name>', WORKSPACE_NAME_HELP, workspaceName)
    .addHelpText('after', '\nExample: brazen demo --users 10000 --days 90 --seed 7 --data ./demo-data')
    .action(async (options: DemoSettings & { data: string; memoryLimit?: string; workspaceName?: string }) => {
      const dataDir = resolve(options.data);
      const store = await openStore(storeUrl(undefined, dataDir), options.memoryLimit, undefined, 'stop it, or build the demo into another folder (--data) and serve that');
      try {
        const workspace = await useWorkspace(store, options.workspaceName, options.timeZone);
        const held = await workspace.data.recordCount();
        const where = workspace.name === 'default' ? `the data folder ${dataDir}` : `workspace ${workspace.name} of ${dataDir}`;
        if (held > 0) throw new Error(`${where} already holds ${held} events: build the demo into an empty folder (--data DIR) or workspace (--workspace-name NAME)`);
        const { summary } = await buildDemoWorkspace(workspace, options, 'complete');
        process.stdout.write(`${describeDemo(summary)}\n`);
        const kept = await keepUpToDate(workspace);
        process.stdout.write(`${kept ? `${kept}\n` : ''}Serve it with: brazen serve --data ${options.data}\n`);
      } finally {
        await store.close();
      }
    });
}

/**
 * Builds the demo into an open store, with a progress bar on stderr. Resolves once the store has
 * acknowledged every record (`until: 'acknowledged'`: its reads answer for all of them, and the rest
 * of the build is `complete`) or once the build is complete; `seconds` is the time until then.
 */
export async function buildDemoWorkspace(
  store: WorkspaceStore, settings: DemoSettings, until: 'acknowledged' | 'complete', onStep?: (step: DemoStep, chunk?: number) => void,
): Promise<{ summary: DemoSummary & { seconds: number }; complete: Promise<void> }> {
  const started = performance.now();
  const now = Date.now();
  const bar = progressBar('demo', settings.users, 'users');
  try {
    const { summary, complete } = await storeDemo(store, {
      users: settings.users,
      days: settings.days,
      seed: seedNumber(settings.seed),
      // Without --end the period ends with today, and stops at this moment: no record in the future.
      ...(settings.end === undefined ? { end: defaultDemoEnd(now), until: Math.floor(now / 1000) } : { end: settings.end }),
      timeZone: settings.timeZone,
      // A chunk handed to the store gets its line: storing is most of the build.
      onProgress: (p) => bar.update(p.usersDone, demoProgressDetail(p), p.storing > 0),
      onStep,
    });
    if (until === 'complete') await complete;
    return { summary: { ...summary, seconds: (performance.now() - started) / 1000 }, complete };
  } finally {
    bar.stop();
  }
}

/** What a demo build is doing, beside the bar of stored users. */
export function demoProgressDetail(p: DemoProgress): string {
  const stored = `${p.records.toLocaleString('en-US')} records stored`;
  if (p.storing > 0) return `${stored}, storing ${p.storing.toLocaleString('en-US')} more`;
  if (p.simulated > p.usersDone) return `${stored}, simulating users: ${p.simulated.toLocaleString('en-US')} of ${p.users.toLocaleString('en-US')}`;
  return stored;
}

export function describeDemo(s: DemoSummary & { seconds: number }): string {
  const from = new Date(s.plan.start * 1000).toISOString().slice(0, 10);
  const to = new Date((s.plan.options.end - 86_400) * 1000).toISOString().slice(0, 10);
  return `Demo workspace: ${s.users} users, ${s.days} days (${from} to ${to}), ${s.stored} Currents records and ${s.attributes} attribute updates, built in ${s.seconds.toFixed(1)} s.`;
}

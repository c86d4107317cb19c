import { Command, CommanderError } from 'commander';
import { serveCommand } from './serve.ts';
import { demoCommand } from './demo.ts';
import { importCommand } from './import.ts';
import { exportCommand } from './export.ts';

/** Exit codes: 0 done, 1 failed at run time, 2 bad usage. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('brazen')
    .description('The Braze Export REST API, self-hosted, answered from real data.')
    .exitOverride()
    .showHelpAfterError('(run brazen --help for usage)');
  serveCommand(program);
  demoCommand(program);
  importCommand(program);
  exportCommand(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return 0;
      return 2;
    }
    process.stderr.write(`brazen: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

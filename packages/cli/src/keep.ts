import type { WorkspaceStore } from '@brazen/store';
import { progressBar } from './progress.ts';

/**
 * After a bulk load (a demo build, an import into the data folder): what the store keeps brought up
 * to date before the command ends (the tracked segments' histories, then the export profiles), so
 * that the first segment series and the first export after it read instead of computing. Answers a
 * line saying what it took.
 */
export async function keepUpToDate(workspace: WorkspaceStore): Promise<string | undefined> {
  const parts: string[] = [];
  if (workspace.keptSegments) {
    const started = performance.now();
    process.stderr.write('keeping the tracked segments\' histories...\n');
    const segments = await workspace.keptSegments.refresh();
    parts.push(`${segments} tracked segment histories in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  if (workspace.keptProfiles) {
    const started = performance.now();
    let bar: ReturnType<typeof progressBar> | undefined;
    let catchUp: ReturnType<typeof progressBar> | undefined;
    try {
      const profiles = await workspace.keptProfiles.refresh({
        onProgress: (done, total) => (bar ??= progressBar('keeping profiles', total, 'users')).update(done),
        onCatchUp: (what, done, total) => {
          if (!catchUp) {
            bar?.stop();
            bar = undefined;
          }
          (catchUp ??= progressBar(what, total, 'files')).update(done);
        },
      });
      parts.push(`${profiles.toLocaleString('en-US')} export profiles in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      bar?.stop();
      catchUp?.stop();
    }
  }
  return parts.length > 0 ? `Kept ${parts.join(' and ')}.` : undefined;
}

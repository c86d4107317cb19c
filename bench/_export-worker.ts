/** Child of bench/export.ts: what a quiet server does in the background, every user's profile
 * computed and kept (`KeptProfiles.refresh`; in a folder kept before the blocks, its line files
 * compressed in blocks once), then its count, the line files caught up and the duration as JSON. */
import { DuckDbStore } from '@brazen/store';

const store = await DuckDbStore.open({ dataDir: process.argv[2], memoryLimit: process.env.BENCH_DUCKDB_MEMORY ?? '1GB' });
const started = performance.now();
let caughtUp = 0;
const kept = await store.refresh({
  onCatchUp: (what, done, total) => {
    caughtUp = total;
    if (done === total || done % 10 === 0) process.stderr.write(`${what}: ${done} of ${total} files\n`);
  },
});
await store.close();
process.stdout.write(`${JSON.stringify({ kept, caughtUp, seconds: (performance.now() - started) / 1000 })}\n`);

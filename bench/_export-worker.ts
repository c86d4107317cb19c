/** Child of bench/export.ts: what a quiet server does in the background, every user's profile
 * computed and kept (`KeptProfiles.refresh`), then its count and duration as JSON. */
import { DuckDbStore } from '@brazen/store';

const store = await DuckDbStore.open({ dataDir: process.argv[2], memoryLimit: process.env.BENCH_DUCKDB_MEMORY ?? '1GB' });
const started = performance.now();
const kept = await store.refresh();
await store.close();
process.stdout.write(`${JSON.stringify({ kept, seconds: (performance.now() - started) / 1000 })}\n`);

/**
 * Demo workspace benchmark (issue 5): how long `brazen serve --demo` takes from the command to an
 * answering API on an empty folder, for BENCH_DEMO_USERS × BENCH_DEMO_DAYS (default 10,000 × 90;
 * the target is ≤ 6 s, issue 19). Baselines measured in the same run: the CLI's start-up alone (`brazen --help`)
 * and the simulator alone (records generated and serialised, no store). Then where the time goes: the
 * steps `serve --demo` printed (BRAZEN_TIMING=1), the demo built in this process (to the store's
 * acknowledgement, to its end, the writer's steps), and the store's part alone (every record in one
 * batch, then the attribute history, nothing else running): start-up + simulator + store, each alone,
 * is what the build costs when nothing overlaps.
 * The reference data (1M users × 100 days): BENCH_DEMO_USERS=1000000 BENCH_DEMO_DAYS=100 npm run bench -- demo.
 */
import { spawn } from 'node:child_process';
import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DuckDbStore, type AttributeRecord } from '@brazen/store';
import { demoWorkspace, simulateDemo, storeDemo } from '@brazen/demo';
import { envNumber, fmt, freshDir } from './_lib.ts';

const BIN = fileURLToPath(new URL('../packages/cli/bin/brazen.js', import.meta.url));
const END = Date.UTC(2024, 3, 1) / 1000;

/** Seconds from spawning `brazen ARGS` until `ready` appears on stdout (or the process ends); the
 * process is stopped once `until` appears too (its output meanwhile is kept). */
function timeCommand(args: string[], ready: string | undefined, until = ready): Promise<{ seconds: number; output: string }> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, BRAZEN_API_KEY: undefined, BRAZEN_TIMING: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let seconds: number | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      done({ seconds: seconds ?? (performance.now() - started) / 1000, output });
      if (ready) child.kill('SIGTERM');
    };
    const seen = () => {
      if (ready && seconds === undefined && output.includes(ready)) seconds = (performance.now() - started) / 1000;
      if (until && output.includes(until)) finish();
    };
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      seen();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
      seen();
    });
    child.on('close', (code) => (ready && !finished ? fail(new Error(`brazen exited ${code}: ${output}`)) : finish()));
  });
}

export async function run(): Promise<void> {
  const users = envNumber('BENCH_DEMO_USERS', 10_000);
  const days = envNumber('BENCH_DEMO_DAYS', 90);

  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (on ${cpus().length} CPUs)`);
  const help = await timeCommand(['--help'], undefined);
  console.log(`baseline: brazen --help (start-up: node, the bundled sources, their modules)   ${fmt(help.seconds, 2)} s`);

  let records = 0;
  let bytes = 0;
  const generated = performance.now();
  simulateDemo({ users, days, seed: 1, end: END }, {
    record: (r) => {
      records += 1;
      bytes += JSON.stringify(r).length + 1;
    },
    attributes: () => undefined,
  });
  const generation = (performance.now() - generated) / 1000;
  console.log(`baseline: simulator alone, ${fmt(users)} users × ${days} days   ${fmt(records)} records (${fmt(bytes / 1e6, 1)} MB NDJSON) in ${fmt(generation, 2)} s`);

  const dir = freshDir('demo-serve');
  const serve = await timeCommand(
    ['serve', '--demo', '--port', '0', '--log', 'warn', '--data', dir, '--demo-users', String(users), '--demo-days', String(days)], 'API reference:', 'timing: demo complete',
  );
  const built = /built in ([\d.]+) s/.exec(serve.output)?.[1];
  console.log(`brazen serve --demo, ${fmt(users)} users × ${days} days: ready in ${fmt(serve.seconds, 2)} s (demo build ${built ?? '?'} s; target ≤ 6 s)`);
  // Where the time goes, from the steps it printed (BRAZEN_TIMING=1): seconds since its process started.
  const steps = [...serve.output.matchAll(/brazen timing: (.+) at ([\d.]+) s/g)].map((m) => ({ step: m[1], at: Number(m[2]) }));
  console.log(`  steps of serve --demo (seconds since its process started): ${steps.map((s) => `${s.step} ${fmt(s.at, 2)}`).join(', ')}`);

  // Where the build's time goes, on a store opened in this process (skipped at the 1M reference size).
  if (users > 100_000) return;
  const store = await DuckDbStore.open({ dataDir: freshDir('demo-parts') });
  const t0 = performance.now();
  const { summary, complete } = await storeDemo(store.workspace(), { users, days, seed: 1, end: END });
  const acknowledged = (performance.now() - t0) / 1000;
  await complete;
  const total = (performance.now() - t0) / 1000;
  const writer = store.writeSteps.totals().map((s) => `${s.step} ${fmt(s.ms / 1000, 2)}`).join(', ');
  await store.close();
  console.log(
    `demo build in-process (as serve --demo builds it): ${fmt(summary.stored)} records acknowledged in ${fmt(acknowledged, 2)} s, complete in ${fmt(total, 2)} s; ` +
      `the writer's steps (s): ${writer}`,
  );
  // The store's part alone: every record in one batch (its cheapest form), then the attribute
  // history, on a fresh store with nothing else running. With the start-up and the simulator alone,
  // this is what `serve --demo` costs when nothing overlaps.
  const file = join(dir, 'all.ndjson');
  const lines: string[] = [];
  const attributes: AttributeRecord[] = [];
  const plan = simulateDemo({ users, days, seed: 1, end: END }, { record: (r) => void lines.push(JSON.stringify(r)), attributes: (a) => void attributes.push(a) });
  writeFileSync(file, lines.join('\n'));
  lines.length = 0;
  const alone = await DuckDbStore.open({ dataDir: freshDir('demo-alone') });
  await alone.putWorkspace(demoWorkspace(plan));
  const s0 = performance.now();
  const stored = await alone.ingestCurrents({ bytes: createReadStream(file, { highWaterMark: 1 << 20 }), format: 'ndjson' });
  const ingestAlone = (performance.now() - s0) / 1000;
  if (stored.errors.length > 0) throw new Error(`the store rejected ${stored.errors.length} demo records, e.g. ${stored.errors[0].message}`);
  const a0 = performance.now();
  await alone.track({ attributes, events: [], purchases: [] });
  const trackAlone = (performance.now() - a0) / 1000;
  await alone.close();
  const parts = help.seconds + generation + ingestAlone + trackAlone;
  console.log(
    `baseline: the store alone, one batch of ${fmt(stored.stored)} records ${fmt(ingestAlone, 2)} s, ${fmt(attributes.length)} attribute updates ${fmt(trackAlone, 2)} s; ` +
      `start-up + simulator + store, each alone: ${fmt(parts, 2)} s against serve --demo ready in ${fmt(serve.seconds, 2)} s`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

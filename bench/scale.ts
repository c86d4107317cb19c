/**
 * Scale benchmark (issue 24): the 1,000,000-user × 100-day demo built once into bench/.data/ by
 * `brazen demo` (reused by later runs; BENCH_SCALE_USERS / BENCH_SCALE_DAYS change the size).
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { BIN } from '../packages/server/test/cli-process.ts';
import { DATA_ROOT, envNumber, fmt } from './_lib.ts';

const SEED = '3';
const END = '2024-04-01';

/** Runs `brazen ARGS` to its end, its output passed through; rejects on a non-zero exit. */
function brazen(args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, BRAZEN_API_KEY: undefined }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`brazen ${args[0]} exited ${code}`))));
  });
}

/** The demo's data folder, built when missing (a `ready` file marks a finished build). */
export async function scaleData(users: number, days: number): Promise<string> {
  const dir = join(DATA_ROOT, `scale-${users}x${days}`);
  if (existsSync(join(dir, 'ready'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  await brazen(['demo', '--users', String(users), '--days', String(days), '--seed', SEED, '--end', END, '--data', dir]);
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(join(dir, 'ready'), JSON.stringify({ users, days, seed: SEED, end: END, seconds }));
  console.log(`built the ${fmt(users)}-user × ${days}-day demo in ${fmt(seconds, 1)} s`);
  return dir;
}

export async function run(): Promise<void> {
  const users = envNumber('BENCH_SCALE_USERS', 1_000_000);
  const days = envNumber('BENCH_SCALE_DAYS', 100);
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (on ${cpus().length} CPUs)`);
  await scaleData(users, days);
}

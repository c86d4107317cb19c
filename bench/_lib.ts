import { Random } from '@brazen/demo';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** CPU time used so far by process `pid` (user and system), in milliseconds, from /proc/PID/stat
 * (fields 14 and 15, in clock ticks of 1/100 s). */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export const DATA_ROOT = fileURLToPath(new URL('./.data/', import.meta.url));

/** A fresh folder under bench/.data/. */
export function freshDir(name: string): string {
  const dir = join(DATA_ROOT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function envNumber(name: string, fallback: number): number {
  const v = process.env[name];
  return v ? Number(v) : fallback;
}

/** A seeded stream of numbers in [0, 1): the demo simulator's mulberry32, so runs repeat. */
export function prng(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

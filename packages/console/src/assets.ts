/**
 * The console's files, for the server: built from the sources the first time they are asked for
 * (and again whenever a source is newer than the build), the way the CLI bundles itself, so that a
 * fresh clone serves the console without a build step and no built file is committed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildConsole, MANIFEST, type BuiltConsole } from './build.ts';

export interface ConsoleFile {
  body: Buffer;
  contentType: string;
  etag: string;
  /** Named by its content's hash: cached for a year. Otherwise revalidated on every load. */
  immutable: boolean;
}

/** Served files by URL path: `/` and `/assets/NAME`. */
export type ConsoleFiles = ReadonlyMap<string, ConsoleFile>;

/** This package's folder, found by name so that it is right also from inside the CLI's bundle. */
export function consolePackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@brazen/console/package.json'));
}

/** The files of a fresh build, building first if the sources changed since the last one. */
export async function consoleFiles(packageDir = consolePackageDir()): Promise<ConsoleFiles> {
  const dist = join(packageDir, 'dist');
  const built = isFresh(packageDir, dist) ? (JSON.parse(readFileSync(join(dist, MANIFEST), 'utf8')) as BuiltConsole) : await buildConsole(packageDir, dist);
  const file = (path: string, contentType: string, immutable: boolean): ConsoleFile => {
    const body = readFileSync(path);
    return { body, contentType, immutable, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
  };
  return new Map([
    ['/', file(join(dist, 'index.html'), 'text/html; charset=utf-8', false)],
    [`/assets/${built.script}`, file(join(dist, 'assets', built.script), 'text/javascript; charset=utf-8', true)],
    [`/assets/${built.stylesheet}`, file(join(dist, 'assets', built.stylesheet), 'text/css; charset=utf-8', true)],
  ]);
}

/** Whether the build is complete and newer than every source it is made of. */
function isFresh(packageDir: string, dist: string): boolean {
  const manifest = join(dist, MANIFEST);
  if (!existsSync(manifest)) return false;
  const built = statSync(manifest).mtimeMs;
  const sources = [join(packageDir, 'src'), join(packageDir, 'package.json'), join(packageDir, '..', 'client', 'src')];
  return !sources.some((path) => newerThan(path, built));
}

function newerThan(path: string, time: number): boolean {
  if (!existsSync(path)) return false;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs > time;
  return readdirSync(path).some((entry) => newerThan(join(path, entry), time));
}

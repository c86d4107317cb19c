// The bundle of brazen's sources (see brazen.js): kept fresh by modification times, written
// atomically so that commands started side by side never read half a file.
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CLI = dirname(dirname(fileURLToPath(import.meta.url)));
const PACKAGES = dirname(CLI);
const BUNDLE = join(CLI, 'dist', 'brazen.mjs');

/** `main` from the bundle, made or remade first if needed; undefined when it cannot be made. */
export async function bundledMain() {
  if (process.env.BRAZEN_NO_BUNDLE) return undefined;
  try {
    if (!isFresh()) await makeBundle();
    // Its source map is beside it: `NODE_OPTIONS=--enable-source-maps` gives stack traces in the
    // TypeScript sources (not on by default: mapping every logged error's stack costs time).
    return (await import(pathToFileURL(BUNDLE).href)).main;
  } catch {
    return undefined;
  }
}

function isFresh() {
  if (!existsSync(BUNDLE)) return false;
  const built = statSync(BUNDLE).mtimeMs;
  for (const name of readdirSync(PACKAGES)) {
    const dir = join(PACKAGES, name);
    if (newerThan(join(dir, 'package.json'), built) || newerThan(join(dir, 'src'), built)) return false;
  }
  return true;
}

/** Whether the file, or any file under the folder, changed after `time`. */
function newerThan(path, time) {
  if (!existsSync(path)) return false;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs > time;
  return readdirSync(path).some((entry) => newerThan(join(path, entry), time));
}

async function makeBundle() {
  const { build } = await import('esbuild');
  mkdirSync(dirname(BUNDLE), { recursive: true });
  const { outputFiles } = await build({
    entryPoints: [join(CLI, 'src', 'main.ts')],
    outfile: BUNDLE,
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'silent',
    // brazen's own packages are bundled; every other package is loaded from node_modules as usual.
    plugins: [{
      name: 'external-packages',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@brazen/') ? undefined : { path: a.path, external: true }));
      },
    }],
  });
  // The map first: a bundle is only taken as fresh once both are in place.
  const map = outputFiles.filter((f) => f.path.endsWith('.map'));
  for (const file of [...map, ...outputFiles.filter((f) => !map.includes(f))]) {
    const partial = `${file.path}.${process.pid}.tmp`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
  }
}

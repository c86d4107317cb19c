/**
 * Builds the console into dist/: one script and one stylesheet, named by their content's hash
 * (served as immutable), and index.html naming them (served with revalidation). Nothing in them
 * points at another host: uPlot and @brazen/client are bundled in.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface BuiltConsole {
  /** File names under dist/assets, by kind. */
  script: string;
  stylesheet: string;
}

/** The manifest is written last: a build is complete once it is there. */
export const MANIFEST = 'manifest.json';

export async function buildConsole(packageDir: string, outDir = join(packageDir, 'dist')): Promise<BuiltConsole> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(packageDir, 'src', 'app', 'main.ts')],
    outdir: join(outDir, 'assets'),
    entryNames: 'console-[hash]',
    bundle: true,
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: false,
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const names = result.outputFiles.map((f) => basename(f.path));
  const script = names.find((n) => n.endsWith('.js'));
  const stylesheet = names.find((n) => n.endsWith('.css'));
  if (!script || !stylesheet) throw new Error(`the console build made ${names.join(', ')}: a script and a stylesheet were expected`);

  mkdirSync(join(outDir, 'assets'), { recursive: true });
  // Files of earlier builds are left for a moment (a page being loaded may still ask for them), then
  // removed by the next build.
  for (const old of readdirSync(join(outDir, 'assets'))) if (!names.includes(old) && !old.endsWith('.tmp')) rmSync(join(outDir, 'assets', old), { force: true });
  for (const file of result.outputFiles) atomicWrite(file.path, file.contents);
  atomicWrite(join(outDir, 'index.html'), indexHtml(script, stylesheet));
  const built = { script, stylesheet };
  atomicWrite(join(outDir, MANIFEST), JSON.stringify(built));
  return built;
}

/** Written beside and renamed, so that builds started side by side never leave half a file. */
function atomicWrite(path: string, contents: string | Uint8Array): void {
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, contents);
  renameSync(partial, path);
}

const ICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='7' fill='%23d9480f'/%3E" +
  "%3Cpath d='M8 22l5-7 4 4 7-10' stroke='white' stroke-width='3' fill='none' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E";

function indexHtml(script: string, stylesheet: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>brazen console</title>
<link rel="icon" href="${ICON}">
<link rel="stylesheet" href="/assets/${stylesheet}">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"><p class="boot">Loading the brazen console…</p></div>
<noscript>The brazen console needs JavaScript. The API itself answers without it: see /docs.</noscript>
</body>
</html>
`;
}

#!/usr/bin/env node
// brazen runs from its TypeScript sources. esbuild bundles them into one module under dist/ the
// first time (and again whenever a source is newer than the bundle), so that a command starts in
// about a second instead of the two and a half that compiling each module on the fly with tsx takes;
// if the bundle cannot be made (a read-only install, say), tsx runs the sources directly.
import { bundledMain } from './bundle.js';

const main = (await bundledMain()) ?? (await sourcesMain());
process.exitCode = await main(process.argv.slice(2));

async function sourcesMain() {
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/main.ts')).main;
}

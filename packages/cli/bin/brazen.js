#!/usr/bin/env node
// brazen runs from its TypeScript sources: tsx compiles them on the fly (and caches them).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));

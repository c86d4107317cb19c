/**
 * @brazen/client, from its sources in this repository (its package exports a build that is made
 * only for publishing). esbuild bundles it into the console: the proof that the client runs in a browser.
 */
export * from '../../../client/src/index.ts';

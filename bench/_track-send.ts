/**
 * The /users/track senders of `bench core`, in a process of their own (as `_currents-send.ts` is for
 * /currents): the customers' machines do not share brazen's event loop, and sending from brazen's
 * process took about a twentieth of its main thread in the phase measured.
 *
 * Run: tsx bench/_track-send.ts URL KEY FILE SENDERS. FILE holds one request body a line. Writes to
 * stdout the line `sending` as the first request goes, and at the end one line of JSON: the
 * requests, objects and records sent, the seconds from the first request to the last answer, and
 * each request's latency in milliseconds, sorted.
 */
import { readFileSync } from 'node:fs';
import { trackLoad } from './_track-load.ts';

async function main(): Promise<void> {
  const [base, key, file, senders] = process.argv.slice(2);
  if (!base || !key || !file || !senders) throw new Error('usage: _track-send.ts URL KEY FILE SENDERS');
  const bodies = readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0);
  process.stdout.write('sending\n');
  const { started: _, ...load } = await trackLoad(base, { authorization: `Bearer ${key}` }, bodies, Number(senders));
  process.stdout.write(`${JSON.stringify(load)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

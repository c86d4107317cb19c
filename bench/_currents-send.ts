/**
 * The /currents senders of `bench core`, in a process of their own: Braze's delivery comes from
 * other machines, so the bodies read here, and the sockets' buffers, must not count in the memory
 * and CPU measured for brazen's process.
 *
 * Run: tsx bench/_currents-send.ts URL KEY FILE... Sends every file as one body, two requests in
 * flight, over node:http kept alive; writes progress to stderr, and to stdout the line `sending`
 * as the first request goes (its start-up is not the ingestion's time) and, at the end, one line of
 * JSON: { stored, acknowledgedMs } (from the first request to the last answer).
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { post } from './_http.ts';

async function main(): Promise<void> {
  const [base, key, ...files] = process.argv.slice(2);
  if (!base || !key || files.length === 0) throw new Error('usage: _currents-send.ts URL KEY FILE...');
  const url = new URL(`${base}/currents`);
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' };
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  let stored = 0;
  let next = 0;
  let lastReport = performance.now();
  process.stdout.write('sending\n');
  const started = performance.now();
  const sender = async () => {
    while (next < files.length) {
      const body = readFileSync(files[next++]);
      const { status, text } = await post(agent, url, headers, body);
      const json = JSON.parse(text) as { events_processed: number; errors?: unknown[] };
      if (status !== 201 || json.errors) throw new Error(`ingest failed: ${status} ${text.slice(0, 300)}`);
      stored += json.events_processed;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        process.stderr.write(`  ... ${stored.toLocaleString('en-US')} events stored (${Math.round(stored / ((lastReport - started) / 1000)).toLocaleString('en-US')}/s)\n`);
      }
    }
  };
  try {
    await Promise.all([sender(), sender()]);
  } finally {
    agent.destroy();
  }
  process.stdout.write(`${JSON.stringify({ stored, acknowledgedMs: performance.now() - started })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

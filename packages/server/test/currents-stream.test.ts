import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, currents, KEY, ndjson, startHarness, type Harness } from './harness.ts';

/** POSTs `pieces` to /currents one write each (chunked: no content-length unless given), a few
 * milliseconds apart, so that the server reads the body as it arrives. */
function postInPieces(base: string, pieces: Buffer[], headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const url = new URL(`${base}/currents`);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      },
    );
    // The server may answer (413) and close before every piece is written: writing after that fails,
    // and the answer is what counts (a connection of its own per request: none is reused).
    req.on('error', (error: NodeJS.ErrnoException) => (answered ? undefined : reject(error)));
    let answered = false;
    req.on('response', () => (answered = true));
    void (async () => {
      for (const piece of pieces) {
        if (req.destroyed) return;
        req.write(piece);
        await new Promise((r) => setTimeout(r, 2));
      }
      req.end();
    })();
  });
}

const split = (body: Buffer, size: number) => Array.from({ length: Math.ceil(body.length / size) }, (_, i) => body.subarray(i * size, (i + 1) * size));

describe('POST /currents read as it arrives (over a real socket, in pieces)', () => {
  let h: Harness;
  let base: string;
  const LIMIT = 4 * 1024 * 1024;
  const bodyFiles = () => readdirSync(join(h.dir, 'tmp')).filter((f) => f.startsWith('currents-'));

  beforeAll(async () => {
    h = await startHarness({ rateLimits: false, currentsBodyLimit: LIMIT });
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => h.close());

  it('stores a plain body sent 1 KB at a time, and leaves no file of it behind', async () => {
    const records = Array.from({ length: 40 }, (_, i) => currents('users.behaviors.app.SessionStart', `plain-${i % 10}`, at('2024-03-30T10:00:00') + i));
    const res = await postInPieces(base, split(Buffer.from(ndjson(records)), 1024));
    expect(res).toEqual({ status: 201, body: { message: 'success', events_processed: 40, duplicates: 0 } });
    expect(bodyFiles()).toEqual([]);
  });

  it('unwraps Avro JSON values whose marker is cut between two pieces (7 bytes a piece)', async () => {
    const before = await h.data.recordCount();
    // Two sessions of user "avro-1": without the unwrap, user_id would be an object and the records refused.
    const body = Buffer.from(ndjson([1, 2].map((i) => ({ id: `avro-${i}`, event_type: 'users.behaviors.app.SessionStart', user_id: { string: 'avro-1' }, time: at('2024-03-31T09:00:00') + i }))));
    const res = await postInPieces(base, split(body, 7));
    expect(res).toEqual({ status: 201, body: { message: 'success', events_processed: 2, duplicates: 0 } });
    expect(await h.data.recordCount()).toBe(before + 2);
    expect((await h.data.findUsers('braze_id', ['avro-1'])).get('avro-1')).toEqual(['avro-1']);
  });

  it('refuses a line over 1 MB cut across many pieces, naming its line and exact length, and stores nothing of the body', async () => {
    const before = await h.data.recordCount();
    const first = JSON.stringify(currents('users.behaviors.app.SessionStart', 'long-1', at('2024-03-31T10:00:00')));
    // 20 bytes of JSON before the padding and 2 after: 1,048,598 bytes on line 2.
    const body = Buffer.from(`${first}\n{"id": "x", "pad": "${'z'.repeat(1024 * 1024)}"}\n${first}`);
    const res = await postInPieces(base, split(body, 64 * 1024));
    expect(res).toEqual({ status: 413, body: { message: 'record on line 2 is 1048598 bytes; one Currents record may be at most 1048576 bytes' } });
    expect(await h.data.recordCount()).toBe(before);
    expect(bodyFiles()).toEqual([]);
  });

  it('refuses a body over the limit, chunked (counted as it arrives) or announced by content-length, and stores nothing', async () => {
    const before = await h.data.recordCount();
    const record = `${JSON.stringify(currents('users.behaviors.app.SessionStart', 'big-1', at('2024-03-31T11:00:00')))}\n`;
    const body = Buffer.from(record.repeat(Math.ceil((LIMIT + 1) / record.length)));
    const message = { message: `body is too large: a /currents body may be at most ${LIMIT} bytes` };
    expect(await postInPieces(base, split(body, 256 * 1024))).toEqual({ status: 413, body: message });
    expect(await postInPieces(base, [body.subarray(0, 1024)], { 'content-length': String(body.length) })).toEqual({ status: 413, body: message });
    expect(await h.data.recordCount()).toBe(before);
    expect(bodyFiles()).toEqual([]);
  });

  it('stores nothing of a body whose sender goes away half-way, keeps no file of it, and goes on serving', async () => {
    const before = await h.data.recordCount();
    const url = new URL(`${base}/currents`);
    const record = `${JSON.stringify(currents('users.behaviors.app.SessionStart', 'gone-1', at('2024-03-31T11:30:00')))}\n`;
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' } });
    req.on('error', () => undefined);
    req.write(record.repeat(100));
    await new Promise((r) => setTimeout(r, 100));
    req.destroy();
    // The server notices, drops the part it wrote and answers the next request as before.
    for (let i = 0; i < 50 && bodyFiles().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(bodyFiles()).toEqual([]);
    expect(await h.data.recordCount()).toBe(before);
    const res = await postInPieces(base, [Buffer.from(record)]);
    expect(res).toEqual({ status: 201, body: { message: 'success', events_processed: 1, duplicates: 0 } });
  });

  it('answers an empty body (or one of spaces only) 400, naming what to send', async () => {
    for (const pieces of [[], [Buffer.from('  \n'), Buffer.from('\n \r\n')]]) {
      expect(await postInPieces(base, pieces)).toEqual({ status: 400, body: { message: 'body is empty: send Currents records as NDJSON or a JSON array' } });
    }
  });
});

describe('bodies left by a server killed mid-upload', () => {
  it('are deleted when a server starts on the folder, except those of a process still running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brazen-sweep-'));
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    // A process that has ended (its pid, now free), and one that runs (this test's parent).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const files = [`currents-${gone}-a.body`, `currents-${process.ppid}-b.body`, 'other-file.json'];
    for (const f of files) writeFileSync(join(tmp, f), 'x');
    const h = await startHarness({ dataDir: dir });
    try {
      expect(readdirSync(tmp).filter((f) => files.includes(f)).sort()).toEqual([`currents-${process.ppid}-b.body`, 'other-file.json']);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

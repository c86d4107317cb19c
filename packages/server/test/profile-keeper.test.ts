import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { DuckDbStore, type ProfilePart, type RefreshOptions } from '@brazen/store';
import { constants, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { buildApp, hashKey } from '@brazen/server';
import { ProfileKeeper, type KeeperClock } from '../src/export/profile-keeper.ts';
import { duckDbOnly } from './test-store.ts';
import { exportFile, exportFileName } from '../src/export/files.ts';

/** A clock the test moves by hand; timers run only when the test says so. */
class ManualClock implements KeeperClock {
  time = 0;
  timers: Array<{ at: number; run: () => void }> = [];
  now = () => this.time;
  setTimer = (run: () => void, ms: number) => {
    const timer = { at: this.time + ms, run };
    this.timers.push(timer);
    return timer;
  };
  clearTimer = (timer: unknown) => {
    this.timers = this.timers.filter((t) => t !== timer);
  };
  /** Moves to `time`, running the timers due on the way. */
  advance(time: number): void {
    this.time = time;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= time).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.timers = this.timers.filter((t) => t !== due);
      due.run();
    }
  }
}

/** A store whose refresh has `batches` batches and records when each ran (or was stopped). */
function fakeStore(clock: ManualClock, batches: number, onBatch: (i: number) => void = () => undefined) {
  const log: string[] = [];
  return {
    log,
    async refresh(options: RefreshOptions = {}): Promise<number> {
      let done = 0;
      for (let i = 0; i < batches; i++) {
        if (options.stop?.()) {
          log.push(`stopped at ${clock.now()} after ${done}`);
          return done;
        }
        onBatch(i);
        done += 1;
      }
      log.push(`refreshed ${done} at ${clock.now()}`);
      return done;
    },
  };
}

describe('export files', () => {
  it('are the same bytes whether the text comes in memory, in a spool file or in reused chunks, readable by gunzip and unzip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brazen-files-'));
    try {
      const text = Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ external_id: `u${i}`, last_name: 'Müller', home_city: 'São Paulo' })).join('\n') + '\n';
      for (const format of ['gzip', 'zip'] as const) {
        const mtime = new Date(Date.UTC(2024, 2, 31));
        const inMemory = await exportFile(new TextEncoder().encode(text), 'p', 3, format, mtime);
        // In chunks of odd sizes, each in one buffer that is overwritten as soon as the next chunk
        // is asked for, as the profile line reader does: it must be taken before that.
        const bytes = new TextEncoder().encode(text);
        async function* reused(): AsyncGenerator<Uint8Array> {
          const buffer = new Uint8Array(7_777);
          for (let at = 0; at < bytes.length; at += buffer.length) {
            const chunk = bytes.subarray(at, at + buffer.length);
            buffer.set(chunk);
            yield buffer.subarray(0, chunk.length);
            buffer.fill(0x2a);
          }
        }
        expect((await exportFile({ chunks: reused }, 'p', 3, format, mtime)).equals(inMemory)).toBe(true);
        const file = join(dir, exportFileName('p', 3, format));
        writeFileSync(file, inMemory);
        expect(execFileSync(format === 'gzip' ? 'gunzip' : 'unzip', format === 'gzip' ? ['-c', file] : ['-p', file]).toString('utf8')).toBe(text);
      }
      // As parts (text in reused buffers and deflate fragments kept compressed, their CRC-32 read
      // from a gzip of the same bytes): one deflate stream, which gunzip and unzip read (checking
      // the CRC and length) as the one text; a kept fragment's bytes are in the file unchanged.
      const bytes = new TextEncoder().encode(text);
      const cuts = [0, 1_000, 40_000, 41_234, 90_000, bytes.length];
      const fragment = (k: number) => deflateRawSync(bytes.subarray(cuts[k], cuts[k + 1]), { finishFlush: constants.Z_SYNC_FLUSH });
      async function* parts(): AsyncGenerator<ProfilePart> {
        const buffer = new Uint8Array(bytes.length);
        for (let k = 0; k + 1 < cuts.length; k++) {
          const run = bytes.subarray(cuts[k], cuts[k + 1]);
          if (k % 2 === 1) yield { deflate: fragment(k), crc: gzipSync(run).readUInt32LE(gzipSync(run).length - 8), length: run.length };
          else {
            for (let at = 0; at < run.length; at += 5_000) {
              buffer.set(run.subarray(at, at + 5_000));
              yield { text: buffer.subarray(0, Math.min(5_000, run.length - at)) };
              buffer.fill(0x2a);
            }
          }
        }
      }
      const mtime = new Date(Date.UTC(2024, 2, 31));
      for (const format of ['gzip', 'zip'] as const) {
        const made = await exportFile({ chunks: () => { throw new Error('parts are read'); }, parts }, 'p', 4, format, mtime);
        const file = join(dir, exportFileName('p', 4, format));
        writeFileSync(file, made);
        expect(execFileSync(format === 'gzip' ? 'gunzip' : 'unzip', format === 'gzip' ? ['-c', file] : ['-p', file]).toString('utf8')).toBe(text);
        expect(made.includes(fragment(1)) && made.includes(fragment(3))).toBe(true);
        if (format === 'zip') expect(execFileSync('unzip', ['-l', file]).toString('utf8')).toContain('p-4.json');
      }
      // No part at all: the gzip of nothing.
      async function* none(): AsyncGenerator<ProfilePart> {}
      expect(gunzipSync(await exportFile({ chunks: () => none() as never, parts: none }, 'p', 5, 'gzip', mtime)).length).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the profile keeper', () => {
  it('refreshes once the server has been quiet for the idle time after a change, not before', async () => {
    const clock = new ManualClock();
    const store = fakeStore(clock, 3);
    const keeper = new ProfileKeeper(store, { idleMs: 30_000, clock });
    keeper.changed();
    clock.advance(10_000);
    keeper.request(); // quiet only from 10 s on
    clock.advance(30_000);
    await keeper.settled();
    expect(store.log).toEqual([]);
    expect(clock.timers.map((t) => t.at)).toEqual([40_000]);
    clock.advance(40_000);
    await keeper.settled();
    expect(store.log).toEqual(['refreshed 3 at 40000']);
    // Nothing changed since: no more work is planned.
    expect(clock.timers).toEqual([]);
  });

  it('stops at a batch boundary when a request comes, and goes on at the next quiet moment', async () => {
    const clock = new ManualClock();
    let keeper: ProfileKeeper | undefined;
    // A request arrives while the second batch of the first refresh runs.
    let interrupted = false;
    const store = fakeStore(clock, 3, (i) => {
      if (i === 1 && !interrupted) {
        interrupted = true;
        clock.time = 41_000;
        keeper!.request();
      }
    });
    keeper = new ProfileKeeper(store, { idleMs: 30_000, clock });
    keeper.changed();
    clock.advance(30_000);
    await keeper.settled();
    expect(store.log).toEqual(['stopped at 41000 after 2']);
    expect(clock.timers.map((t) => t.at)).toEqual([71_000]);
    clock.advance(71_000);
    await keeper.settled();
    expect(store.log.at(-1)).toBe('refreshed 3 at 71000');
  });

  it('waits while other background work (a user export) runs', async () => {
    const clock = new ManualClock();
    const store = fakeStore(clock, 2);
    let exporting = true;
    const keeper = new ProfileKeeper(store, { idleMs: 1_000, clock, busy: () => exporting });
    keeper.changed();
    clock.advance(1_000);
    clock.advance(2_000);
    await keeper.settled();
    expect(store.log).toEqual([]);
    exporting = false;
    clock.advance(3_000);
    await keeper.settled();
    expect(store.log).toEqual(['refreshed 2 at 3000']);
  });

  it('does nothing in the background with idleMs false, and nothing after stop', async () => {
    const clock = new ManualClock();
    const store = fakeStore(clock, 1);
    const off = new ProfileKeeper(store, { idleMs: false, clock });
    off.changed();
    expect(clock.timers).toEqual([]);
    const keeper = new ProfileKeeper(store, { idleMs: 1_000, clock });
    keeper.changed();
    await keeper.stop();
    clock.advance(5_000);
    await keeper.settled();
    expect(store.log).toEqual([]);
  });

  it.skipIf(duckDbOnly('keeping profiles (the KeptProfiles capability)'))('keeps the profiles of users ingested over HTTP, which a segment export then reads, equal to /users/export/ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brazen-keeper-'));
    const clock = new ManualClock();
    clock.time = Date.UTC(2024, 2, 31, 12);
    const store = await DuckDbStore.open({ dataDir: dir, now: clock.now });
    await store.addApiKey({ name: 'test', workspace: 'default', hash: hashKey('k'), permissions: ALL_PERMISSIONS, createdAt: new Date(clock.time).toISOString() });
    const app = await buildApp({ store, now: clock.now, tmpDir: join(dir, 'tmp'), profiles: { idleMs: 30_000, clock } });
    const send = (method: 'POST' | 'PUT', url: string, body: unknown, type = 'application/json') =>
      app.inject({ method, url, headers: { authorization: 'Bearer k', 'content-type': type }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
    try {
      await app.ready();
      const t = Date.UTC(2024, 2, 1) / 1000;
      const records = ['u1', 'u2', 'u3'].flatMap((u, i) => [
        { id: `s-${u}`, event_type: 'users.behaviors.app.SessionStart', user_id: `b-${u}`, external_user_id: u, time: t + i * 3600, app_id: 'a1' },
        { id: `e-${u}`, event_type: 'users.behaviors.CustomEvent', user_id: `b-${u}`, time: t + i * 3600 + 60, name: 'Played', app_id: 'a1' },
      ]);
      expect((await send('POST', '/currents', records.map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson')).statusCode).toBe(201);
      const track = await send('POST', '/users/track', { attributes: [{ external_id: 'u2', first_name: 'Bea', plan: 'pro' }] });
      expect(track.statusCode, track.body).toBe(201);
      expect((await send('PUT', '/admin/workspace', { apps: [{ id: 'a1', name: 'App One' }], segments: [{ id: 'all', name: 'All' }] })).statusCode).toBe(200);

      // Before any profile is kept: /users/export/ids computes them from the events.
      const ids = await send('POST', '/users/export/ids', { external_ids: ['u1', 'u2', 'u3'] });
      const expected = (JSON.parse(ids.body) as { users: Array<Record<string, unknown>> }).users;
      expect(expected[1]).toMatchObject({ external_id: 'u2', first_name: 'Bea', custom_attributes: { plan: 'pro' } });
      expect(expected[0].apps).toEqual([{ name: 'App One', sessions: 1, first_used: '2024-03-01T00:00:00.000Z', last_used: '2024-03-01T00:00:00.000Z' }]);

      // Quiet for 30 s after the last request: the keeper computes the three profiles.
      clock.advance(clock.time + 30_000);
      await app.profileKeeper!.settled();
      expect(await store.refresh()).toBe(0);
      // Now /users/export/ids reads them: the same answer.
      const again = await send('POST', '/users/export/ids', { external_ids: ['u1', 'u2', 'u3'] });
      expect(again.body).toBe(ids.body);

      const started = await send('POST', '/users/export/segment', { segment_id: 'all', output_format: 'gzip' });
      expect(started.statusCode, started.body).toBe(201);
      await app.exportRunner.idle();
      const job = (await store.exportJobs()).at(-1)!;
      const folder = app.exportRunner.folder(job.id);
      const [file] = readdirSync(folder);
      const lines = execFileSync('gunzip', ['-c', join(folder, file)]).toString('utf8').split('\n').filter(Boolean);
      expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(expected);
      // Nothing was compressed for it: the file's deflate stream is the keeper's one block of the
      // three lines (kept once, in profile-blocks/) and a final empty block, between gzip's header
      // and trailer.
      expect(readdirSync(join(dir, 'profile-blocks'))).toEqual(['1.deflate']);
      const made = readFileSync(join(folder, file));
      expect(made.subarray(10, -8).equals(Buffer.concat([readFileSync(join(dir, 'profile-blocks', '1.deflate')), Buffer.from([3, 0])]))).toBe(true);
      // The same as a zip (streamed into the archive from the spool file), readable by unzip.
      const zipped = await send('POST', '/users/export/segment', { segment_id: 'all' });
      expect(zipped.statusCode, zipped.body).toBe(201);
      await app.exportRunner.idle();
      const zipJob = (await store.exportJobs()).at(-1)!;
      expect(zipJob.status).toBe('done');
      const [zipFile] = readdirSync(app.exportRunner.folder(zipJob.id));
      expect(zipFile).toMatch(/-0\.zip$/);
      const unzipped = execFileSync('unzip', ['-p', join(app.exportRunner.folder(zipJob.id), zipFile)]).toString('utf8');
      expect(unzipped).toBe(`${lines.join('\n')}\n`);
    } finally {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

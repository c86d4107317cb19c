import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, startServerProcess } from './cli-process.ts';
import { openTestStore, serveStoreArgs } from './test-store.ts';

const KEY = 'crash-test-key';
const DAY0 = Date.UTC(2024, 0, 1) / 1000;

describe('durability', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged record when the server is killed with SIGKILL right after', async () => {
    const storeArgs = await serveStoreArgs(dir);
    const server = await startServerProcess(dir, KEY, storeArgs);
    const acknowledged: string[] = [];
    // Five small batches, which DuckDB commits through its WAL, and one of 40,000 records, whose
    // full row groups it writes straight to the data file before the commit.
    const sizes = [200, 200, 200, 200, 200, 40_000];
    for (const [batch, size] of sizes.entries()) {
      const records = Array.from({ length: size }, (_, i) => ({
        id: `b${batch}-r${i}`,
        event_type: i % 2 ? 'users.behaviors.app.SessionStart' : 'users.behaviors.CustomEvent',
        name: 'Tapped',
        user_id: `user-${i % 37}`,
        time: DAY0 + batch * 86_400 + i * 60,
      }));
      const res = await fetch(`${server.url}/currents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
        body: records.map((r) => JSON.stringify(r)).join('\n'),
      });
      expect(res.status).toBe(201);
      expect((await res.json()).events_processed).toBe(size);
      acknowledged.push(...records.map((r) => r.id));
    }
    server.child.kill('SIGKILL');
    await exited(server.child);

    // A new process on the same folder finds every acknowledged record and the rollups agree.
    const again = await startServerProcess(dir, KEY, storeArgs);
    const sessions = await fetch(`${again.url}/sessions/data_series?length=6&ending_at=2024-01-06`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    // Every odd record is a session start; the big batch's 40,000 records span 27.8 days from
    // 2024-01-06, its first 1,440 minutes (720 sessions) on that day.
    expect((await sessions.json()).data.map((d: { sessions: number }) => d.sessions)).toEqual([100, 100, 100, 100, 100, 720]);
    again.child.kill('SIGTERM');
    expect(await exited(again.child)).toBe(0);

    const store = await openTestStore({ dir });
    expect(await store.workspace().data.recordCount()).toBe(acknowledged.length);
    await store.close();
  });
});

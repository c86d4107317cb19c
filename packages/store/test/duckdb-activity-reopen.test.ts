/**
 * The index of users' active days is read on the first write after opening, not at open (a server
 * that only reads never needs it): sessions written after a reopening count against the days stored
 * before it exactly as in one sitting. Expected figures are worked out by hand below.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '@brazen/store';

const DAY0 = Date.parse('2024-03-01T00:00:00Z') / 1000;
const days = ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05', '2024-03-06'];
const workspace = { time_zone: 'UTC', apps: [], campaigns: [], canvases: [], segments: [], cards: [] };

let n = 0;
const session = (user: string, day: number) => ({ id: `s${++n}`, event_type: 'users.behaviors.app.SessionStart', user_id: user, time: DAY0 + day * 86_400 + 3_600, app_id: 'app' });
const body = (records: object[]) => ({ bytes: new TextEncoder().encode(records.map((r) => JSON.stringify(r)).join('\n')), format: 'ndjson' as const });

describe('active days after a reopening', () => {
  it('count a late first day, a repeated day and new days as in one sitting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brazen-activity-'));
    const first = await DuckDbStore.open({ dataDir: dir });
    await first.workspace().catalog.putWorkspace(workspace);
    // a: days 1 and 3; b: day 2.
    await first.workspace().data.ingestCurrents(body([session('a', 1), session('a', 3), session('b', 2)]));
    await first.close();

    const store = await DuckDbStore.open({ dataDir: dir });
    try {
      const data = store.workspace().data;
      // a again on day 3 (no change), a on day 0 (its first day moves from 1 to 0), b on day 5, c new on day 5.
      await data.ingestCurrents(body([session('a', 3), session('a', 0), session('b', 5), session('c', 5)]));
      // DAU: day0 a; day1 a; day2 b; day3 a; day4 nobody; day5 b, c.
      expect(await data.activitySeries({ metric: 'dau', days })).toEqual([1, 1, 1, 1, 0, 2]);
      // New users: a on day 0 (no longer day 1), b on day 2, c on day 5.
      expect(await data.activitySeries({ metric: 'new_users', days })).toEqual([1, 0, 1, 0, 0, 1]);
      // MAU (30 days to the day): a from day 0, b from day 2, c from day 5.
      expect(await data.activitySeries({ metric: 'mau', days })).toEqual([1, 1, 2, 2, 2, 3]);
    } finally {
      await store.close();
    }
  });
});

import { expect } from 'vitest';
import { USER_EXPORT_FIELDS } from '@brazen/contract';
import type { AnalyticsData } from '@brazen/store';
import type { SegmentFilter } from '@brazen/analytics';
import type { ConcernSuite } from './index.ts';
import { customEvent, D, exportText, H, ingest, pieceText, session, T0 } from './support.ts';

/** Seven users u1..u7 arriving out of braze_id order; the odd ones played, u7 only on day 3. */
async function loadUsers(data: AnalyticsData): Promise<void> {
  const users = ['u5', 'u2', 'u7', 'u1', 'u4', 'u6', 'u3'];
  await ingest(data, users.map((u, i) => session(`s-${u}`, u, T0 + i * 60)));
  await ingest(data, [
    customEvent('p1', 'u1', T0 + H, 'Played ☕'),
    customEvent('p3', 'u3', T0 + H, 'Played ☕'),
    customEvent('p5', 'u5', T0 + H, 'Played ☕'),
    customEvent('p7', 'u7', T0 + 3 * D, 'Played ☕'),
  ]);
}
const played: SegmentFilter = { custom_event: 'Played ☕', op: 'gte', count: 1 };
const ids = (text: string) => text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { braze_id: string }).braze_id);

/** User exports (SPEC §6): a job's members taken as of an instant, read in pieces, dropped. */
export const exportsContract: ConcernSuite = (it) => {
  it("takes a job's members as of an instant in braze_id order, and reads them in pieces as NDJSON", async ({ data }) => {
    await loadUsers(data);
    // As of day 2 u7 had not played yet: u1, u3, u5.
    const early = await exportText(data, 'job-1', played, T0 + D, { fields: ['braze_id'] });
    expect(early.users).toBe(3);
    expect(ids(early.pieces.join(''))).toEqual(['u1', 'u3', 'u5']);
    const all = await data.snapshotExportMembers('job-2', undefined, T0 + 10 * D);
    expect(all).toBe(7);
    const reader = await data.openExportProfiles('job-2', { fields: ['braze_id', 'custom_events'] });
    try {
      // Members ranked 2 to 6, in pieces of 2: [u3 u4] [u5 u6] [u7].
      const pieces = await Promise.all((await reader.read(2, 7, 2)).map(pieceText));
      expect(pieces.map(ids)).toEqual([['u3', 'u4'], ['u5', 'u6'], ['u7']]);
      // Byte for byte the users' export objects, each line ending in a newline.
      const lines = await data.userProfiles(['u3', 'u4', 'u5', 'u6', 'u7'], { fields: ['braze_id', 'custom_events'] });
      expect(pieces.join('')).toBe(`${lines.join('\n')}\n`);
      expect(pieces[0]).toContain('"name":"Played ☕"');
    } finally {
      reader.close();
    }
  });

  it('replaces an earlier snapshot of the job, keeps jobs apart, and reads nothing once dropped', async ({ data }) => {
    await loadUsers(data);
    expect(await data.snapshotExportMembers('job-a', played, T0 + D)).toBe(3);
    expect(await data.snapshotExportMembers('job-b', undefined, T0 + D)).toBe(7);
    // Taken again later: u7 played by then.
    expect(await data.snapshotExportMembers('job-a', played, T0 + 10 * D)).toBe(4);
    const read = async (job: string, n: number) => {
      const reader = await data.openExportProfiles(job, { fields: ['braze_id'] });
      try {
        return ids((await Promise.all((await reader.read(0, n, 100)).map(pieceText))).join(''));
      } finally {
        reader.close();
      }
    };
    expect(await read('job-a', 4)).toEqual(['u1', 'u3', 'u5', 'u7']);
    expect(await read('job-b', 7)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7']);
    await data.dropExportMembers('job-a');
    // Its members are gone: reading them gives no profile (nothing, or an error).
    expect(await read('job-a', 4).catch(() => [])).toEqual([]);
    expect(await read('job-b', 7)).toHaveLength(7);
  });

  it('reads no piece of an export without members, every field or some', async ({ data }) => {
    await loadUsers(data);
    for (const fields of [USER_EXPORT_FIELDS, ['braze_id']]) {
      expect(await exportText(data, 'job-none', { custom_event: 'Nothing', op: 'gte', count: 1 }, T0 + 10 * D, { fields })).toEqual({ users: 0, pieces: [] });
    }
  });

  it('exports every field, or a selection of custom attributes, equal to the users\' export objects', async ({ data }) => {
    await loadUsers(data);
    await data.track({
      attributes: ['u1', 'u2'].map((u, i) => ({ user: { braze_id: u }, time: T0 + 5, values: { first_name: `N${i}`, plan: 'grün', level: i } })),
      events: [],
      purchases: [],
    });
    const everyone = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'];
    const all = await exportText(data, 'job-all', undefined, T0 + 10 * D, { fields: USER_EXPORT_FIELDS }, 3);
    expect(all.pieces).toHaveLength(3);
    expect(all.pieces.join('')).toBe(`${(await data.userProfiles(everyone, { fields: USER_EXPORT_FIELDS })).join('\n')}\n`);
    const some = await exportText(data, 'job-some', undefined, T0 + 10 * D, { fields: ['braze_id', 'custom_attributes'], customAttributes: ['level'] });
    expect(some.pieces.join('').split('\n').slice(0, 3)).toEqual([
      '{"braze_id":"u1","custom_attributes":{"level":0}}',
      '{"braze_id":"u2","custom_attributes":{"level":1}}',
      '{"braze_id":"u3"}',
    ]);
  });
};

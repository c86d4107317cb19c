import { expect } from 'vitest';
import { USER_EXPORT_FIELDS } from '@brazen/contract';
import type { AnalyticsData } from '@brazen/store';
import type { ConcernSuite } from './index.ts';
import { customEvent, D, dayLabels, exportText, ingest, pieceText, session, T0, workspaceDoc } from './support.ts';

/** Data kept across a close and an open on the same place. */
export const reopenContract: ConcernSuite = (it) => {
  const daily = async (data: AnalyticsData, metric: 'dau' | 'mau', from: string, count: number, appId?: string) =>
    data.activitySeries({ metric, appId, days: dayLabels(from, count) });

  it('finds everything again after reopening', async (s) => {
    await ingest(s.data, [session('s1', 'u1', T0), session('s2', 'u2', T0 + D)]);
    await s.catalog.putWorkspace(workspaceDoc({ apps: [{ id: 'app-a', name: 'A' }] }));
    await s.store.keys.addApiKey({ name: 'k', workspace: 'default', hash: 'ab'.repeat(32), permissions: [], createdAt: '2024-01-01T00:00:00.000Z' });
    const secret = await s.catalog.secret('export_url');
    await s.reopen();
    expect(await s.data.recordCount()).toBe(2);
    expect(await daily(s.data, 'mau', '2024-01-01', 2)).toEqual([1, 2]);
    expect(await s.catalog.getWorkspace()).toEqual(workspaceDoc({ apps: [{ id: 'app-a', name: 'A' }] }));
    expect((await s.store.keys.findApiKey('ab'.repeat(32)))?.name).toBe('k');
    expect(await s.catalog.secret('export_url')).toBe(secret);
    // Replays are still known, and a repeat day adds nothing while a new one counts.
    expect(await ingest(s.data, [session('s1', 'u1', T0)])).toEqual({ stored: 0, duplicates: 1, errors: [] });
    await ingest(s.data, [session('s3', 'u1', T0 + 3600), session('s4', 'u3', T0 + D)]);
    expect(await daily(s.data, 'dau', '2024-01-01', 2)).toEqual([1, 2]);
  });

  it('keeps each app apart in the activity it finds on reopening', async (s) => {
    await ingest(s.data, [session('s1', 'u1', T0, 'app-a'), session('s2', 'u2', T0, 'app-b')]);
    await s.reopen();
    // u1 again on app-a the same day (nothing new), and for the first time on app-b.
    await ingest(s.data, [session('s3', 'u1', T0 + 3600, 'app-a'), session('s4', 'u1', T0 + 7200, 'app-b')]);
    expect(await daily(s.data, 'dau', '2024-01-01', 1, 'app-a')).toEqual([1]);
    expect(await daily(s.data, 'dau', '2024-01-01', 1, 'app-b')).toEqual([2]);
    expect(await daily(s.data, 'dau', '2024-01-01', 1)).toEqual([2]);
  });

  it('exports the same users after reopening, kept profiles or not, and keeps export jobs', async (s) => {
    await ingest(s.data, ['u1', 'u2', 'u3'].map((u, i) => customEvent(`e${i}`, u, T0 + i, 'Played')));
    await s.kept?.refresh();
    await s.catalog.createExportJob({
      id: 'j1', objectPrefix: 'j1-1', kind: 'segment', segmentId: 's', fields: ['braze_id'], outputFormat: 'gzip', destination: 'local',
      status: 'running', createdAt: 1, filesDone: 0, callback: 'none', callbackAttempts: 0,
    });
    expect(await s.data.snapshotExportMembers('j1', undefined, T0 + D)).toBe(3);
    const before = await exportText(s.data, 'j2', undefined, T0 + D, { fields: USER_EXPORT_FIELDS });
    await s.reopen();
    expect(await exportText(s.data, 'j2', undefined, T0 + D, { fields: USER_EXPORT_FIELDS })).toEqual(before);
    // A job's members taken before the restart are read after it.
    const reader = await s.data.openExportProfiles('j1', { fields: ['braze_id'] });
    try {
      expect((await Promise.all((await reader.read(0, 3, 10)).map(pieceText))).join('')).toBe(
        '{"braze_id":"u1"}\n{"braze_id":"u2"}\n{"braze_id":"u3"}\n',
      );
    } finally {
      reader.close();
    }
    expect((await s.catalog.exportJobs()).map((j) => [j.id, j.status])).toEqual([['j1', 'running']]);
  });
};

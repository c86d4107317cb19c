import { expect } from 'vitest';
import type { ApiKeyRecord, ExportJob } from '@brazen/store';
import type { ConcernSuite } from './index.ts';
import { workspaceDoc } from './support.ts';

const job = (id: string, createdAt: number, extra: Partial<ExportJob> = {}): ExportJob => ({
  id, objectPrefix: `${id}-${createdAt}`, kind: 'segment', segmentId: 'seg-1', filter: { attribute: 'country', op: 'eq', value: 'US' },
  fields: ['braze_id', 'email'], outputFormat: 'zip', destination: 'local', status: 'pending', createdAt, filesDone: 0,
  callback: 'none', callbackAttempts: 0, ...extra,
});

/** The catalog (SPEC §5): the workspace document, API keys, export jobs and secrets. */
export const catalogContract: ConcernSuite = (it) => {
  it('keeps API keys by hash, oldest first, each in its workspace', async ({ store }) => {
    const key: ApiKeyRecord = { name: 'k', workspace: 'default', hash: 'ab'.repeat(32), permissions: ['events.list'], createdAt: '2024-01-01T00:00:00.000Z' };
    await store.keys.addApiKey(key);
    await store.keys.addApiKey({ ...key, name: 'j', hash: 'ef'.repeat(32), createdAt: '2024-01-02T00:00:00.000Z' });
    expect(await store.keys.findApiKey('ab'.repeat(32))).toEqual(key);
    expect(await store.keys.findApiKey('cd'.repeat(32))).toBeUndefined();
    expect((await store.keys.listApiKeys('default')).map((k) => k.name)).toEqual(['k', 'j']);
    await store.keys.addApiKey({ ...key, name: 'earlier', hash: '01'.repeat(32), permissions: [], createdAt: '2023-12-31T00:00:00.000Z' });
    await store.keys.addApiKey({ ...key, name: 'theirs', workspace: 'elsewhere', hash: '02'.repeat(32) });
    expect((await store.keys.listApiKeys('default')).map((k) => [k.name, k.createdAt])).toEqual([
      ['earlier', '2023-12-31T00:00:00.000Z'], ['k', '2024-01-01T00:00:00.000Z'], ['j', '2024-01-02T00:00:00.000Z'],
    ]);
    expect(await store.keys.listApiKeys('elsewhere')).toEqual([{ ...key, name: 'theirs', workspace: 'elsewhere', hash: '02'.repeat(32) }]);
    expect(await store.keys.listApiKeys('nowhere')).toEqual([]);
    // A key found by hash names its workspace.
    expect((await store.keys.findApiKey('02'.repeat(32)))?.workspace).toBe('elsewhere');
  });

  it('keeps the workspace document as given, an empty one until then', async ({ store, catalog }) => {
    expect(await catalog.getWorkspace()).toEqual(workspaceDoc());
    const ws = workspaceDoc({
      time_zone: 'Europe/Paris', apps: [{ id: 'a', name: 'A', platform: 'ios' }], campaigns: [{ id: 'c', name: 'C', tags: ['x'], messages: { v: { channel: 'email' } } }],
      segments: [{ id: 's', name: 'S', filter: { attribute: 'country', op: 'eq', value: 'FR' }, analytics_tracking_enabled: true }],
      currency_rates: { EUR: 1.08 }, send_retention_days: 7, custom_events: [{ name: 'Played', description: 'ünïcode ☕' }],
    });
    await catalog.putWorkspace(ws);
    expect(await catalog.getWorkspace()).toEqual(ws);
    // Replaced whole.
    await catalog.putWorkspace(workspaceDoc({ cards: [{ id: 'k', name: 'K' }] }));
    expect(await catalog.getWorkspace()).toEqual(workspaceDoc({ cards: [{ id: 'k', name: 'K' }] }));
    // The default workspace, by name or not.
    expect(await store.workspace('default').catalog.getWorkspace()).toEqual(workspaceDoc({ cards: [{ id: 'k', name: 'K' }] }));
    expect(store.workspace().name).toBe('default');
  });

  it('keeps export jobs, oldest first, and patches them', async ({ catalog }) => {
    expect(await catalog.exportJobs()).toEqual([]);
    await catalog.createExportJob(job('j1', 200));
    await catalog.createExportJob(job('j2', 100, { kind: 'global_control_group', segmentId: 'global_control_group', filter: undefined }));
    await catalog.createExportJob(job('j3', 100, { customAttributes: ['plan'], callbackEndpoint: 'https://example.com/cb', baseUrl: 'http://127.0.0.1:1' }));
    // By creation time, then in the order they were made.
    expect((await catalog.exportJobs()).map((j) => j.id)).toEqual(['j2', 'j3', 'j1']);
    await catalog.updateExportJob('j1', { status: 'running', startedAt: 300, users: 12, files: 1 });
    await catalog.updateExportJob('j1', { status: 'done', finishedAt: 400, filesDone: 1, callback: 'sent', callbackAttempts: 2 });
    const jobs = await catalog.exportJobs();
    expect(jobs.find((j) => j.id === 'j1')).toEqual(job('j1', 200, {
      status: 'done', startedAt: 300, finishedAt: 400, users: 12, files: 1, filesDone: 1, callback: 'sent', callbackAttempts: 2,
    }));
    expect(jobs.find((j) => j.id === 'j3')).toEqual(job('j3', 100, { customAttributes: ['plan'], callbackEndpoint: 'https://example.com/cb', baseUrl: 'http://127.0.0.1:1' }));
    expect(jobs.find((j) => j.id === 'j2')).toEqual(job('j2', 100, { kind: 'global_control_group', segmentId: 'global_control_group', filter: undefined }));
    await expect(catalog.updateExportJob('nope', { status: 'failed' })).rejects.toThrow();
  });

  it('makes a secret once per purpose and keeps it', async ({ catalog }) => {
    const secret = await catalog.secret('export_url');
    // At least 128 bits, as text.
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(await catalog.secret('export_url')).toBe(secret);
    const other = await catalog.secret('other');
    expect(other).not.toBe(secret);
    // Asked for at once, one secret is made.
    const together = await Promise.all([catalog.secret('fresh'), catalog.secret('fresh'), catalog.secret('fresh')]);
    expect(new Set(together).size).toBe(1);
  });

  it('keeps the import ledger: objects by URL and ETag, found by URL prefix', async ({ catalog }) => {
    const object = { url: 's3://b/currents/a/event_type=x/1.avro', etag: '9e107d9d372bb6826bd81d3542a419d6', records: 15_000, importedAt: 1_700_000_000 };
    expect(await catalog.importedObjects('s3://b/currents')).toEqual([]);
    await catalog.recordImportedObject(object);
    await catalog.recordImportedObject({ ...object, url: 's3://b/currents/a/event_type=x/2.avro', records: 3 });
    await catalog.recordImportedObject({ ...object, url: 's3://b/currents-old/1.avro' });
    // The same key rewritten (a new ETag) is another entry; the same object entered again replaces its entry.
    await catalog.recordImportedObject({ ...object, etag: 'e4d909c290d0fb1ca068ffaddf22cbd0', records: 15_001, importedAt: 1_700_000_100 });
    await catalog.recordImportedObject({ ...object, importedAt: 1_700_000_200 });
    expect(await catalog.importedObjects('s3://b/currents/')).toEqual([
      { ...object, etag: 'e4d909c290d0fb1ca068ffaddf22cbd0', records: 15_001, importedAt: 1_700_000_100 },
      { ...object, importedAt: 1_700_000_200 },
      { ...object, url: 's3://b/currents/a/event_type=x/2.avro', records: 3 },
    ]);
    expect((await catalog.importedObjects('s3://b/')).length).toBe(4);
    expect(await catalog.importedObjects('s3://c/')).toEqual([]);
  });
};

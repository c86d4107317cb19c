import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, currents, KEY, ndjson, startHarness, type Harness } from '../../server/test/harness.ts';
import { buildDemo, demoPlan } from '@brazen/demo';
import { runCli } from './run-cli.ts';

describe('brazen export walks windows and pages over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-export-'));
  let h: Harness;
  let url: string;
  beforeAll(async () => {
    h = await startHarness({ now: Date.UTC(2024, 3, 1, 12) });
    const body = ndjson([
      currents('users.behaviors.app.SessionStart', 'a00000000000000000000001', at('2024-03-01T10:00:00'), { app_id: 'ios', session_id: 'x1' }),
      currents('users.behaviors.app.SessionStart', 'a00000000000000000000002', at('2024-03-01T11:00:00'), { app_id: 'ios', session_id: 'x2' }),
      currents('users.behaviors.app.SessionStart', 'a00000000000000000000001', at('2023-11-10T09:00:00'), { app_id: 'ios', session_id: 'x3' }),
    ]);
    expect((await h.post('/currents', body, { 'content-type': 'application/x-ndjson' })).statusCode).toBe(201);
    const campaigns = Array.from({ length: 150 }, (_, i) => ({
      id: `campaign-${String(i).padStart(3, '0')}`, name: `Campaign ${i}`, created_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
    }));
    expect((await h.put('/admin/workspace', { campaigns })).statusCode).toBe(200);
    url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = (file: string) => readFileSync(join(dir, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

  it('splits a 150-day series into windows of 100 and writes it oldest first', async () => {
    const r = await runCli(['export', 'kpi/dau/data_series', '--length', '150', '--ending-at', '2024-03-31', '--url', url, '--key', KEY, '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('in 2 request(s)');
    const points = lines('kpi.dau.data_series.ndjson');
    expect(points).toHaveLength(150);
    // 150 days ending 2024-03-31 start on 2023-11-03 (Nov 3 .. Nov 30 is 28 days, Dec 31, Jan 31, Feb 29, Mar 31).
    expect(points[0].time).toBe('2023-11-03');
    expect(points[149].time).toBe('2024-03-31');
    expect(points.find((p) => p.time === '2024-03-01')?.dau).toBe(2);
    expect(points.find((p) => p.time === '2023-11-10')?.dau).toBe(1);
    expect(points.reduce((n, p) => n + (p.dau as number), 0)).toBe(3);
  });

  it('walks every page of a list', async () => {
    const r = await runCli(['export', '/campaigns/list', '--url', url, '--key', KEY, '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('in 2 request(s)');
    const items = lines('campaigns.list.ndjson');
    expect(items).toHaveLength(150);
    expect(items[0].id).toBe('campaign-000');
    expect(items[149].id).toBe('campaign-149');
  });

  it('fails with the server\'s message on a wrong key', async () => {
    const r = await runCli(['export', 'kpi/mau/data_series', '--url', url, '--key', 'wrong', '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`brazen: GET ${url}/kpi/mau/data_series?length=30&ending_at=`);
    expect(r.stderr).toContain('answered 401');
  });
});

describe('brazen export all pulls a whole workspace like a connector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-export-all-'));
  const options = { users: 200, days: 14, seed: 11, end: Date.UTC(2024, 3, 1) / 1000 };
  let h: Harness;
  let url: string;
  beforeAll(async () => {
    h = await startHarness({ now: Date.UTC(2024, 3, 1, 12) });
    await buildDemo(h.store.workspace(), options);
    url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes every list, every object\'s details and series, and the KPIs', async () => {
    const r = await runCli(['export', 'all', '--length', '14', '--ending-at', '2024-03-31', '--url', url, '--key', KEY, '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    const plan = demoPlan(options);
    const read = (file: string) => readFileSync(join(dir, file), 'utf8').trim().split('\n');
    // 13 campaigns in the demo, one archived (left out of the list by default).
    expect(read('campaigns.list.ndjson')).toHaveLength(12);
    const newsletter = plan.campaigns.newsletter.id;
    expect(JSON.parse(readFileSync(join(dir, `campaigns.details.campaign_id=${newsletter}.json`), 'utf8')).name).toBe('Weekly Newsletter');
    expect(read(`campaigns.data_series.campaign_id=${newsletter}.ndjson`)).toHaveLength(14);
    expect(read('kpi.dau.data_series.ndjson')).toHaveLength(14);
    expect(read('canvas.list.ndjson')).toHaveLength(2);
    // 10 segments, one archived; 7 of the 9 listed have analytics tracking and so a series.
    expect(read('segments.list.ndjson')).toHaveLength(9);
    expect(r.stdout.match(/segments\.data_series\.segment_id=/g)).toHaveLength(7);
    expect(read('events.list.ndjson')).toEqual(
      ['added_to_cart', 'completed_onboarding', 'favorited', 'searched', 'shared_product', 'viewed_product'].map((e) => JSON.stringify(e)),
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY, startHarness, type Harness } from './harness.ts';

describe('GET /admin/api_keys', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('lists every key by name, permissions and date, never the key or its hash', async () => {
    const created = (await h.post('/admin/api_keys', { name: 'dashboards', permissions: ['kpi.dau.data_series'] })).json() as { key: string };
    const res = await h.get('/admin/api_keys');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { api_keys: Array<{ name: string; permissions: string[]; created_at: string }> };
    // Oldest first; both were made at the harness's fixed instant, so by name.
    expect(body.api_keys.map((k) => k.name)).toEqual(['dashboards', 'test']);
    expect(body.api_keys[0]).toEqual({ name: 'dashboards', permissions: ['kpi.dau.data_series'], created_at: '2024-03-31T12:00:00.000Z' });
    expect(res.body).not.toContain(created.key);
    expect(res.body).not.toContain(KEY);
    expect(res.body).not.toMatch(/[0-9a-f]{64}/);
  });

  it('needs the admin permission', async () => {
    const { key } = (await h.post('/admin/api_keys', { name: 'reader', permissions: ['kpi.dau.data_series'] })).json() as { key: string };
    const res = await h.app.inject({ url: '/admin/api_keys', headers: { authorization: `Bearer ${key}` } });
    expect([res.statusCode, res.json().message]).toEqual([403, 'this API key does not have the admin permission']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, currents, KEY, ndjson, startHarness, type Harness } from './harness.ts';

describe('over a real socket', () => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    h = await startHarness();
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => h.close());

  it('ingests NDJSON, then answers series and serves the OpenAPI document and docs page', async () => {
    const records = [
      currents('users.behaviors.app.SessionStart', 'u1', at('2024-03-30T10:00:00')),
      currents('users.behaviors.app.SessionStart', 'u2', at('2024-03-31T10:00:00')),
    ];
    const post = await fetch(`${base}/currents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
      body: ndjson(records),
    });
    expect([post.status, await post.json()]).toEqual([201, { message: 'success', events_processed: 2, duplicates: 0 }]);
    const mau = await fetch(`${base}/kpi/mau/data_series?length=2&api_key=${KEY}`);
    expect(mau.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await mau.json()).toEqual({ message: 'success', data: [{ time: '2024-03-30', mau: 1 }, { time: '2024-03-31', mau: 2 }] });

    const openapi = await (await fetch(`${base}/openapi.json`)).json();
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/kpi/mau/data_series', '/sessions/data_series', '/currents', '/users/track']));
    expect(openapi.paths['/kpi/mau/data_series'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['length', 'ending_at', 'app_id']),
    );
    const docs = await fetch(`${base}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('replaying the same Currents file changes no figure', async () => {
    const body = ndjson([
      currents('users.behaviors.app.SessionStart', 'r1', at('2024-02-01T10:00:00')),
      currents('users.behaviors.CustomEvent', 'r1', at('2024-02-01T11:00:00'), { name: 'Replayed' }),
      currents('users.behaviors.Purchase', 'r1', at('2024-02-01T12:00:00'), { product_id: 'sku', price: 3 }),
    ]);
    const send = () =>
      fetch(`${base}/currents`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' }, body }).then((r) => r.json());
    const figures = async () =>
      Promise.all(
        ['/sessions/data_series?length=1', '/kpi/dau/data_series?length=1', '/events/data_series?length=1&event=Replayed', '/purchases/revenue_series?length=1'].map(
          async (q) => (await fetch(`${base}${q}&ending_at=2024-02-01&api_key=${KEY}`)).json(),
        ),
      );
    expect(await send()).toEqual({ message: 'success', events_processed: 3, duplicates: 0 });
    const once = await figures();
    expect(await send()).toEqual({ message: 'success', events_processed: 0, duplicates: 3 });
    expect(await figures()).toEqual(once);
    expect(once.map((f) => Object.values(f.data[0])[1])).toEqual([1, 1, 1, 3]);
  });
});

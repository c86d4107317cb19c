import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttributeRecord } from '@brazen/store';
import { startHarness, type Harness } from '../../server/test/harness.ts';
import { buildDemo, simulateDemo, storeDemo, type CurrentsRecord, type DemoStep } from '../src/index.ts';

const END = Date.UTC(2024, 3, 1) / 1000;
const NOW = Date.UTC(2024, 3, 1, 12);
const DEMO = { users: 300, days: 21, seed: 11, end: END };
const Q = { length: 21, ending_at: '2024-03-31' };

/**
 * `serve --demo` listens once the store has acknowledged the demo, while the store still rolls up its
 * records and applies its attribute history: a request made then must get the answer of the
 * finished build.
 */
describe('a demo the store has acknowledged, before the rest of its build is done', () => {
  const records: CurrentsRecord[] = [];
  const attributes: AttributeRecord[] = [];
  let done: Harness;
  let early: Harness;
  beforeAll(async () => {
    simulateDemo(DEMO, { record: (r) => void records.push(r), attributes: (a) => void attributes.push(a) });
    done = await startHarness({ now: NOW });
    await buildDemo(done.store.workspace(), { ...DEMO });
    early = await startHarness({ now: NOW });
  });
  afterAll(async () => {
    await Promise.all([done?.close(), early?.close()]);
  });

  it('answers every request made meanwhile as the finished build does, and by the records', async () => {
    const steps: DemoStep[] = [];
    const { summary, complete } = await storeDemo(early.store.workspace(), { ...DEMO, onStep: (s) => void steps.push(s) });
    let completed = false;
    const finished = complete.then(() => (completed = true));
    const ids = { external_ids: ['user-000002', 'user-000003'], fields_to_export: ['external_id', 'first_name', 'country', 'home_city', 'custom_attributes'] };
    // All asked at once, before the rest of the build is done.
    const asked = await Promise.all([
      early.get('/sessions/data_series', Q),
      early.get('/purchases/revenue_series', Q),
      early.get('/kpi/dau/data_series', Q),
      early.get('/events/data_series', { ...Q, event: 'viewed_product' }),
      early.get('/campaigns/list'),
      early.post('/users/export/ids', ids),
      Promise.resolve(completed),
    ]);
    const [sessions, revenue, dau, viewed, campaigns, users, completedWhenAsked] = asked;
    expect(completedWhenAsked).toBe(false);
    await finished;
    expect(steps).toEqual(['simulate', 'simulated', 'stored', 'attributes', 'acknowledged']);
    expect(summary.stored).toBe(records.length);

    // By the records, counted here.
    const days = Array.from({ length: 21 }, (_, i) => END - (21 - i) * 86_400);
    const perDay = (type: string, value: (r: CurrentsRecord) => number = () => 1) =>
      days.map((d) => records.filter((r) => r.event_type === type && Number(r.time) >= d && Number(r.time) < d + 86_400).reduce((n, r) => n + value(r), 0));
    expect(JSON.parse(sessions.body).data.map((p: { sessions: number }) => p.sessions)).toEqual(perDay('users.behaviors.app.SessionStart'));
    const rates: Record<string, number> = { USD: 1, EUR: 1.08, GBP: 1.27 };
    const expectedRevenue = perDay('users.behaviors.Purchase', (r) => Number(r.price) * rates[String(r.currency)]);
    JSON.parse(revenue.body).data.forEach((p: { revenue: number }, i: number) => expect(p.revenue).toBeCloseTo(expectedRevenue[i], 2));
    const latest = (user: string, name: string) =>
      attributes.filter((a) => a.user.external_id === user && name in a.values).reduce((a, b) => (b.time >= a.time ? b : a)).values[name];
    expect(users.statusCode, users.body).toBe(200);
    const exported = JSON.parse(users.body) as { users: Array<Record<string, unknown>> };
    for (const user of ['user-000002', 'user-000003']) {
      const found = exported.users.find((u) => u.external_id === user);
      expect(found, users.body).toMatchObject({
        first_name: latest(user, 'first_name'), country: latest(user, 'country'), home_city: latest(user, 'home_city'),
        custom_attributes: expect.objectContaining({ plan: latest(user, 'plan'), lifetime_spend: latest(user, 'lifetime_spend') }),
      });
    }

    // As the finished build answers, byte for byte.
    expect(sessions.body).toBe((await done.get('/sessions/data_series', Q)).body);
    expect(revenue.body).toBe((await done.get('/purchases/revenue_series', Q)).body);
    expect(dau.body).toBe((await done.get('/kpi/dau/data_series', Q)).body);
    expect(viewed.body).toBe((await done.get('/events/data_series', { ...Q, event: 'viewed_product' })).body);
    expect(campaigns.body).toBe((await done.get('/campaigns/list')).body);
    expect(users.body).toBe((await done.post('/users/export/ids', ids)).body);
    expect((await early.store.workspace().catalog.getWorkspace()).demo).toMatchObject({ complete: true });
  });
});

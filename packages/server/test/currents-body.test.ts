import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

describe('POST /currents with a body whose second line is not JSON', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  const ok = JSON.stringify({ id: 'ok', event_type: 'users.behaviors.app.SessionStart', user_id: 'u1', time: 1_704_067_200 });
  const post = (body: string) => h.post('/currents', body, { 'content-type': 'application/x-ndjson' });

  it('names line 2, whether the engine parses the body (it said line 3) or the server does first (for Avro values)', async () => {
    for (const first of [ok, JSON.stringify({ id: 'av', event_type: 'users.behaviors.app.SessionStart', user_id: { string: 'u1' }, time: 1_704_067_200 })]) {
      const res = await post(`${first}\n{"id": "broken", \n${ok}`);
      expect([res.statusCode, res.json()]).toEqual([400, { message: 'body is not valid JSON: record on line 2 cannot be read' }]);
    }
    expect(await h.data.recordCount()).toBe(0);
  });

  it('rejects a record whose time is out of range, naming time', async () => {
    const res = await post(JSON.stringify({ id: 'late', event_type: 'users.behaviors.app.SessionStart', user_id: 'u1', time: 99_999_999_999 }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ events_processed: 0, errors: [{ index: 0, message: expect.stringMatching(/^time must be epoch seconds/) }] });
  });
});

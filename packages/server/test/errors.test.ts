import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { hashKey } from '@brazen/server';
import { currents, ndjson, at, startHarness, type Harness } from './harness.ts';

describe('compatibility rules: auth and bad input', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.store.keys.addApiKey({ name: 'events only', workspace: 'default', hash: hashKey('events-only'), permissions: ['events.list'], createdAt: '2024-01-01T00:00:00Z' });
    await h.put('/admin/workspace', { apps: [{ id: 'ios', name: 'iOS' }], segments: [{ id: 'seg-1', name: 'Whales' }] });
    await h.post('/currents', ndjson([currents('users.behaviors.CustomEvent', 'u1', at('2024-03-01T00:00:00'), { name: 'Played' })]), {
      'content-type': 'application/x-ndjson',
    });
  });
  afterAll(() => h.close());

  const raw = (url: string, headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url, headers });

  it('401 without a key or with an unknown key; 403 without the permission', async () => {
    const none = await raw('/events/list');
    expect([none.statusCode, none.json().message]).toEqual([401, 'missing REST API key: send Authorization: Bearer YOUR-REST-API-KEY']);
    const unknown = await raw('/events/list', { authorization: 'Bearer nope' });
    expect([unknown.statusCode, unknown.json().message]).toEqual([401, 'unknown REST API key']);
    const forbidden = await raw('/kpi/dau/data_series?length=1', { authorization: 'Bearer events-only' });
    expect([forbidden.statusCode, forbidden.json().message]).toEqual([403, 'this API key does not have the kpi.dau.data_series permission']);
    expect((await raw('/events/list', { authorization: 'Bearer events-only' })).statusCode).toBe(200);
  });

  it('accepts the legacy api_key in the query string and in a JSON body', async () => {
    const viaQuery = await raw('/events/list?api_key=events-only');
    expect(viaQuery.json()).toEqual({ message: 'success', events: ['Played'] });
    const viaBody = await h.app.inject({
      method: 'POST',
      url: '/users/track',
      headers: { 'content-type': 'application/json' },
      payload: { api_key: 'test-key-all-permissions', events: [{ external_id: 'x', name: 'Played', time: '2024-03-02T00:00:00Z' }] },
    });
    expect(viaBody.statusCode).toBe(201);
  });

  it('every key permission of Braze exists, plus brazen’s own', () => {
    for (const p of ['kpi.mau.data_series', 'sessions.data_series', 'events.list', 'purchases.product_list', 'users.track', 'currents.ingest', 'admin']) {
      expect(ALL_PERMISSIONS).toContain(p);
    }
  });

  const cases: Array<[string, Record<string, string>, number, string]> = [
    ['/kpi/dau/data_series', {}, 400, 'length is required'],
    ['/kpi/dau/data_series', { length: '0' }, 400, 'length must be an integer between 1 and 100'],
    ['/kpi/mau/data_series', { length: '101' }, 400, 'length must be an integer between 1 and 100'],
    ['/kpi/new_users/data_series', { length: 'seven' }, 400, 'length must be an integer between 1 and 100'],
    ['/kpi/uninstalls/data_series', { length: '1.5' }, 400, 'length must be an integer between 1 and 100'],
    ['/sessions/data_series', { length: '3', unit: 'week' }, 400, 'unit must be one of day, hour'],
    ['/sessions/data_series', { length: '3', ending_at: 'last tuesday' }, 400, 'ending_at must be an ISO 8601 date or date-time (e.g. 2024-03-01T23:59:59-05:00)'],
    ['/sessions/data_series', { length: '3', ending_at: '2024-02-30' }, 400, 'ending_at must be an ISO 8601 date or date-time (e.g. 2024-03-01T23:59:59-05:00)'],
    ['/sessions/data_series', { length: '3', app_id: 'android' }, 400, 'app_id android does not name an app of this workspace'],
    ['/sessions/data_series', { length: '3', segment_id: 'seg-404' }, 400, 'segment_id seg-404 does not name a segment of this workspace'],
    ['/events/data_series', { length: '3' }, 400, 'event is required'],
    ['/events/data_series', { length: '3', event: 'Playd' }, 400, 'event "Playd" names no custom event recorded in this workspace'],
    ['/purchases/revenue_series', { length: '3', product: 'Nothing' }, 400, 'product "Nothing" names no product recorded in this workspace'],
    ['/events/list', { page: '-1' }, 400, 'page must be an integer between 0 and 1000000'],
  ];
  it.each(cases)('GET %s %j answers %i naming the parameter', async (path, query, status, message) => {
    const res = await h.get(path, query);
    expect([res.statusCode, res.json()]).toEqual([status, { message }]);
  });

  it('404 for unknown paths, with a JSON message', async () => {
    const res = await h.get('/kpi/wau/data_series', { length: 1 });
    expect([res.statusCode, res.json()]).toEqual([404, { message: 'no endpoint GET /kpi/wau/data_series' }]);
  });

  it('a /users/track that is wrong as a whole is a 400 and stores nothing', async () => {
    const before = await h.data.recordCount();
    const many = Array.from({ length: 76 }, () => ({ external_id: 'x', name: 'E', time: '2024-03-01T00:00:00Z' }));
    const tooMany = await h.post('/users/track', { events: many });
    expect([tooMany.statusCode, tooMany.json()]).toEqual([400, { message: 'events must be an array of at most 75 objects (got 76)' }]);
    const notJson = await h.post('/users/track', '{"events": [', { 'content-type': 'application/json' });
    expect(notJson.statusCode).toBe(400);
    const notArray = await h.post('/users/track', { attributes: 'nope' });
    expect([notArray.statusCode, notArray.json()]).toEqual([400, { message: 'attributes must be an array' }]);
    const empty = await h.post('/users/track', {});
    expect([empty.statusCode, empty.json()]).toEqual([400, { message: 'at least one of attributes, events or purchases is required' }]);
    expect(await h.data.recordCount()).toBe(before);
  });

  it('a /users/track object that is wrong on its own is listed by index; the rest is stored', async () => {
    const before = await h.data.recordCount();
    const res = await h.post('/users/track', {
      events: [
        { external_id: 'a', name: 'Ok', time: '2024-03-01T00:00:00Z' },
        { name: 'No user', time: '2024-03-01T00:00:00Z' },
        { external_id: 'a', name: 'Bad time', time: 'soon' },
      ],
      purchases: [{ external_id: 'a', product_id: 'x', price: 1, currency: 'JPY', time: '2024-03-01T00:00:00Z' }],
      attributes: [{ external_id: 'a', $bad: 1 }, { external_id: 'a', email_subscribe: 'maybe' }, { external_id: 'a', first_name: 'A' }],
    });
    expect([res.statusCode, res.json()]).toEqual([
      201,
      {
        message: 'success',
        attributes_processed: 1,
        events_processed: 1,
        purchases_processed: 0,
        errors: [
          { type: 'attribute name $bad must not start with $', input_array: 'attributes', index: 0 },
          { type: 'email_subscribe must be one of opted_in, subscribed, unsubscribed', input_array: 'attributes', index: 1 },
          { type: "'external_id', 'user_alias', 'braze_id', 'email' or 'phone' is required", input_array: 'events', index: 1 },
          { type: 'time must be ISO 8601 (got "soon")', input_array: 'events', index: 2 },
          { type: 'currency JPY has no exchange rate: add currency_rates.JPY to the workspace', input_array: 'purchases', index: 0 },
        ],
      },
    ]);
    expect(await h.data.recordCount()).toBe(before + 1);
  });

  it('a malformed /currents body is a 400 and stores nothing', async () => {
    const before = await h.data.recordCount();
    const body = `${JSON.stringify(currents('users.behaviors.app.SessionStart', 'u9', at('2024-03-01T00:00:00')))}\n{"id": `;
    const res = await h.post('/currents', body, { 'content-type': 'application/x-ndjson' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^body is not valid JSON/);
    expect((await h.post('/currents', '', { 'content-type': 'application/x-ndjson' })).json()).toEqual({
      message: 'body is empty: send Currents records as NDJSON or a JSON array',
    });
    // 20 bytes of JSON before the padding and 2 after: 1,048,598 bytes on line 2.
    const huge = `${JSON.stringify(currents('users.behaviors.app.SessionStart', 'u9', at('2024-03-01T00:00:00')))}\n{"id": "x", "pad": "${'z'.repeat(1024 * 1024)}"}`;
    const tooBig = await h.post('/currents', huge, { 'content-type': 'application/x-ndjson' });
    expect([tooBig.statusCode, tooBig.json()]).toEqual([413, { message: 'record on line 2 is 1048598 bytes; one Currents record may be at most 1048576 bytes' }]);
    expect(await h.data.recordCount()).toBe(before);
  });

  it('never answers 5xx or a stack trace for a bad workspace', async () => {
    const res = await h.put('/admin/workspace', { time_zone: 'Mars/Olympus' });
    expect([res.statusCode, res.json()]).toEqual([400, { message: 'time_zone must be an IANA time zone name such as America/New_York (got "Mars/Olympus")' }]);
    const badApps = await h.put('/admin/workspace', { apps: [{ name: 'no id' }] });
    expect(badApps.statusCode).toBe(400);
    expect(badApps.json().message).toMatch(/apps\[0\]|id/);
  });
});

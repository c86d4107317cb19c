import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '@brazen/server';
import { at, currents, ndjson, startHarness, type Harness } from './harness.ts';

const NDJSON = { 'content-type': 'application/x-ndjson' };
const EVENT = 'users.behaviors.CustomEvent';

// base64 of Braze's cursors, worked out with `printf skip:50 | base64`.
const SKIP_0 = 'c2tpcDow';
const SKIP_50 = 'c2tpcDo1MA==';
const SKIP_100 = 'c2tpcDoxMDA=';
const SKIP_150 = 'c2tpcDoxNTA=';

const pad = (n: number) => String(n).padStart(3, '0');

/**
 * 120 names: `ev-000` .. `ev-115`, and four that show the order is by code point: `Zebra` (Z is
 * U+005A) before `apple` (U+0061) before `ev-...` (U+0065), and the fullwidth `Ｚ` (U+FF3A) before
 * the emoji (U+1F600), which JavaScript's default sort (UTF-16 units: 0xD83D < 0xFF3A) would swap.
 */
const EXPECTED = ['Zebra', 'apple', ...Array.from({ length: 116 }, (_, i) => `ev-${pad(i)}`), 'Ｚ fullwidth', '😀 smile'];

describe('GET /events: custom events, 50 a page, walked through Link headers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    // Most names through Currents, the rest through /users/track: both record custom events.
    const shuffled = [...EXPECTED].reverse();
    const res = await h.post('/currents', ndjson(shuffled.slice(0, 100).map((name, i) => currents(EVENT, 'u1', at('2024-03-01T10:00:00') + i, { name }))), NDJSON);
    expect(res.statusCode, res.body).toBe(201);
    const track = await h.post('/users/track', {
      events: shuffled.slice(100).map((name) => ({ external_id: 'u2', name, time: '2024-03-02T10:00:00Z' })),
    });
    expect(track.statusCode, track.body).toBe(201);
  });
  afterAll(() => h.close());

  it('three pages (50, 50, 20) in code-point order, each naming the next and the previous page', async () => {
    const first = await h.get('/events');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers.link).toBe(`<http://localhost:80/events?cursor=${SKIP_50}>; rel="next"`);
    const pages: string[][] = [first.json().events.map((e: { name: string }) => e.name)];
    expect(first.json().events[0]).toEqual({ name: 'Zebra', description: null, included_in_analytics_report: false, status: 'Active', tag_names: [] });

    // Follow the Link header as a consumer would: the URL as given.
    const links: Array<string | undefined> = [first.headers.link as string];
    let next = /<([^>]+)>; rel="next"/.exec(first.headers.link as string)?.[1];
    while (next) {
      const url = new URL(next);
      const res = await h.get(url.pathname + url.search);
      expect(res.statusCode, res.body).toBe(200);
      pages.push(res.json().events.map((e: { name: string }) => e.name));
      links.push(res.headers.link as string | undefined);
      next = /<([^>]+)>; rel="next"/.exec((res.headers.link as string | undefined) ?? '')?.[1];
    }
    expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
    expect(pages.flat()).toEqual(EXPECTED);
    expect(links).toEqual([
      `<http://localhost:80/events?cursor=${SKIP_50}>; rel="next"`,
      `<http://localhost:80/events?cursor=${SKIP_0}>; rel="prev",<http://localhost:80/events?cursor=${SKIP_100}>; rel="next"`,
      `<http://localhost:80/events?cursor=${SKIP_50}>; rel="prev"`,
    ]);
  });

  it("takes the docs' example cursor (skip:0), answers an empty page past the end, and 400 for a cursor it never gave", async () => {
    const docs = await h.get('/events', { cursor: SKIP_0 });
    expect(docs.json().events.map((e: { name: string }) => e.name)).toEqual(EXPECTED.slice(0, 50));
    const past = await h.get('/events', { cursor: SKIP_150 });
    expect([past.statusCode, past.json().events, past.headers.link]).toEqual([200, [], `<http://localhost:80/events?cursor=${SKIP_100}>; rel="prev"`]);
    for (const cursor of ['nonsense', Buffer.from('page:2').toString('base64'), Buffer.from('skip:-5').toString('base64')]) {
      const bad = await h.get('/events', { cursor });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toBe(`cursor ${JSON.stringify(cursor)} is not a cursor of this endpoint: send the one its Link header gave`);
    }
  });

  it('descriptions, statuses, tags and report inclusion come from the workspace document, and defined names are listed too', async () => {
    const put = await h.put('/admin/workspace', {
      custom_events: [
        { name: 'apple', description: 'Bought an apple', status: 'Blocklisted', tag_names: ['fruit', 'food'], included_in_analytics_report: true },
        { name: 'ev-000a', description: 'Defined before any data' },
      ],
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().custom_events).toHaveLength(2);
    // An upsert by name replaces the definition.
    await h.put('/admin/workspace', { custom_events: [{ name: 'ev-000a', description: 'Pre-populated', tag_names: ['new'] }] });
    const first = (await h.get('/events')).json().events;
    expect(first.slice(0, 4)).toEqual([
      { name: 'Zebra', description: null, included_in_analytics_report: false, status: 'Active', tag_names: [] },
      { name: 'apple', description: 'Bought an apple', included_in_analytics_report: true, status: 'Blocklisted', tag_names: ['fruit', 'food'] },
      { name: 'ev-000', description: null, included_in_analytics_report: false, status: 'Active', tag_names: [] },
      { name: 'ev-000a', description: 'Pre-populated', included_in_analytics_report: false, status: 'Active', tag_names: ['new'] },
    ]);
    const last = (await h.get('/events', { cursor: SKIP_100 })).json().events;
    expect(last.map((e: { name: string }) => e.name)).toEqual(EXPECTED.slice(99)); // one more name before them
    const wrong = await h.put('/admin/workspace', { custom_events: [{ name: 'x', included_in_analytics_report: 'yes' }] });
    expect([wrong.statusCode, wrong.json().message]).toEqual([400, 'custom_events[0].included_in_analytics_report must be true or false']);
  });

  it('the OpenAPI document describes the cursor and the Link header', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const path of ['/events', '/custom_attributes']) {
      const get = doc.paths[path].get;
      expect(get.parameters.map((p: { name: string }) => p.name)).toContain('cursor');
      expect(Object.keys(get.responses['200'].headers)).toEqual(['Link']);
    }
  });

  it('needs the events.get permission', async () => {
    await h.store.keys.addApiKey({ name: 'lists only', workspace: 'default', hash: hashKey('lists-only'), permissions: ['events.list'], createdAt: '2024-01-01T00:00:00Z' });
    const res = await h.app.inject({ method: 'GET', url: '/events', headers: { authorization: 'Bearer lists-only' } });
    expect([res.statusCode, res.json().message]).toEqual([403, 'this API key does not have the events.get permission']);
  });
});

describe('GET /custom_attributes: data types from the first value recorded', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const names = (res: { json(): { attributes: Array<{ name: string }> } }) => res.json().attributes.map((a) => a.name);

  it('lists custom attributes (never standard ones) with the type of their first value', async () => {
    const first = await h.post('/users/track', {
      attributes: [
        {
          external_id: 'u1', first_name: 'Ann', email: 'ann@example.com', country: 'US',
          vip: true, visits: 3, plan: 'gold', signed_up: { $time: '2024-03-01T10:00:00Z' }, birthday_text: '1990-05-17',
          looks_like_date: '2024-02-30', tags: ['a', 'b'], empty_list: [], pets: [{ name: 'Rex' }, { name: 'Tom' }],
          address: { city: 'Paris', zip: '75001' }, mixed: 1, nothing: null, score: { inc: 2 },
        },
      ],
    });
    expect(first.statusCode, first.body).toBe(201);
    // Later values of another type do not change the type: Braze types an attribute by its first value.
    await h.post('/users/track', { attributes: [{ external_id: 'u2', mixed: 'one', nothing: null, late_null: null }] });
    await h.post('/users/track', { attributes: [{ external_id: 'u3', late_null: 'now a string' }] });
    const res = await h.get('/custom_attributes');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers.link).toBeUndefined();
    const item = (name: string, data_type: string, array_length: number | null = null) => ({
      name, description: null, data_type, array_length, status: 'Active', tag_names: [],
    });
    expect(res.json()).toEqual({
      message: 'success',
      attributes: [
        item('address', 'Object'),
        item('birthday_text', 'Time'),
        item('empty_list', 'Array', 25),
        item('late_null', 'String'),
        item('looks_like_date', 'String'), // February 30th is no date
        item('mixed', 'Number'),
        item('pets', 'Array of Objects', 25),
        item('plan', 'String'),
        item('score', 'Number'),
        item('signed_up', 'Time'),
        item('tags', 'Array', 25),
        item('vip', 'Boolean'),
        item('visits', 'Number'),
      ],
    });
  });

  it('the workspace document forces a type, an array length, a description, a status and tags; a defined name is listed without data', async () => {
    const put = await h.put('/admin/workspace', {
      custom_attributes: [
        { name: 'plan', data_type: 'Number', description: 'Plan tier', status: 'Blocklisted', tag_names: ['billing'] },
        { name: 'tags', array_length: 100 },
        { name: 'aaa_defined', data_type: 'Boolean' },
      ],
    });
    expect(put.statusCode, put.body).toBe(200);
    const attributes = (await h.get('/custom_attributes')).json().attributes as Array<{ name: string }>;
    const byName = new Map(attributes.map((a) => [a.name, a]));
    expect(attributes[0]).toEqual({ name: 'aaa_defined', description: null, data_type: 'Boolean', array_length: null, status: 'Active', tag_names: [] });
    expect(byName.get('plan')).toEqual({ name: 'plan', description: 'Plan tier', data_type: 'Number', array_length: null, status: 'Blocklisted', tag_names: ['billing'] });
    expect(byName.get('tags')).toEqual({ name: 'tags', description: null, data_type: 'Array', array_length: 100, status: 'Active', tag_names: [] });
    const wrong = await h.put('/admin/workspace', { custom_attributes: [{ name: 'x', data_type: 'Integer' }] });
    expect([wrong.statusCode, wrong.json().message]).toEqual([
      400, 'custom_attributes[0].data_type must be one of Boolean, Number, String, Time, Array, Object, Array of Objects',
    ]);
  });

  it('120 attributes come in pages of 50, 50 and 20 through the Link headers', async () => {
    const fresh = await startHarness();
    try {
      const attrs = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`attr_${pad(119 - i)}`, i]));
      expect((await fresh.post('/users/track', { attributes: [{ external_id: 'u1', ...attrs }] })).statusCode).toBe(201);
      const pages: string[][] = [];
      let url: string | undefined = '/custom_attributes';
      while (url) {
        const res: Awaited<ReturnType<Harness['get']>> = await fresh.app.inject({ method: 'GET', url, headers: { authorization: 'Bearer test-key-all-permissions' } });
        pages.push(names(res));
        const next: string | undefined = /<([^>]+)>; rel="next"/.exec((res.headers.link as string | undefined) ?? '')?.[1];
        url = next ? new URL(next).pathname + new URL(next).search : undefined;
      }
      expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
      expect(pages.flat()).toEqual(Array.from({ length: 120 }, (_, i) => `attr_${pad(i)}`));
    } finally {
      await fresh.close();
    }
  });
});

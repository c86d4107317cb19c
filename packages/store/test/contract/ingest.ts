import { expect } from 'vitest';
import type { StoreError } from '@brazen/store';
import type { ConcernSuite } from './index.ts';
import { bytes, customEvent, D, H, ingest, profileOf, purchase, record, session, T0, unitsAt, usersNamed, workspaceDoc } from './support.ts';

/** Ingestion (SPEC §4): Currents bodies, /users/track batches, and the count of stored records. */
export const ingestContract: ConcernSuite = (it) => {
  it('answers each of many concurrent requests on its own: its stored, duplicates and errors', async ({ data }) => {
    const played = (id: string, user: string) => customEvent(id, user, T0 + H, 'Played');
    const results = await Promise.allSettled([
      ingest(data, [played('a1', 'u1'), played('a2', 'u2')]),
      ingest(data, [played('a2', 'u2'), record('bad', 'users.behaviors.CustomEvent', 'u3', T0), played('b1', 'u3')]),
      data.ingestCurrents({ bytes: bytes('{"id": "m1", "event_type": '), format: 'ndjson' }),
      ingest(data, [played('c1', 'u1'), played('c1', 'u1')]),
      ingest(data, [played('d1', 'u4')], 'array'),
      ingest(data, []),
    ]);
    const value = (i: number) => (results[i].status === 'fulfilled' ? results[i].value : results[i].reason);
    expect(value(0)).toEqual({ stored: 2, duplicates: 0, errors: [] });
    // a2 was stored by the request before: a duplicate here, not a second count.
    expect(value(1)).toEqual({ stored: 1, duplicates: 1, errors: [{ type: 'currents', index: 1, message: 'name is required for a custom event' }] });
    expect(results[2].status).toBe('rejected');
    expect(value(2)).toMatchObject({ code: 'invalid_input' } satisfies Partial<StoreError>);
    expect(String(value(2).message)).toMatch(/^body is not valid JSON/);
    expect(value(3)).toEqual({ stored: 1, duplicates: 1, errors: [] });
    expect(value(4)).toEqual({ stored: 1, duplicates: 0, errors: [] });
    expect(value(5)).toEqual({ stored: 0, duplicates: 0, errors: [] });
    // a1 a2 b1 c1 d1.
    expect(await data.recordCount()).toBe(5);
    const [count] = await data.counterSeries({ kind: 'custom_event', name: 'Played', units: unitsAt([T0], D, 'day') });
    expect(count.count).toBe(5);
  });

  it('stores Currents records once by id and reports each bad one by index, the first reason that applies', async ({ data, catalog }) => {
    await catalog.putWorkspace(workspaceDoc({ currency_rates: { EUR: 1.5 } }));
    const type = 'users.behaviors.CustomEvent';
    const first = await ingest(data, [
      session('s1', 'u1', T0 + H), // 0: stored
      customEvent('e1', 'u1', T0 + 2 * H, 'Played'), // 1: stored
      record('x1', 'users.behaviors.NoSuchThing', 'u1', T0), // 2
      record('x2', type, 'u1', 0, { time: 'yesterday', name: 'Played' }), // 3
      session('s1', 'u1', T0 + H), // 4: s1 again in the same body
      { event_type: 'users.behaviors.app.SessionStart', user_id: 'u1', time: T0 }, // 5
      { id: '', event_type: type, user_id: 'u1', time: T0, name: 'Played' }, // 6
      { id: 'x3', user_id: 'u1', time: T0 }, // 7
      { id: 'x4', event_type: type, time: T0, name: 'Played' }, // 8
      purchase('x5', 'u1', T0, 'gem', 2, { product_id: undefined }), // 9
      purchase('x6', 'u1', T0, 'gem', 0, { price: 'free' }), // 10
      purchase('x7', 'u1', T0, 'gem', 2, { quantity: 0 }), // 11
      customEvent('x8', 'u1', T0, 'Played', { quantity: -1 }), // 12: quantity is checked on any record
      purchase('x9', 'u1', T0, 'gem', 2, { currency: 'GBP' }), // 13
      // 14: two faults, the id comes first; 15: an unknown type before a bad time.
      { event_type: 'users.behaviors.NoSuchThing', user_id: 'u1', time: 'never' },
      record('x10', 'users.behaviors.NoSuchThing', 'u1', 0, { time: 'never' }),
      // 16: invalid, and 17 valid with the same id: the invalid one does not take the id.
      record('dup', type, 'u1', T0),
      customEvent('dup', 'u1', T0 + 3 * H, 'Played'),
      // 18: lowercase currency with a rate; 19: no currency is USD.
      purchase('p1', 'u1', T0 + 4 * H, 'gem', 2, { currency: 'eur' }),
      purchase('p2', 'u1', T0 + 4 * H, 'gem', 3, { currency: undefined }),
    ]);
    expect(first.errors).toEqual([
      { type: 'currents', index: 2, message: 'event_type "users.behaviors.NoSuchThing" is not a Braze Currents event type' },
      { type: 'currents', index: 3, message: 'time must be a number of epoch seconds' },
      { type: 'currents', index: 5, message: 'id is required' },
      { type: 'currents', index: 6, message: 'id is required' },
      { type: 'currents', index: 7, message: 'event_type is required' },
      { type: 'currents', index: 8, message: 'user_id or external_user_id is required' },
      { type: 'currents', index: 9, message: 'product_id is required for a purchase' },
      { type: 'currents', index: 10, message: 'price must be a number' },
      { type: 'currents', index: 11, message: 'quantity must be a positive integer' },
      { type: 'currents', index: 12, message: 'quantity must be a positive integer' },
      { type: 'currents', index: 13, message: 'currency "GBP" has no exchange rate: add currency_rates.GBP to the workspace' },
      { type: 'currents', index: 14, message: 'id is required' },
      { type: 'currents', index: 15, message: 'event_type "users.behaviors.NoSuchThing" is not a Braze Currents event type' },
      { type: 'currents', index: 16, message: 'name is required for a custom event' },
    ]);
    // Stored: s1 e1 dup p1 p2; the second s1 is a duplicate (20 records, 14 errors).
    expect(first).toMatchObject({ stored: 5, duplicates: 1 });
    const again = await ingest(data, [session('s1', 'u1', T0 + H), session('s2', 'u1', T0 + 3 * H)], 'array');
    expect(again).toEqual({ stored: 1, duplicates: 1, errors: [] });
    expect(await data.recordCount()).toBe(6);
    // p1: 2 EUR at 1.5 = 3 USD; p2: 3 USD.
    const [gems] = await data.counterSeries({ kind: 'purchase', name: 'gem', units: unitsAt([T0], D, 'day') });
    expect(gems).toEqual({ count: 2, quantity: 2, revenue: 6 });
  });

  it('keeps the first of records sent again with other content under the same id', async ({ data }) => {
    await ingest(data, [customEvent('e1', 'u1', T0, 'First')]);
    expect(await ingest(data, [customEvent('e1', 'u2', T0 + D, 'Second')])).toEqual({ stored: 0, duplicates: 1, errors: [] });
    expect(await data.names('custom_event', 0, 10)).toEqual(['First']);
    expect(await usersNamed(data, 'braze_id', 'u2')).toEqual([]);
  });

  it('rejects a malformed body whole, storing nothing', async ({ data }) => {
    const ndjson = bytes(`${JSON.stringify(session('ok', 'u1', T0))}\n{"id": "broken", `);
    await expect(data.ingestCurrents({ bytes: ndjson, format: 'ndjson' })).rejects.toMatchObject({ code: 'invalid_input' } satisfies Partial<StoreError>);
    const array = bytes(`[${JSON.stringify(session('ok', 'u1', T0))}, {"id": `);
    await expect(data.ingestCurrents({ bytes: array, format: 'array' })).rejects.toMatchObject({ code: 'invalid_input' } satisfies Partial<StoreError>);
    expect(await data.recordCount()).toBe(0);
    expect(await usersNamed(data, 'braze_id', 'u1')).toEqual([]);
  });

  it('reads a body given as a stream of chunks cut anywhere, even inside a character', async ({ data }) => {
    const text = [customEvent('é1', 'u1', T0, 'Café ☕'), customEvent('é2', 'u2', T0, 'Café ☕')].map((r) => JSON.stringify(r)).join('\n');
    const all = bytes(text);
    async function* chunks() {
      // 7-byte pieces: '☕' (3 bytes) falls across two of them.
      for (let i = 0; i < all.length; i += 7) yield all.slice(i, i + 7);
    }
    expect(await data.ingestCurrents({ bytes: chunks(), format: 'ndjson' })).toEqual({ stored: 2, duplicates: 0, errors: [] });
    expect(await data.names('custom_event', 0, 10)).toEqual(['Café ☕']);
  });

  it('stores concurrent /users/track batches in their order', async ({ data }) => {
    const user = { external_id: 'x' };
    await Promise.all([1, 2, 3, 4].map((v) =>
      data.track({ attributes: [{ user, time: T0, values: { level: v }, increments: { visits: 1 } }], events: [], purchases: [] })));
    // The latest of four sets at the same time wins; four increments of 1.
    expect(await profileOf(data, 'external_id', 'x', ['custom_attributes'])).toEqual({ custom_attributes: { level: 4, visits: 4 } });
  });

  it('counts what a /users/track batch processed, and its events and purchases as records', async ({ data }) => {
    const result = await data.track({
      attributes: [
        { user: { external_id: 'a' }, time: T0, values: { first_name: 'Ann' } },
        // Only updates an existing user: nobody is named "ghost", so nothing is made.
        { user: { external_id: 'ghost' }, time: T0, values: { first_name: 'Boo' }, updateExistingOnly: true },
      ],
      events: [{ id: 'ev-1', eventType: 'users.behaviors.CustomEvent', time: T0 + H, user: { external_id: 'b' }, name: 'Opened', payload: { name: 'Opened' } }],
      purchases: [{
        id: 'pu-1', eventType: 'users.behaviors.Purchase', time: T0 + H, user: { external_id: 'a' }, name: 'gem', price: 2, currency: 'USD', quantity: 3,
        payload: { product_id: 'gem', price: 2, currency: 'USD', quantity: 3 },
      }],
    });
    expect(result).toEqual({ attributesProcessed: 2, eventsProcessed: 1, purchasesProcessed: 1, errors: [] });
    // Attributes are not records; the event and the purchase are.
    expect(await data.recordCount()).toBe(2);
    expect(await usersNamed(data, 'external_id', 'ghost')).toEqual([]);
    expect(await usersNamed(data, 'external_id', 'b')).toHaveLength(1);
    // 2 USD × 3.
    const [gems] = await data.counterSeries({ kind: 'purchase', name: 'gem', units: unitsAt([T0], D, 'day') });
    expect(gems).toEqual({ count: 1, quantity: 3, revenue: 6 });
  });
};

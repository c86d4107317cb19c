import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { hashKey } from '@brazen/server';
import { flattenConnectorEvent } from '../src/ingest/connector.ts';
import { KEY, startHarness, type Harness } from './harness.ts';

const FIXTURES = fileURLToPath(new URL('../../contract/fixtures/currents/', import.meta.url));
const SAMPLES = readFileSync(join(FIXTURES, 'custom-http.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const [SESSION_START, PURCHASE, EMAIL_OPEN, CUSTOM_EVENT] = SAMPLES;

async function avroSample(eventType: string): Promise<Record<string, unknown>> {
  const records: Array<Record<string, unknown>> = [];
  for await (const r of avro.createFileDecoder(join(FIXTURES, 'avro-samples', `${eventType}.avro`))) records.push({ ...(r as object) });
  expect(records).toHaveLength(1);
  return records[0];
}

/** The flat record against Braze's own storage record of the same event: the same fields and values
 * (its `properties` JSON text compared as JSON, its float price to float precision). */
function expectStorageForm(flat: Record<string, unknown>, stored: Record<string, unknown>, eventType: string): void {
  const { properties, price, ...rest } = flat;
  const { properties: storedProperties, price: storedPrice, ...storedRest } = stored;
  expect({ ...rest }).toEqual({ ...storedRest, event_type: eventType });
  expect(JSON.parse(properties as string)).toEqual(JSON.parse(storedProperties as string));
  if (storedPrice !== undefined) expect(price).toBeCloseTo(storedPrice as number, 5);
}

const post = (h: Harness, body: unknown, headers: Record<string, string> = {}) => h.post('/currents/connector', body, headers);

describe('POST /currents/connector (Braze Custom Currents connector)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: Date.UTC(2034, 6, 1) });
  });
  afterAll(() => h.close());

  it('flattens an event into the record Braze writes to storage for it (the real samples of both forms)', async () => {
    expectStorageForm(flattenConnectorEvent(PURCHASE), await avroSample('users.behaviors.Purchase'), 'users.behaviors.Purchase');
    expectStorageForm(flattenConnectorEvent(CUSTOM_EVENT), await avroSample('users.behaviors.CustomEvent'), 'users.behaviors.CustomEvent');
    // Worked out by hand from the sample: user and properties side by side.
    expect(flattenConnectorEvent(SESSION_START)).toEqual({
      event_type: 'users.behaviors.app.SessionStart', id: 'a1234567-89ab-cdef-0123-456789abcdef', time: 1477502783,
      user_id: '0123456789abcdef01234567', external_user_id: 'user_id', device_id: 'fedcba87-6543-210f-fedc-ba9876543210',
      app_id: '01234567-89ab-cdef-0123-456789abcdef', platform: 'ios', os_version: 'iOS 10.3.1', device_model: 'iPhone 7 Plus',
      session_id: 'b1234567-89ab-cdef-0123-456789abcdef',
    });
  });

  it('stores the real Custom HTTP samples as /currents would, once each by id, and reports unknown event types', async () => {
    const unknown = { event_type: 'users.messages.pigeon.Send', id: 'pigeon-1', time: 1700000000, user: { user_id: 'u-pigeon' }, properties: {} };
    const res = await post(h, { events: [...SAMPLES, unknown] });
    expect(res.statusCode, res.body).toBe(201);
    // The Purchase, Open and CustomEvent samples share one event id: the first of them is stored.
    expect(res.json()).toEqual({
      message: 'success', events_processed: 2, duplicates: 2,
      errors: [{ index: 4, message: 'event_type "users.messages.pigeon.Send" is not a Braze Currents event type' }],
    });
    // The purchase: 3.14 USD of product_id on 2034-06-13 (09:08:24 UTC), by external_user_id's user.
    const revenue = await h.get('/purchases/revenue_series', { length: 1, ending_at: '2034-06-13', product: 'product_id' });
    expect(revenue.json().data).toEqual([{ time: '2034-06-13', revenue: 3.14 }]);
    const user = await h.post('/users/export/ids', { external_ids: ['external_user_id'], fields_to_export: ['braze_id', 'purchases'] });
    expect(user.json().users).toEqual([{ braze_id: '639a35d192b0df004d06514c', purchases: [{ name: 'product_id', first: '2034-06-13T09:08:24.000Z', last: '2034-06-13T09:08:24.000Z', count: 1 }] }]);
    const sessions = await h.get('/sessions/data_series', { length: 1, ending_at: '2016-10-26', app_id: '01234567-89ab-cdef-0123-456789abcdef' });
    expect(sessions.json().data).toEqual([{ time: '2016-10-26', sessions: 1 }]);

    // Braze sending the batch again changes nothing.
    const again = await post(h, { events: SAMPLES });
    expect(again.json()).toMatchObject({ events_processed: 0, duplicates: 4 });
  });

  it('answers 400 naming what is wrong with a malformed body, and lists events it cannot read by index', async () => {
    const bad = async (body: string) => {
      const res = await post(h, body);
      expect(res.statusCode).toBe(400);
      return res.json().message as string;
    };
    expect(await bad('{"events": [')).toMatch(/^body is not valid JSON/);
    expect(await bad('[{"id": "x"}]')).toBe('body must be a JSON object {"events": [...]}');
    expect(await bad('{"evnts": []}')).toBe('events is required and must be an array of Currents events');
    expect(await bad('{"events": {"id": "x"}}')).toBe('events is required and must be an array of Currents events');

    const ok = { event_type: 'users.behaviors.Uninstall', id: 'uninstall-1', time: 1700000000, user: { user_id: 'u-1' }, properties: { app_id: 'a' } };
    const res = await post(h, { events: ['not an event', { ...ok, id: 'x1', user: 'u-1' }, ok, { ...ok, id: 'x2', properties: [1] }, { ...ok, id: 'x3', user: {} }] });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({
      message: 'success', events_processed: 1, duplicates: 0,
      errors: [
        { index: 0, message: 'events[0] must be a JSON object' },
        { index: 1, message: 'events[1].user must be an object' },
        { index: 3, message: 'events[3].properties must be an object' },
        { index: 4, message: 'user_id or external_user_id is required' },
      ],
    });
    expect((await post(h, { events: [] })).json()).toEqual({ message: 'success', events_processed: 0, duplicates: 0 });
    const metrics = (await h.app.inject('/metrics')).body;
    expect(metrics).toContain('brazen_rejected_records_total{endpoint="/currents/connector",reason="not a JSON object"} 1');
    expect(metrics).toContain('brazen_rejected_records_total{endpoint="/currents/connector",reason="user or properties not an object"} 2');
    expect(metrics).toContain('brazen_rejected_records_total{endpoint="/currents/connector",reason="no user"} 1');
  });

  it('takes the bearer token of a key with currents.ingest only', async () => {
    const body = JSON.stringify({ events: [] });
    const anonymous = await h.app.inject({ method: 'POST', url: '/currents/connector', payload: body, headers: { 'content-type': 'application/json' } });
    expect(anonymous.statusCode).toBe(401);
    await h.store.keys.addApiKey({ name: 'reader', workspace: 'default', hash: hashKey('reader-key'), permissions: ['kpi.dau.data_series'], createdAt: '2024-01-01T00:00:00Z' });
    const reader = await h.app.inject({ method: 'POST', url: '/currents/connector', payload: body, headers: { authorization: 'Bearer reader-key' } });
    expect(reader.statusCode).toBe(403);
    expect(reader.json().message).toBe('this API key does not have the currents.ingest permission');
  });
});

describe('POST /currents/connector when the store cannot take a batch now', () => {
  const uninstall = (id: string) => ({ event_type: 'users.behaviors.Uninstall', id, time: 1700000000, user: { user_id: 'u-1' }, properties: {} });
  const send = (app: FastifyInstance, events: unknown[]) =>
    app.inject({ method: 'POST', url: '/currents/connector', payload: JSON.stringify({ events }), headers: { authorization: `Bearer ${KEY}` } });

  it('answers 429 with Retry-After past the batches it may hold, and every batch sent again is stored once', async () => {
    const h = await startHarness({ connector: { maxPendingBatches: 2 } });
    try {
      const batches = Array.from({ length: 12 }, (_, b) => Array.from({ length: 100 }, (_, i) => uninstall(`b${b}-e${i}`)));
      const first = await Promise.all(batches.map((b) => send(h.app, b)));
      const turnedAway = first.filter((r) => r.statusCode === 429);
      expect(turnedAway.length).toBeGreaterThan(0);
      expect(first.every((r) => r.statusCode === 201 || r.statusCode === 429)).toBe(true);
      for (const r of turnedAway) {
        expect(r.headers['retry-after']).toBe('1');
        expect(r.json().message).toMatch(/^brazen is storing 2 batches already/);
      }
      // As Braze does: each batch not acknowledged is sent again until it is.
      let stored = first.filter((r) => r.statusCode === 201).reduce((n, r) => n + r.json().events_processed, 0);
      for (const [b, r] of first.entries()) {
        if (r.statusCode === 201) continue;
        const again = await send(h.app, batches[b]);
        expect(again.statusCode).toBe(201);
        stored += again.json().events_processed;
      }
      expect(stored).toBe(1200);
      expect(await h.data.recordCount()).toBe(1200);
    } finally {
      await h.close();
    }
  });

  it('answers 503 with Retry-After, not a 4xx or a 500, when the store fails', async () => {
    const h = await startHarness();
    try {
      expect((await send(h.app, [uninstall('e1')])).statusCode).toBe(201); // the key is known (and cached) now
      await h.store.close(); // the store goes away under a running server
      const res = await send(h.app, [uninstall('e2')]);
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json().message).toBe('the batch could not be stored now: send it again later');
    } finally {
      await h.app.close();
      rmSync(h.dir, { recursive: true, force: true });
    }
  });
});

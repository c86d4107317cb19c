import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS, endpoints, type Endpoint } from '@brazen/contract';
import type { Store } from '@brazen/store';
import { openTestStore } from './test-store.ts';
import { buildApp, hashKey, loggerOptions } from '@brazen/server';
import type { FastifyInstance } from 'fastify';
import { at, currents, ndjson } from './harness.ts';

describe('permissions, health, metrics and logs', () => {
  let app: FastifyInstance;
  let store: Store;
  const lines: string[] = [];
  beforeAll(async () => {
    store = await openTestStore({ dir: ':memory:' });
    await store.keys.addApiKey({ name: 'all', workspace: 'default', hash: hashKey('all'), permissions: ALL_PERMISSIONS, createdAt: '2024-01-01T00:00:00Z' });
    for (const p of ALL_PERMISSIONS) {
      await store.keys.addApiKey({ name: `without ${p}`, workspace: 'default', hash: hashKey(`without:${p}`), permissions: ALL_PERMISSIONS.filter((x) => x !== p), createdAt: '2024-01-01T00:00:00Z' });
    }
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(chunk.toString()), done()) });
    app = await buildApp({ store, logger: { ...(loggerOptions('info') as object), stream: sink } as never, rateLimits: false });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const all: Endpoint[] = Object.values(endpoints);
  it.each(all.map((e) => [e.method, e.path, e.permission] as const))('%s %s needs %s: 403 without it', async (method, path, permission) => {
    expect(app.hasRoute({ method, url: path })).toBe(true);
    const res = await app.inject({ method, url: path, headers: { authorization: `Bearer without:${permission}` }, payload: method === 'GET' ? undefined : {} });
    expect([res.statusCode, res.json().message]).toEqual([403, `this API key does not have the ${permission} permission`]);
  });

  it('/health and /ready answer without a key', async () => {
    expect((await app.inject('/health')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/ready')).json()).toEqual({ status: 'ready' });
  });

  it('/metrics counts requests by route and status, and ingested records', async () => {
    await app.inject({
      method: 'POST',
      url: '/currents',
      headers: { authorization: 'Bearer all', 'content-type': 'application/x-ndjson' },
      payload: ndjson([currents('users.behaviors.app.SessionStart', 'm1', at('2024-01-01T00:00:00')), { id: 'bad' }]),
    });
    await app.inject({ url: '/kpi/dau/data_series?length=0', headers: { authorization: 'Bearer all' } });
    const text = (await app.inject('/metrics')).body;
    expect(text).toContain('brazen_http_requests_total{route="/currents",method="POST",status="201"} 1');
    expect(text).toContain('brazen_http_requests_total{route="/kpi/dau/data_series",method="GET",status="400"} 1');
    expect(text).toContain('brazen_ingested_records_total{endpoint="/currents"} 1');
    expect(text).toContain('brazen_rejected_records_total{endpoint="/currents",reason="no event_type"} 1');
    expect(text).toMatch(/brazen_http_request_duration_seconds_bucket\{le="0.005",route="\/kpi\/dau\/data_series"\}/);
  });

  it('logs carry request ids and never the key', async () => {
    const res = await app.inject({ url: '/events/list?api_key=all', headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers['x-request-id']).toBe('trace-123');
    await app.inject({ url: '/events/list', headers: { authorization: 'Bearer all' } });
    const log = lines.join('');
    expect(log).toContain('"reqId":"trace-123"');
    expect(log).toContain('api_key=[redacted]');
    expect(log).not.toMatch(/api_key=all|Bearer all/);
  });
});

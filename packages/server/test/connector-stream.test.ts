import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../../store/test/naive.ts';
import { KEY, startHarness, type Harness } from './harness.ts';

/**
 * 100,000 Currents events of two weeks, as Braze's Custom Currents connector sends them (batches of
 * 100, nested) and as storage files hold them (flat). Both forms are written here, side by side,
 * from the same parts: the connector's flattening is not used to make the expectation.
 */
const EVENTS = 100_000;
const USERS = 2_000;
const DAY0 = Date.UTC(2024, 2, 1) / 1000;
const DAYS = 14;
const NAMES = ['played', 'shared', 'level_up', 'added_to_cart', 'rated'];
const PRODUCTS = ['gems', 'coins', 'pass'];

interface Parts {
  eventType: string;
  user: Record<string, unknown>;
  /** Properties the flat record has as they are. */
  fields: Record<string, unknown>;
  /** A custom event's or purchase's own properties: nested in the connector form, a JSON string in the flat one. */
  own?: { name: 'custom_properties' | 'purchase_properties'; value: Record<string, unknown> };
}

function workload(): Array<{ nested: Record<string, unknown>; flat: Record<string, unknown> }> {
  const next = prng(23);
  const out: Array<{ nested: Record<string, unknown>; flat: Record<string, unknown> }> = [];
  for (let k = 0; k < EVENTS; k++) {
    const u = Math.floor(next() * USERS);
    // Braze streams events as they happen: in time order, give or take a few minutes.
    const time = DAY0 + Math.floor((Math.min(EVENTS - 1, k + next() * 300) / EVENTS) * DAYS * 86_400);
    const app = u % 2 ? 'app-ios' : 'app-android';
    const user: Record<string, unknown> = { user_id: `b${u}`, device_id: `d${u}` };
    if (u % 3 !== 0) user.external_user_id = `u${u}`;
    if (u % 5 === 0) user.timezone = 'America/Chicago';
    const email = { campaign_id: 'cmp-email', message_variation_id: `v-email-${u % 2}`, email_address: `u${u}@example.com`, dispatch_id: `dsp-${time % 7}` };
    const r = next();
    let parts: Parts;
    if (r < 0.4) parts = { eventType: 'users.behaviors.app.SessionStart', user, fields: { app_id: app, session_id: `s${k}`, platform: u % 2 ? 'ios' : 'android' } };
    else if (r < 0.62) parts = { eventType: 'users.behaviors.CustomEvent', user, fields: { app_id: app, name: NAMES[k % NAMES.length] }, own: { name: 'custom_properties', value: { level: k % 10, tags: ['a'] } } };
    else if (r < 0.67) {
      parts = {
        eventType: 'users.behaviors.Purchase', user, fields: { app_id: app, product_id: PRODUCTS[k % 3], price: (k % 50) + 0.99, currency: 'USD' },
        own: { name: 'purchase_properties', value: { coupon: k % 4 === 0 } },
      };
    } else if (r < 0.77) parts = { eventType: 'users.messages.email.Send', user, fields: email };
    else if (r < 0.85) parts = { eventType: 'users.messages.email.Open', user, fields: { ...email, machine_open: k % 9 === 0 ? 'true' : null } };
    else if (r < 0.88) parts = { eventType: 'users.messages.email.Click', user, fields: { ...email, url: 'https://example.com/sale' } };
    else if (r < 0.93) parts = { eventType: 'users.messages.pushnotification.Send', user, fields: { campaign_id: 'cmp-push', message_variation_id: 'v-push', app_id: app, platform: 'android' } };
    else if (r < 0.96) parts = { eventType: 'users.messages.pushnotification.Open', user, fields: { campaign_id: 'cmp-push', message_variation_id: 'v-push', app_id: app, platform: 'android' } };
    else if (r < 0.97) parts = { eventType: 'users.behaviors.Uninstall', user, fields: { app_id: app } };
    else parts = { eventType: 'users.canvas.Entry', user, fields: { canvas_id: 'cv-1', canvas_variation_id: 'cvv-1', canvas_step_id: 'step-1', in_control_group: false } };
    const id = `evt-${k}`;
    out.push({
      nested: {
        event_type: parts.eventType, id, time, user: parts.user,
        properties: { ...parts.fields, ...(parts.own ? { [parts.own.name]: parts.own.value } : {}) },
      },
      flat: {
        event_type: parts.eventType, id, time, ...parts.user, ...parts.fields,
        ...(parts.own ? { properties: JSON.stringify(parts.own.value) } : {}),
      },
    });
  }
  return out;
}

const WORKSPACE = {
  apps: [{ id: 'app-ios', name: 'iOS' }, { id: 'app-android', name: 'Android' }],
  campaigns: [
    {
      id: 'cmp-email', name: 'Newsletter',
      messages: { 'v-email-0': { channel: 'email', name: 'A' }, 'v-email-1': { channel: 'email', name: 'B' } },
      conversion_behaviors: [{ type: 'Makes Any Purchase', window: 86_400 }],
    },
    { id: 'cmp-push', name: 'Comeback', messages: { 'v-push': { channel: 'android_push', name: 'Push' } } },
  ],
  canvases: [{
    id: 'cv-1', name: 'Onboarding', variants: [{ id: 'cvv-1', name: 'Variant 1', first_step_ids: ['step-1'] }],
    steps: [{ id: 'step-1', name: 'Welcome', next_step_ids: [], channels: ['email'], messages: { 'm-email': { channel: 'email', name: 'Welcome' } } }],
  }],
};

/** Every figure brazen computes from these events, each read through the API. */
async function figures(h: Harness): Promise<Record<string, unknown>> {
  const week = { length: DAYS, ending_at: '2024-03-14' };
  const get = async (path: string, query: Record<string, string | number> = {}) => {
    const res = await h.get(path, query);
    expect(res.statusCode, `${path} ${res.body}`).toBe(200);
    return res.json() as unknown;
  };
  const out: Record<string, unknown> = {};
  for (const kpi of ['dau', 'mau', 'new_users', 'uninstalls']) out[kpi] = await get(`/kpi/${kpi}/data_series`, week);
  out.dauIos = await get('/kpi/dau/data_series', { ...week, app_id: 'app-ios' });
  out.sessions = await get('/sessions/data_series', week);
  out.sessionsHourly = await get('/sessions/data_series', { length: 72, unit: 'hour', ending_at: '2024-03-05T23:00:00Z' });
  out.eventNames = await get('/events/list');
  for (const name of NAMES) out[`event:${name}`] = await get('/events/data_series', { ...week, event: name });
  out.products = await get('/purchases/product_list');
  out.revenue = await get('/purchases/revenue_series', week);
  out.quantity = await get('/purchases/quantity_series', { ...week, product: 'gems' });
  out.emailCampaign = await get('/campaigns/data_series', { ...week, campaign_id: 'cmp-email' });
  out.pushCampaign = await get('/campaigns/data_series', { ...week, campaign_id: 'cmp-push' });
  out.canvas = await get('/canvas/data_series', { length: 14, ending_at: '2024-03-14', canvas_id: 'cv-1' });
  out.users = (await h.post('/users/export/ids', { external_ids: ['u1', 'u2', 'u4', 'u5', 'u7'] })).json();
  return out;
}

describe('the Custom Currents connector fed 100,000 events by 4 senders, against the same events as NDJSON', () => {
  const events = workload();
  let connector: Harness;
  let ndjson: Harness;

  beforeAll(async () => {
    // Server A holds at most 3 batches at once: with 4 senders, some batches are answered 429.
    [connector, ndjson] = await Promise.all([startHarness({ connector: { maxPendingBatches: 3 } }), startHarness()]);
    for (const h of [connector, ndjson]) {
      const res = await h.put('/admin/workspace', WORKSPACE);
      expect(res.statusCode, res.body).toBe(200);
    }
  }, 60_000);
  afterAll(async () => {
    await connector?.close();
    await ndjson?.close();
  });

  it('stores every event once, and every figure equals that of the NDJSON server', async () => {
    const url = `${await connector.app.listen({ port: 0, host: '127.0.0.1' })}/currents/connector`;
    const batches: unknown[][] = [];
    for (let i = 0; i < events.length; i += 100) batches.push(events.slice(i, i + 100).map((e) => e.nested));

    const tally = { processed: 0, duplicates: 0, turnedAway: 0, resent: 0 };
    /** Sends a batch until it is acknowledged, as Braze does (429 and 503 are sent again). */
    const deliver = async (batch: unknown[]) => {
      for (;;) {
        const res = await fetch(url, {
          method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ events: batch }),
        });
        const body = (await res.json()) as { events_processed: number; duplicates: number; errors?: unknown[] };
        if (res.status === 201) {
          expect(body.errors).toBeUndefined();
          tally.processed += body.events_processed;
          tally.duplicates += body.duplicates;
          return;
        }
        expect([429, 503]).toContain(res.status);
        expect(res.headers.get('retry-after')).not.toBeNull();
        tally.turnedAway += 1;
        await new Promise((r) => setTimeout(r, 50)); // Braze waits longer; the test need not
      }
    };
    let nextBatch = 0;
    const sender = async () => {
      while (nextBatch < batches.length) {
        const b = nextBatch++;
        await deliver(batches[b]);
        // Every 40th batch is sent again after it was acknowledged, as after an answer lost on the way.
        if (b % 40 === 7) {
          tally.resent += 1;
          await deliver(batches[b]);
        }
      }
    };
    await Promise.all([sender(), sender(), sender(), sender()]);

    expect(tally.resent).toBe(25);
    expect(tally.processed).toBe(EVENTS);
    expect(tally.duplicates).toBe(25 * 100);
    expect(tally.turnedAway).toBeGreaterThan(0);
    expect(await connector.data.recordCount()).toBe(EVENTS);

    // The same events, flat, to /currents of the other server.
    let stored = 0;
    for (let i = 0; i < events.length; i += 10_000) {
      const body = events.slice(i, i + 10_000).map((e) => JSON.stringify(e.flat)).join('\n');
      const res = await ndjson.post('/currents', body, { 'content-type': 'application/x-ndjson' });
      expect(res.statusCode, res.body).toBe(201);
      stored += res.json().events_processed;
    }
    expect(stored).toBe(EVENTS);

    const got = await figures(connector);
    const want = await figures(ndjson);
    expect(got).toEqual(want);
    // Not a comparison of empty or wrong answers: sessions, DAU and MAU counted here from the records.
    const sessionDays: Array<Set<unknown>> = Array.from({ length: DAYS }, () => new Set());
    let sessionCount = 0;
    for (const { flat } of events) {
      if (flat.event_type !== 'users.behaviors.app.SessionStart') continue;
      sessionCount += 1;
      sessionDays[Math.floor(((flat.time as number) - DAY0) / 86_400)].add(flat.user_id);
    }
    const series = (name: string, field: string) => (want[name] as { data: Array<Record<string, number>> }).data.map((d) => d[field]);
    expect(series('sessions', 'sessions').reduce((n, x) => n + x, 0)).toBe(sessionCount);
    expect(series('dau', 'dau')).toEqual(sessionDays.map((users) => users.size));
    expect(series('mau', 'mau')).toEqual(sessionDays.map((_, d) => new Set(sessionDays.slice(0, d + 1).flatMap((users) => [...users])).size));
    expect((want.users as { users: unknown[] }).users).toHaveLength(5);
    const sent = (want.emailCampaign as { data: Array<{ messages: { email: Array<{ sent: number }> } }> }).data
      .reduce((n, d) => n + d.messages.email.reduce((m, v) => m + v.sent, 0), 0);
    expect(sent).toBe(events.filter((e) => e.flat.event_type === 'users.messages.email.Send').length);
  }, 900_000);
});

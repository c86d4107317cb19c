import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentsEventType } from '@brazen/contract';
import { startHarness, type Harness } from '../../server/test/harness.ts';
import { buildDemo, demoPlan, simulateDemo, type CurrentsRecord, type DemoProgress } from '../src/index.ts';

// A fixed anchor: the demo covers the 56 days before 2024-04-01 (2024-02-05 .. 2024-03-31), 8 full weeks.
const END = Date.UTC(2024, 3, 1) / 1000;
const NOW = Date.UTC(2024, 3, 1, 12);
const SMALL = { users: 400, days: 21, seed: 7, end: END };

async function demoHarness(options: { users: number; days: number; seed: number; end: number }): Promise<Harness> {
  const h = await startHarness({ now: NOW });
  await buildDemo(h.store.workspace(), options);
  return h;
}

/** Requests a new user would make; each answer must be byte-identical for the same seed. */
type Request = { path: string; query?: Record<string, string | number> };

/** The id of the first tracked segment of a /segments/list answer. */
function trackedSegment(list: { body: string }): string {
  const { segments } = JSON.parse(list.body) as { segments: Array<{ id: string; name: string }> };
  // The demo's first segment, "All users", is tracked (packages/demo/src/workspace.ts).
  const all = segments.find((s) => s.name === 'All users');
  expect(all, list.body).toBeDefined();
  return all!.id;
}

/** Every GET endpoint of the export API, each with parameters that name real demo objects. */
function requests(plan: ReturnType<typeof demoPlan>, segmentId: string): Request[] {
  const newsletterId = plan.campaigns.newsletter.id;
  const canvasId = plan.canvases.onboarding.id;
  const cardId = plan.cards[0].id;
  return [
    { path: '/kpi/dau/data_series', query: { length: 21, ending_at: '2024-03-31' } },
    { path: '/kpi/mau/data_series', query: { length: 21, ending_at: '2024-03-31' } },
    { path: '/kpi/new_users/data_series', query: { length: 21, ending_at: '2024-03-31' } },
    { path: '/kpi/uninstalls/data_series', query: { length: 21, ending_at: '2024-03-31' } },
    { path: '/sessions/data_series', query: { length: 24, unit: 'hour', ending_at: '2024-03-30T23:00:00Z' } },
    { path: '/events/list' },
    { path: '/events/data_series', query: { event: 'viewed_product', length: 21, ending_at: '2024-03-31' } },
    { path: '/purchases/product_list' },
    { path: '/purchases/revenue_series', query: { length: 21, ending_at: '2024-03-31' } },
    { path: '/campaigns/list' },
    { path: '/campaigns/details', query: { campaign_id: newsletterId } },
    { path: '/campaigns/data_series', query: { campaign_id: newsletterId, length: 21, ending_at: '2024-03-31' } },
    { path: '/canvas/list' },
    { path: '/canvas/details', query: { canvas_id: canvasId } },
    { path: '/canvas/data_series', query: { canvas_id: canvasId, length: 14, ending_at: '2024-03-31', include_variant_breakdown: 'true', include_step_breakdown: 'true' } },
    { path: '/canvas/data_summary', query: { canvas_id: canvasId, length: 14, ending_at: '2024-03-31' } },
    { path: '/segments/list' },
    { path: '/segments/details', query: { segment_id: segmentId } },
    { path: '/segments/data_series', query: { segment_id: segmentId, length: 21, ending_at: '2024-03-31' } },
    { path: '/feed/list' },
    { path: '/feed/details', query: { card_id: cardId } },
    { path: '/feed/data_series', query: { card_id: cardId, length: 21, ending_at: '2024-03-31' } },
    { path: '/purchases/quantity_series', query: { length: 21, ending_at: '2024-03-31' } },
    { path: '/events', query: {} },
    { path: '/custom_attributes', query: {} },
  ];
}

describe('the demo is a function of its seed', () => {
  let a: Harness;
  let b: Harness;
  let c: Harness;
  beforeAll(async () => {
    a = await demoHarness(SMALL);
    b = await demoHarness(SMALL);
    c = await demoHarness({ ...SMALL, seed: 8 });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), c?.close()]);
  });

  it('answers every endpoint byte for byte the same for the same seed and end date', async () => {
    const plan = demoPlan(SMALL);
    const list = requests(plan, trackedSegment(await a.get('/segments/list')));
    for (const r of list) {
      const x = await a.get(r.path, r.query);
      const y = await b.get(r.path, r.query);
      expect(x.statusCode, `${r.path}: ${x.body}`).toBe(200);
      expect(y.body, r.path).toBe(x.body);
    }
    const users = await a.post('/users/export/ids', { external_ids: ['user-000001', 'user-000002', 'user-000003'] });
    const again = await b.post('/users/export/ids', { external_ids: ['user-000001', 'user-000002', 'user-000003'] });
    expect(users.statusCode, users.body).toBe(200);
    expect(again.body).toBe(users.body);
  });

  it('stores the same in chunks as in one batch, and reports its progress on the way', async () => {
    const simulated: CurrentsRecord[] = [];
    simulateDemo(SMALL, { record: (r) => void simulated.push(r), attributes: () => undefined });
    const reports: DemoProgress[] = [];
    const d = await startHarness({ now: NOW });
    try {
      // Chunks of about a thousand records: several batches, each of whole users.
      const summary = await buildDemo(d.store.workspace(), { ...SMALL, chunkRecords: 1_000, onProgress: (p) => void reports.push(p) });
      expect(summary.stored).toBe(simulated.length);
      expect(await d.data.recordCount()).toBe(simulated.length);
      for (const r of requests(demoPlan(SMALL), trackedSegment(await a.get('/segments/list')))) expect((await d.get(r.path, r.query)).body, r.path).toBe((await a.get(r.path, r.query)).body);
      const ids = { external_ids: ['user-000001', 'user-000002', 'user-000003'] };
      expect((await d.post('/users/export/ids', ids)).body).toBe((await a.post('/users/export/ids', ids)).body);
    } finally {
      await d.close();
    }
    // Progress: users simulated ahead of users stored, chunks announced while they are stored, and
    // at the end every user and record stored.
    expect(reports.filter((p) => p.storing > 0).length).toBeGreaterThanOrEqual(simulated.length / 1_000 - 1);
    expect(reports.some((p) => p.simulated > p.usersDone && p.storing === 0)).toBe(true);
    for (let i = 1; i < reports.length; i++) {
      expect(reports[i].usersDone).toBeGreaterThanOrEqual(reports[i - 1].usersDone);
      expect(reports[i].records).toBeGreaterThanOrEqual(reports[i - 1].records);
    }
    expect(reports.at(-1)).toEqual({ users: SMALL.users, simulated: SMALL.users, usersDone: SMALL.users, records: simulated.length, storing: 0 });
  });

  it('gives other data for another seed', async () => {
    const q = { length: 21, ending_at: '2024-03-31' };
    const x = await a.get('/kpi/dau/data_series', q);
    const z = await c.get('/kpi/dau/data_series', q);
    expect(z.statusCode).toBe(200);
    expect(z.body).not.toBe(x.body);
  });

  it('stops at `until`: nothing at or after it, and the days before it as without it', () => {
    const until = END - 10 * 3600 - 1800; // 2024-03-31T13:30:00Z
    const full: CurrentsRecord[] = [];
    const cut: CurrentsRecord[] = [];
    simulateDemo(SMALL, { record: (r) => void full.push(r), attributes: () => undefined });
    simulateDemo({ ...SMALL, until }, { record: (r) => void cut.push(r), attributes: () => undefined });
    expect(full.some((r) => Number(r.time) >= until)).toBe(true);
    expect(cut.filter((r) => Number(r.time) >= until)).toEqual([]);
    expect(cut.some((r) => Number(r.time) >= until - 3600)).toBe(true);
    // Users play their last day differently once part of it is cut, but not the days before.
    const before = (records: CurrentsRecord[]) => records.filter((r) => Number(r.time) < END - 2 * 86_400).map((r) => JSON.stringify(r)).sort();
    expect(before(cut)).toEqual(before(full));
  });

  it('generates the same records twice without a store', () => {
    const first: CurrentsRecord[] = [];
    const second: CurrentsRecord[] = [];
    simulateDemo({ ...SMALL, users: 50 }, { record: (r) => void first.push(r), attributes: () => undefined });
    simulateDemo({ ...SMALL, users: 50 }, { record: (r) => void second.push(r), attributes: () => undefined });
    expect(second).toEqual(first);
    expect(new Set(first.map((r) => r.id)).size).toBe(first.length);
  });
});

describe('the demo looks like a real app', () => {
  // 8 full weeks: 2024-02-05 (a Monday) to 2024-03-31 (a Sunday).
  const OPTIONS = { users: 1500, days: 56, seed: 3, end: END };
  let h: Harness;
  const records: CurrentsRecord[] = [];
  beforeAll(async () => {
    h = await demoHarness(OPTIONS);
    simulateDemo(OPTIONS, { record: (r) => void records.push(r), attributes: () => undefined });
  });
  afterAll(async () => {
    await h?.close();
  });

  const series = async (path: string, query: Record<string, string | number>) => {
    const res = await h.get(path, query);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { data: Array<Record<string, number | string>> }).data;
  };

  it('exports a segment whole, names beyond ASCII intact, the same computed from the events and from kept profiles', async () => {
    const segments = (await h.get('/segments/list')).json() as { segments: Array<{ id: string }> };
    const exportOnce = async () => {
      const started = await h.post('/users/export/segment', { segment_id: segments.segments[0].id, output_format: 'gzip' });
      expect(started.statusCode, started.body).toBe(201);
      await h.app.exportRunner.idle();
      const job = (await h.store.workspace().catalog.exportJobs()).at(-1)!;
      expect(job.status, job.error).toBe('done');
      const folder = h.app.exportRunner.folder(job.id);
      const files = readdirSync(folder).sort((x, y) => Number(/-(\d+)\.json\.gz$/.exec(x)![1]) - Number(/-(\d+)\.json\.gz$/.exec(y)![1]));
      return { users: job.users!, text: files.map((f) => gunzipSync(readFileSync(join(folder, f))).toString('utf8')).join('') };
    };
    // No profile kept yet: computed from the events.
    const computed = await exportOnce();
    const lines = computed.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { braze_id: string; last_name?: string; home_city?: string });
    expect(lines.length).toBe(computed.users);
    expect(new Set(lines.map((u) => u.braze_id)).size).toBe(computed.users);
    expect(lines.some((u) => /[^\x00-\x7f]/.test(`${u.last_name}${u.home_city}`))).toBe(true);
    // Every profile kept: the same bytes.
    expect(await h.store.workspace().keptProfiles!.refresh()).toBeGreaterThanOrEqual(computed.users);
    expect((await exportOnce()).text).toBe(computed.text);
  });

  it('gives each user one device, named by its sessions, which finds the user and shows among their devices', async () => {
    const devicesOf = new Map<string, Set<string>>();
    for (const r of records) {
      if (r.event_type !== 'users.behaviors.app.SessionStart' && r.event_type !== 'users.behaviors.app.FirstSession') continue;
      const user = String(r.user_id);
      const seen = devicesOf.get(user) ?? new Set<string>();
      seen.add(String(r.device_id));
      devicesOf.set(user, seen);
    }
    expect(devicesOf.size).toBeGreaterThan(1000);
    expect([...devicesOf.values()].every((d) => d.size === 1)).toBe(true);
    const devices = [...devicesOf.values()].map((d) => [...d][0]);
    expect(new Set(devices).size).toBe(devices.length);
    for (const d of devices) expect(d).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    // Three users picked by position: each one's device finds that user, with that device listed.
    const users = [...devicesOf.keys()];
    for (const user of [users[0], users[Math.floor(users.length / 2)], users.at(-1)!]) {
      const device = [...devicesOf.get(user)!][0];
      const res = await h.post('/users/export/ids', { device_id: device, fields_to_export: ['braze_id', 'devices'] });
      expect(res.statusCode, res.body).toBe(200);
      const found = (res.json() as { users: Array<{ braze_id: string; devices: Array<{ device_id: string; model: string; os: string }> }> }).users;
      expect(found.map((u) => u.braze_id)).toEqual([user]);
      expect(found[0].devices.map((d) => d.device_id)).toEqual([device]);
      expect(typeof found[0].devices[0].model).toBe('string');
    }
  });

  it("spreads sessions over the UTC hours by their users' local hours, with no pile-up at midnight UTC", async () => {
    const starts = records.filter((r) => r.event_type === 'users.behaviors.app.SessionStart').map((r) => Number(r.time));
    const byHour = Array.from({ length: 24 }, (_, h) => starts.filter((t) => Math.floor(t / 3600) % 24 === h).length);
    // Neighbouring hours differ by less than 60% (once, every session outside its UTC day was
    // moved to its first or last second: the 23:00 hour held ~5 times the 22:00 one).
    for (let h = 0; h < 24; h++) {
      const before = byHour[(h + 23) % 24];
      expect(Math.max(byHour[h], before) / Math.min(byHour[h], before), `hours ${(h + 23) % 24} and ${h}: ${before} and ${byHour[h]}`).toBeLessThan(1.6);
    }
    // The hourly series of one day answers those records' counts.
    const day = Date.UTC(2024, 2, 10) / 1000;
    const expected = Array.from({ length: 24 }, (_, h) => starts.filter((t) => t >= day + h * 3600 && t < day + (h + 1) * 3600).length);
    const hourly = await series('/sessions/data_series', { length: 24, unit: 'hour', ending_at: '2024-03-10T23:00:00Z' });
    expect(hourly.map((p) => p.sessions)).toEqual(expected);
    expect(expected.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
  });

  it('has every day active, and DAU never above MAU', async () => {
    const q = { length: 56, ending_at: '2024-03-31' };
    const dau = await series('/kpi/dau/data_series', q);
    const mau = await series('/kpi/mau/data_series', q);
    expect(dau).toHaveLength(56);
    expect(dau[0].time).toBe('2024-02-05');
    dau.forEach((d, i) => {
      expect(mau[i].time).toBe(d.time);
      expect(d.dau as number).toBeGreaterThan(0);
      expect(d.dau as number).toBeLessThanOrEqual(mau[i].mau as number);
    });
    // MAU over the last days is well above a day's DAU: users do not come every day.
    expect((mau[55].mau as number) / (dau[55].dau as number)).toBeGreaterThan(2);
    const newUsers = await series('/kpi/new_users/data_series', q);
    expect(newUsers.every((d) => (d.new_users as number) > 0)).toBe(true);
    const uninstalls = await series('/kpi/uninstalls/data_series', q);
    expect(uninstalls.reduce((n, d) => n + (d.uninstalls as number), 0)).toBeGreaterThan(0);
  });

  it('has more sessions on weekends than on weekdays', async () => {
    const sessions = await series('/sessions/data_series', { length: 56, ending_at: '2024-03-31' });
    // Day i is a Monday when i % 7 === 0: Saturdays and Sundays are i % 7 === 5 and 6.
    const weekend = sessions.filter((_, i) => i % 7 >= 5).map((d) => d.sessions as number);
    const weekdays = sessions.filter((_, i) => i % 7 < 5).map((d) => d.sessions as number);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(weekend).toHaveLength(16);
    expect(mean(weekend)).toBeGreaterThan(1.15 * mean(weekdays));
    // Within each of the last six weeks, Saturday beats that week's Tuesday.
    for (let w = 2; w < 8; w++) expect(sessions[w * 7 + 5].sessions as number).toBeGreaterThan(sessions[w * 7 + 1].sessions as number);
  });

  it('takes revenue only from purchases, in USD', async () => {
    const rates: Record<string, number> = { USD: 1, EUR: 1.08, GBP: 1.27 };
    const purchases = records.filter((r) => r.event_type === 'users.behaviors.Purchase');
    const buyers = new Set(purchases.map((r) => r.user_id));
    const everyone = new Set(records.map((r) => r.user_id));
    expect(everyone.size).toBe(1500);
    expect(buyers.size).toBeGreaterThan(0.05 * everyone.size);
    expect(buyers.size).toBeLessThan(0.6 * everyone.size);
    const expected = purchases.reduce((sum, r) => sum + (r.price as number) * rates[r.currency as string], 0);
    const revenue = await series('/purchases/revenue_series', { length: 56, ending_at: '2024-03-31' });
    const total = revenue.reduce((sum, d) => sum + (d.revenue as number), 0);
    expect(total).toBeCloseTo(expected, 1);
    const quantity = await series('/purchases/quantity_series', { length: 56, ending_at: '2024-03-31' });
    expect(quantity.reduce((n, d) => n + (d.purchase_quantity as number), 0)).toBe(purchases.length);
  });

  it('has email funnels: sent ≥ delivered ≥ unique opens ≥ unique clicks', async () => {
    const plan = demoPlan(OPTIONS);
    for (const key of ['newsletter', 'welcome', 'order_confirmation'] as const) {
      const c = plan.campaigns[key];
      const sent = records.filter((r) => r.campaign_id === c.id && r.event_type === 'users.messages.email.Send').length;
      const delivered = records.filter((r) => r.campaign_id === c.id && r.event_type === 'users.messages.email.Delivery').length;
      const opens = records.filter((r) => r.campaign_id === c.id && r.event_type === 'users.messages.email.Open');
      const clicks = records.filter((r) => r.campaign_id === c.id && r.event_type === 'users.messages.email.Click');
      const uniqueOpens = new Set(opens.map((r) => r.user_id)).size;
      const uniqueClicks = new Set(clicks.map((r) => r.user_id)).size;
      expect(sent, key).toBeGreaterThan(50);
      expect(sent).toBeGreaterThan(delivered);
      expect(delivered).toBeGreaterThan(uniqueOpens);
      expect(uniqueOpens).toBeGreaterThan(uniqueClicks);
      expect(uniqueClicks).toBeGreaterThan(0);
      // Clicks come only from users who opened.
      const openers = new Set(opens.map((r) => r.user_id));
      expect(clicks.every((r) => openers.has(r.user_id))).toBe(true);
    }
  });

  it('shows the funnels through /campaigns/data_series', async () => {
    const plan = demoPlan(OPTIONS);
    const data = await series('/campaigns/data_series', { campaign_id: plan.campaigns.newsletter.id, length: 56, ending_at: '2024-03-31' });
    const totals = { sent: 0, delivered: 0, unique_opens: 0, unique_clicks: 0, bounces: 0 };
    for (const day of data) {
      const email = ((day.messages as unknown as Record<string, Array<Record<string, number>>>).email ?? []);
      for (const v of email) for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += v[k] ?? 0;
    }
    expect(totals.sent).toBeGreaterThan(totals.delivered);
    expect(totals.delivered).toBeGreaterThan(totals.unique_opens);
    expect(totals.unique_opens).toBeGreaterThan(totals.unique_clicks);
    expect(totals.unique_clicks).toBeGreaterThan(0);
    expect(totals.bounces).toBe(totals.sent - totals.delivered);
  });

  it('sends on every channel, with API send ids, Canvas steps and News Feed cards', () => {
    const types = new Set(records.map((r) => r.event_type));
    for (const t of [
      'users.messages.email.Send', 'users.messages.pushnotification.Send', 'users.messages.sms.Send', 'users.messages.whatsapp.Send',
      'users.messages.contentcard.Send', 'users.messages.inappmessage.Impression', 'users.messages.webhook.Send',
      'users.messages.email.Bounce', 'users.messages.email.Unsubscribe', 'users.campaigns.Conversion', 'users.canvas.Entry',
      'users.messages.newsfeedcard.Impression', 'users.messages.newsfeedcard.Click', 'users.behaviors.Uninstall',
    ]) expect(types, t).toContain(t);
    const sendIds = new Set(records.filter((r) => typeof r.send_id === 'string').map((r) => r.send_id));
    expect([...sendIds].some((s) => String(s).startsWith('order-confirmation-2024-03-'))).toBe(true);
    const steps = records.filter((r) => r.event_type === 'users.messages.email.Send' && r.canvas_step_id);
    expect(steps.length).toBeGreaterThan(0);
    expect(records.every((r) => /^[0-9a-f]{24}$/.test(String(r.user_id)))).toBe(true);
  });

  it('writes records as their Currents schemas have them: known type, its fields, its required fields', () => {
    const problems = new Set<string>();
    for (const r of records) {
      const type = currentsEventType(String(r.event_type));
      if (!type) {
        problems.add(`unknown type ${String(r.event_type)}`);
        continue;
      }
      for (const key of Object.keys(r)) if (key !== 'event_type' && !(key in type.fields)) problems.add(`${type.eventType} has no field ${key}`);
      for (const key of type.required ?? []) if (r[key] === undefined || r[key] === null) problems.add(`${type.eventType} lacks ${key}`);
    }
    expect([...problems]).toEqual([]);
  });
});

/**
 * The console in a real Chromium (Debian's, driven by playwright-core) against a served demo
 * workspace: every page renders without a console error and asks nothing of another host; the
 * figures it shows equal the API's answers fetched here independently; an export started from
 * the page ends with a file; a key without a permission gets the "needs" notice. The run writes
 * the README's screenshots to docs/ and prints the first paint.
 *
 * Runs where /usr/bin/chromium is (apt-get install chromium); BRAZEN_BROWSER_TESTS=1 (set by
 * .ci/run) makes a missing Chromium a failure instead of a skip.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, settled, type Browser, type Tab } from './browser.ts';
import { FULL_KEY, LAST_DAY, NO_DAU_KEY, serveDemo, type ServedDemo } from './served-demo.ts';

const required = process.env.BRAZEN_BROWSER_TESTS === '1';
const run = hasChromium() || required;
const DOCS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs');
const PERIOD = `to=${LAST_DAY}&days=30`;

type Campaign = { id: string; name: string };
type Series<K extends string> = { data: Array<{ time: string } & Record<K, number>> };

describe.skipIf(!run)('the console in Chromium', () => {
  let demo: ServedDemo;
  let browser: Browser;
  let newsletter: Campaign;

  beforeAll(async () => {
    if (!hasChromium()) throw new Error('BRAZEN_BROWSER_TESTS=1 but there is no /usr/bin/chromium: apt-get install -y chromium');
    [demo, browser] = await Promise.all([serveDemo(), launchChromium()]);
    const { campaigns } = await demo.api<{ campaigns: Campaign[] }>('/campaigns/list');
    newsletter = campaigns.find((c) => c.name === 'Weekly Newsletter')!;
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  /** A signed-in tab, through the link `npm start` prints. */
  async function signedIn(options: Parameters<Browser['open']>[0] = {}, key = FULL_KEY): Promise<Tab> {
    const tab = await browser.open(options);
    await tab.page.goto(`${demo.url}/#key=${key}`);
    await settled(tab.page);
    return tab;
  }
  const visit = async (tab: Tab, hash: string) => {
    await tab.page.goto(`${demo.url}/#/${hash}`);
    await settled(tab.page);
  };

  it('signs in from the link and takes the key out of the address bar', async () => {
    const tab = await browser.open();
    await tab.page.goto(`${demo.url}/#key=${FULL_KEY}`);
    await settled(tab.page);
    expect(tab.page.url()).toBe(`${demo.url}/#/`);
    expect(await tab.page.evaluate(() => Object.values(sessionStorage))).toEqual([FULL_KEY]);
    // The link's entry was replaced: going back leaves the console, it does not show the key.
    await tab.page.goBack();
    expect(tab.page.url()).toBe('about:blank');
    await tab.page.goForward();
    await settled(tab.page);
    await tab.page.getByRole('button', { name: 'Sign out' }).click();
    await tab.page.getByLabel('REST API key').fill('not-a-key');
    await tab.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => tab.page.getByRole('status').textContent()).toBe('The server does not know this key.');
    await tab.page.getByLabel('REST API key').fill(FULL_KEY);
    await tab.page.getByRole('button', { name: 'Sign in' }).click();
    await tab.page.waitForSelector('.kpi[data-metric="dau"] .kpi-value[data-value]');
    await tab.page.close();
  });

  it('renders every page with no console error, asking only this server', async () => {
    const tab = await signedIn();
    const { canvases } = await demo.api<{ canvases: Campaign[] }>('/canvas/list');
    const { segments } = await demo.api<{ segments: Campaign[] }>('/segments/list');
    const { cards } = await demo.api<{ cards: Campaign[] }>('/feed/list');
    const pages = [
      `?${PERIOD}`, `?${PERIOD}&metric=sessions&unit=hour&days=7`, `?${PERIOD}&metric=revenue&days=90`, `events?${PERIOD}`,
      `campaigns?${PERIOD}`, `campaigns?${PERIOD}&archived=1`, `campaigns/${newsletter.id}?${PERIOD}`, `canvases?${PERIOD}`, `canvases/${canvases[0].id}?${PERIOD}`,
      `segments?${PERIOD}`, `segments/${segments[0].id}?${PERIOD}`, `cards?${PERIOD}`, `cards/${cards[0].id}?${PERIOD}`, 'keys', 'ingestion',
    ];
    for (const hash of pages) {
      await visit(tab, hash);
      expect(await tab.page.locator('.error').count(), hash).toBe(0);
      expect(await tab.page.locator('.needs').count(), hash).toBe(0);
      expect(await tab.page.locator('h1').textContent(), hash).not.toBe('');
    }
    expect(tab.errors).toEqual([]);
    expect(tab.requests.filter((u) => !u.startsWith(`${demo.url}/`) && !u.startsWith('data:'))).toEqual([]);
    await tab.page.close();
  });

  it('shows the figures the API answers: DAU of a day, a campaign\u2019s sent count, a segment\u2019s size', async () => {
    const tab = await signedIn();
    const day = '2025-02-20';
    const [{ dau }] = (await demo.api<Series<'dau'>>('/kpi/dau/data_series', { length: 1, ending_at: day })).data;
    expect(dau).toBeGreaterThan(0);
    // The DAU card of a one-day period is that day's DAU; the chart's table has it among 30 days.
    await visit(tab, `?to=${day}&days=1`);
    expect(Number(await tab.page.getAttribute('.kpi[data-metric="dau"] .kpi-value', 'data-value'))).toBe(dau);
    await visit(tab, `?to=${LAST_DAY}&days=30`);
    expect(Number(await tab.page.getAttribute(`#main-chart tr[data-time="${day}"] td[data-series="DAU"]`, 'data-value'))).toBe(dau);

    // Sessions over 30 days against the 30 days before: the card's figure and its change.
    const sessions = (await demo.api<Series<'sessions'>>('/sessions/data_series', { length: 60, ending_at: LAST_DAY })).data.map((p) => p.sessions);
    const [before, now] = [sessions.slice(0, 30), sessions.slice(30)].map((s) => s.reduce((a, b) => a + b, 0));
    expect(Number(await tab.page.getAttribute('.kpi[data-metric="sessions"] .kpi-value', 'data-value'))).toBe(now);
    const change = `${now >= before ? '+' : '-'}${(Math.round((Math.abs(now - before) / before) * 1000) / 10).toFixed(1).replace(/\.0$/, '')}%`;
    expect(await tab.page.textContent('.kpi[data-metric="sessions"] .kpi-change')).toContain(change);

    // One app: the picker names the workspace's apps; the card then counts that app's users only.
    const { apps } = await demo.api<{ apps: Array<{ id: string; name: string }> }>('/admin/workspace');
    const app = apps[0];
    const [{ dau: appDau }] = (await demo.api<Series<'dau'>>('/kpi/dau/data_series', { length: 1, ending_at: day, app_id: app.id })).data;
    expect(appDau).toBeLessThan(dau);
    await visit(tab, `?to=${day}&days=1`);
    await tab.page.getByLabel('app').selectOption({ label: app.name });
    await tab.page.waitForURL(new RegExp(`app=${app.id}`));
    await settled(tab.page);
    expect(Number(await tab.page.getAttribute('.kpi[data-metric="dau"] .kpi-value', 'data-value'))).toBe(appDau);

    // Sessions hour by hour: the chart's hours are the API's.
    const hours = (await demo.api<Series<'sessions'>>('/sessions/data_series', { length: 24, unit: 'hour', ending_at: `${day}T23:59:59` })).data;
    await visit(tab, `?to=${day}&days=1&metric=sessions&unit=hour`);
    const shown = await tab.page.$$eval('#main-chart table.figures tbody tr', (rows) => rows.map((r) => [r.getAttribute('data-time'), Number(r.querySelector('td')?.getAttribute('data-value'))]));
    expect(shown).toEqual(hours.map((h) => [h.time, h.sessions]));

    // Each email variation's sends over the period, summed here from the API's days.
    const series = await demo.api<{ data: Array<{ messages: { email?: Array<{ variation_api_id: string; sent: number }> } }> }>(
      '/campaigns/data_series', { campaign_id: newsletter.id, length: 30, ending_at: LAST_DAY },
    );
    const sent = new Map<string, number>();
    for (const p of series.data) for (const v of p.messages.email ?? []) sent.set(v.variation_api_id, (sent.get(v.variation_api_id) ?? 0) + v.sent);
    expect(sent.size).toBe(2);
    await visit(tab, `campaigns/${newsletter.id}?${PERIOD}`);
    for (const [variation, total] of sent) {
      expect(total).toBeGreaterThan(0);
      const cell = tab.page.locator(`[data-channel="email"] .funnel [data-variation="${variation}"][data-stat="sent"]`);
      expect(Number(await cell.getAttribute('data-value'))).toBe(total);
    }

    const { segments } = await demo.api<{ segments: Array<Campaign & { analytics_tracking_enabled: boolean }> }>('/segments/list');
    const tracked = segments.find((s) => s.name === 'Purchasers (90 days)')!;
    const [{ size }] = (await demo.api<Series<'size'>>('/segments/data_series', { segment_id: tracked.id, length: 1, ending_at: LAST_DAY })).data;
    await visit(tab, `segments/${tracked.id}?${PERIOD}`);
    expect(Number(await tab.page.getAttribute('[data-stat="size"]', 'data-value'))).toBe(size);
    await visit(tab, `segments?${PERIOD}`);
    expect(Number(await tab.page.getAttribute(`[data-size="${tracked.id}"]`, 'data-value'))).toBe(size);
    expect(tab.errors).toEqual([]);
    await tab.page.close();
  });

  it('starts an export from the page, follows it, and downloads the file', async () => {
    const tab = await signedIn();
    const { segments } = await demo.api<{ segments: Campaign[] }>('/segments/list');
    const premium = segments.find((s) => s.name === 'Premium members')!;
    await visit(tab, `segments/${premium.id}?${PERIOD}`);
    await tab.page.getByRole('button', { name: /Export users/ }).click();
    const link = tab.page.locator('a.download');
    await link.waitFor({ timeout: 60_000 });
    const [download] = await Promise.all([tab.page.waitForEvent('download'), link.click()]);
    const path = await download.path();
    const zip = readFileSync(path);
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    // The zip holds the export's NDJSON file(s): at least one user line per member.
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    const jobs = await demo.api<{ exports: Array<{ segment_id: string; status: string; users: number }> }>('/admin/exports');
    const job = jobs.exports.find((j) => j.segment_id === premium.id)!;
    expect([job.status, job.users > 0]).toEqual(['done', true]);
    expect(tab.errors).toEqual([]);
    await tab.page.close();
  });

  it('says "needs kpi.dau.data_series" where the key lacks it, and shows the rest', async () => {
    const tab = await signedIn({}, NO_DAU_KEY);
    await visit(tab, `?${PERIOD}`);
    const needs = tab.page.locator('.kpi[data-metric="dau"] .needs');
    expect(await needs.getAttribute('data-needs')).toBe('kpi.dau.data_series');
    expect(await needs.textContent()).toContain('needs kpi.dau.data_series');
    expect(await tab.page.locator('#main-chart .needs').textContent()).toContain('needs kpi.dau.data_series');
    expect(await tab.page.getAttribute('.kpi[data-metric="mau"] .kpi-value', 'data-value')).not.toBeNull();
    await tab.page.close();
  });

  it('makes a key from the page, shows it once, and lists it without its value', async () => {
    const tab = await signedIn();
    await visit(tab, 'keys');
    await tab.page.getByLabel('Name').fill('console-made');
    await tab.page.getByLabel('kpi.mau.data_series').check();
    await tab.page.getByRole('button', { name: 'Make the key' }).click();
    const key = await tab.page.locator('output.secret').getAttribute('data-key');
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    const check = await fetch(`${demo.url}/kpi/mau/data_series?length=1&ending_at=${LAST_DAY}`, { headers: { authorization: `Bearer ${key}` } });
    expect(check.status).toBe(200);
    await tab.page.locator('tr[data-key-name="console-made"]').waitFor();
    expect(await tab.page.locator('tr[data-key-name="console-made"]').textContent()).not.toContain(key!);
    expect(tab.errors).toEqual([]);
    await tab.page.close();
  });

  it('shows records taken and rejected by reason, from /metrics', async () => {
    const body = [
      { id: 'console-ok', event_type: 'users.behaviors.app.SessionStart', user_id: 'console-u', time: Date.UTC(2025, 1, 28, 9) / 1000 },
      { id: 'console-bad', event_type: 'users.behaviors.Nope', user_id: 'console-u', time: Date.UTC(2025, 1, 28, 9) / 1000 },
    ].map((r) => JSON.stringify(r)).join('\n');
    const res = await fetch(`${demo.url}/currents`, { method: 'POST', headers: { authorization: `Bearer ${FULL_KEY}`, 'content-type': 'application/x-ndjson' }, body });
    expect(res.status).toBe(201);
    const tab = await signedIn();
    await visit(tab, 'ingestion');
    expect(await tab.page.textContent('tr[data-endpoint="/currents"] [data-stat="taken"]')).toBe('1');
    expect(await tab.page.textContent('tr[data-endpoint="/currents"] [data-stat="rejected"]')).toBe('1');
    expect(await tab.page.textContent('tr[data-reason="unknown event_type"]')).toContain('1');
    await tab.page.close();
  });

  it('is reachable by keyboard and fits a phone', async () => {
    const tab = await signedIn({ width: 390, height: 844 });
    await visit(tab, `?${PERIOD}`);
    // Tab from the top of the page to the sessions card, and open its chart with Enter.
    let focused = '';
    for (let presses = 0; presses < 40 && focused !== 'sessions'; presses++) {
      await tab.page.keyboard.press('Tab');
      focused = await tab.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.metric ?? '');
    }
    expect(focused).toBe('sessions');
    await tab.page.keyboard.press('Enter');
    await tab.page.waitForURL(/metric=sessions/);
    await settled(tab.page);
    expect(await tab.page.textContent('#main-chart h2')).toBe('Sessions by day');
    for (const hash of [`?${PERIOD}`, `campaigns/${newsletter.id}?${PERIOD}`, `events?${PERIOD}`, 'keys']) {
      await visit(tab, hash);
      expect(await tab.page.evaluate(() => document.documentElement.scrollWidth), hash).toBeLessThanOrEqual(390);
    }
    expect(tab.errors).toEqual([]);
    await tab.page.close();
  });

  it('writes the screenshots of the README and prints the first paint', async () => {
    mkdirSync(DOCS, { recursive: true });
    const shots: Array<[string, string, { width: number; height: number; scheme?: 'light' | 'dark' }]> = [
      ['console-overview.png', `?${PERIOD}`, { width: 1280, height: 860 }],
      ['console-campaign.png', `campaigns/${newsletter.id}?${PERIOD}`, { width: 1280, height: 900 }],
      ['console-overview-phone.png', `?${PERIOD}`, { width: 390, height: 844, scheme: 'dark' }],
      ['console-campaign-phone.png', `campaigns/${newsletter.id}?${PERIOD}`, { width: 390, height: 844 }],
    ];
    for (const [file, hash, size] of shots) {
      const tab = await signedIn(size);
      await visit(tab, hash);
      if (file === 'console-campaign-phone.png') {
        // On a phone, the variations' funnels (the page's top is the same as on the overview).
        await tab.page.evaluate(() => document.querySelector('[data-channel="email"]')?.scrollIntoView());
        await tab.page.evaluate(() => window.scrollBy(0, -60));
      }
      await tab.page.screenshot({ path: join(DOCS, file), fullPage: file !== 'console-campaign-phone.png' });
      await tab.page.close();
    }

    // First paint of the overview on a fresh load (key already in the tab): the paint entries, and
    // when every figure of the page was in.
    const tab = await signedIn();
    await tab.page.goto('about:blank');
    const started = Date.now();
    await tab.page.goto(`${demo.url}/#/?${PERIOD}`);
    await settled(tab.page);
    const loaded = Date.now() - started;
    const paint = await tab.page.evaluate(() => Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, Math.round(e.startTime)])));
    console.log(`console first paint on the demo workspace: first-paint ${paint['first-paint']} ms, first-contentful-paint ${paint['first-contentful-paint']} ms, every figure in ${loaded} ms`);
    expect(paint['first-contentful-paint']).toBeGreaterThan(0);
    await tab.page.close();
  });
});

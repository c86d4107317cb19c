import 'uplot/dist/uPlot.min.css';
import './style.css';
import { Api, NeedsPermission } from './api.ts';
import type { Page, PageContext, WorkspaceInfo } from './context.ts';
import { append, fill, h } from './dom.ts';
import { timeLabel } from './format.ts';
import { addDays, daysBetween, describePeriod, periodFrom, PRESETS } from './period.ts';
import { SIGNED_OUT_EVENT } from './panel.ts';
import { href, parseRoute, withParams, type Route } from './route.ts';
import { forgetKey, keepKey, storedKey, takeKeyFromAddress } from './session.ts';
import { campaignPage, campaignsPage } from './pages/campaigns.ts';
import { canvasPage, canvasesPage } from './pages/canvases.ts';
import { cardPage, cardsPage } from './pages/cards.ts';
import { eventsPage } from './pages/events.ts';
import { ingestionPage } from './pages/ingestion.ts';
import { keysPage } from './pages/keys.ts';
import { overviewPage } from './pages/overview.ts';
import { segmentPage, segmentsPage } from './pages/segments.ts';
import { signInForm } from './pages/signin.ts';

/** The pages, by the first part of the path; `timed` pages show the period bar. */
const PAGES: Array<{ path: string; label: string; list: Page; detail?: Page; timed: boolean }> = [
  { path: '', label: 'Overview', list: overviewPage, timed: true },
  { path: 'events', label: 'Events & products', list: eventsPage, timed: true },
  { path: 'campaigns', label: 'Campaigns', list: campaignsPage, detail: campaignPage, timed: true },
  { path: 'canvases', label: 'Canvases', list: canvasesPage, detail: canvasPage, timed: true },
  { path: 'segments', label: 'Segments', list: segmentsPage, detail: segmentPage, timed: true },
  { path: 'cards', label: 'News Feed', list: cardsPage, detail: cardPage, timed: true },
  { path: 'keys', label: 'API keys', list: keysPage, timed: false },
  { path: 'ingestion', label: 'Ingestion', list: ingestionPage, timed: false },
];

const root = document.getElementById('app')!;
let api: Api | undefined;
let workspace: Promise<WorkspaceInfo> | undefined;

function start(): void {
  takeKeyFromAddress();
  window.addEventListener('hashchange', render);
  window.addEventListener(SIGNED_OUT_EVENT, () => signOut('The server does not know this API key: sign in with another.'));
  // Charts take their colours from the scheme: draw again when it changes.
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', render);
  render();
  performance.mark('brazen:console-rendered');
}

function signOut(message?: string): void {
  forgetKey();
  api = undefined;
  workspace = undefined;
  renderSignIn(message);
}

function renderSignIn(message?: string): void {
  document.title = 'Sign in · brazen console';
  fill(root, signInForm(message, (key) => {
    keepKey(key);
    location.hash = '#/';
    render();
  }));
}

function render(): void {
  const key = storedKey();
  if (!key) return renderSignIn();
  if (!api) {
    api = new Api(key);
    workspace = loadWorkspace(api);
  }
  const route = parseRoute(location.hash);
  const page = PAGES.find((p) => p.path === (route.parts[0] ?? '')) ?? PAGES[0];
  const period = periodFrom(route.params);
  const appId = route.params.get('app') ?? undefined;
  const heading = h('h1', {}, page.label);
  const ctx: PageContext = {
    api, route, period, appId, workspace: workspace!,
    title: (text) => {
      heading.textContent = text;
      document.title = `${text} · brazen console`;
    },
  };
  const view = route.parts.length > 1 && page.detail ? page.detail(ctx) : page.list(ctx);
  fill(
    root,
    h('a', { class: 'skip', href: '#page' }, 'Skip to the figures'),
    shellHeader(route, page.path),
    h('main', { id: 'page', tabindex: '-1' }, h('div', { class: 'page-head' }, heading, page.timed ? periodBar(ctx) : null), view),
  );
}

function shellHeader(route: Route, current: string): HTMLElement {
  return h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: href([], route.params) }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'brazen'),
    h(
      'nav',
      { 'aria-label': 'pages' },
      ...PAGES.map((p) => h('a', { href: href(p.path ? [p.path] : [], route.params), 'aria-current': p.path === current ? 'page' : undefined }, p.label)),
    ),
    h('button', { type: 'button', class: 'signout', onclick: () => signOut() }, 'Sign out'),
  );
}

/** The period (7, 30, 90 days or from–to), the app, and the workspace's time zone. */
function periodBar(ctx: PageContext): HTMLElement {
  const { route, period } = ctx;
  const today = new Date().toISOString().slice(0, 10);
  const to = period.to ?? today;
  const from = addDays(to, 1 - period.days);
  const fromInput = h('input', { type: 'date', value: from, max: to, 'aria-label': 'from' }) as HTMLInputElement;
  const toInput = h('input', { type: 'date', value: to, 'aria-label': 'to' }) as HTMLInputElement;
  const apply = (event: Event) => {
    event.preventDefault();
    const days = daysBetween(fromInput.value, toInput.value);
    if (!(days >= 1 && days <= 366)) return void toInput.setCustomValidity('choose a range of 1 to 366 days');
    location.hash = withParams(route, { days: String(days), to: toInput.value === today && !period.to ? undefined : toInput.value });
  };
  const zone = h('span', { class: 'zone' }, 'time zone …');
  void ctx.workspace.then((ws) => {
    zone.textContent = ws.timeZone ? `times in ${ws.timeZone}` : 'times in the workspace time zone';
    if (ws.needs) zone.title = `the workspace's time zone needs ${ws.needs}`;
    zone.dataset.zone = ws.timeZone ?? '';
  });
  return h(
    'div',
    { class: 'period' },
    h(
      'div',
      { class: 'presets', role: 'group', 'aria-label': 'period' },
      ...PRESETS.map((days) =>
        h('a', { class: 'toggle', href: withParams(route, { days: days === 30 ? undefined : String(days) }), 'aria-current': period.days === days ? 'true' : undefined }, `${days} days`),
      ),
    ),
    h('form', { class: 'range', onsubmit: apply }, fromInput, h('span', { 'aria-hidden': 'true' }, '–'), toInput, h('button', { type: 'submit' }, 'Show')),
    appPicker(ctx),
    h('p', { class: 'period-words' }, describePeriod(period, (d) => timeLabel(d, true)), ', ', zone),
  );
}

function appPicker(ctx: PageContext): HTMLElement {
  const select = h('select', { 'aria-label': 'app' }, h('option', { value: '' }, 'All apps')) as HTMLSelectElement;
  if (ctx.appId) append(select, h('option', { value: ctx.appId, selected: true }, ctx.appId));
  select.addEventListener('change', () => {
    location.hash = withParams(ctx.route, { app: select.value || undefined });
  });
  void ctx.workspace.then((ws) => {
    for (const app of ws.apps) {
      const existing = Array.from(select.options).find((o) => o.value === app.id);
      if (existing) existing.textContent = app.name;
      else append(select, h('option', { value: app.id }, app.name));
    }
    if (ws.needs && ws.apps.length === 0) select.title = `the list of apps needs ${ws.needs}`;
  });
  return select;
}

async function loadWorkspace(client: Api): Promise<WorkspaceInfo> {
  try {
    const ws = await client.call('adminGetWorkspace', {});
    return { timeZone: ws.time_zone, apps: ws.apps.map((a) => ({ id: a.id, name: a.name || a.id })) };
  } catch (error) {
    if (error instanceof NeedsPermission) return { apps: [], needs: error.permission };
    return { apps: [] };
  }
}

start();

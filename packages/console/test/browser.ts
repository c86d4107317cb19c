import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium): never a downloaded browser. */
export const CHROMIUM = process.env.BRAZEN_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = (): boolean => existsSync(CHROMIUM);

export interface Browser {
  context: BrowserContext;
  /** A new tab (its own sessionStorage), recording console errors, page errors and every URL asked. */
  open(options?: { width?: number; height?: number; scheme?: 'light' | 'dark' }): Promise<Tab>;
  close(): Promise<void>;
}

export interface Tab {
  page: Page;
  errors: string[];
  requests: string[];
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'brazen-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
    acceptDownloads: true,
  });
  return {
    context,
    open: async ({ width = 1280, height = 900, scheme = 'light' } = {}) => {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      await page.emulateMedia({ colorScheme: scheme });
      const tab: Tab = { page, errors: [], requests: [] };
      page.on('console', (m) => {
        if (m.type() === 'error') tab.errors.push(m.text());
      });
      page.on('pageerror', (e) => tab.errors.push(`page error: ${e.message}`));
      page.on('request', (r) => tab.requests.push(r.url()));
      return tab;
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until no panel is loading. */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector('main') !== null && document.querySelector('[aria-busy="true"]') === null, undefined, { timeout: 30_000 });
}

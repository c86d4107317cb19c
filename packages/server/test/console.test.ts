import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

describe('GET / serves the console', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('serves the page revalidated, its hashed files cached for a year, and nothing from another host', async () => {
    const page = await h.app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const again = await h.app.inject({ url: '/', headers: { 'if-none-match': String(page.headers.etag) } });
    expect([again.statusCode, again.body]).toEqual([304, '']);

    const assets = [...page.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.map((a) => a.replace(/-[A-Z0-9]+\./, '-HASH.')).sort()).toEqual(['/assets/console-HASH.css', '/assets/console-HASH.js']);
    for (const asset of assets) {
      const res = await h.app.inject({ url: asset });
      expect([res.statusCode, res.headers['cache-control']]).toEqual([200, 'public, max-age=31536000, immutable']);
      // Only XML namespaces and the client's table of Braze instances (used when a base URL names
      // one; the console's is this server) name another host. The Chromium test sees no request go there.
      const hosts = res.body.match(/https?:\/\/[^\s"'`)]+/g) ?? [];
      expect(hosts.filter((u) => !u.startsWith('http://www.w3.org/') && !/^https:\/\/rest\.[a-z0-9-]+\.braze\.(com|eu)$/.test(u))).toEqual([]);
    }
    expect((await h.app.inject({ url: '/assets/console-NOPE.js' })).statusCode).toBe(404);
  });
});

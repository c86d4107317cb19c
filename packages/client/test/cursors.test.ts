import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrazeClient, BrazeError, linkTarget } from '../src/index.ts';
import { at, currents, startBrazen, type Brazen } from './brazen.ts';
import { scriptedServer, type ScriptedServer } from './scripted-server.ts';

const pad = (n: number) => String(n).padStart(3, '0');
// base64 of Braze's `skip:N` cursors (printf skip:50 | base64).
const SKIP_50 = 'c2tpcDo1MA==';
const SKIP_100 = 'c2tpcDoxMDA=';

describe('linkTarget reads Link headers as Braze and others write them', () => {
  it("Braze's documented form: relative URLs, no space after the comma", () => {
    const header = '</catalogs/all_restaurants/items?cursor=c2tpcDow>; rel="prev",</catalogs/all_restaurants/items?cursor=c2tpcDoxMDA=>; rel="next"';
    expect(linkTarget(header, 'next')).toBe('/catalogs/all_restaurants/items?cursor=c2tpcDoxMDA=');
    expect(linkTarget(header, 'prev')).toBe('/catalogs/all_restaurants/items?cursor=c2tpcDow');
  });

  it('an absolute URL, unquoted and multi-valued relations, and none', () => {
    expect(linkTarget('<https://anna.braze.com/custom_attributes/?cursor=c2tpcDo1MA==>; rel="next"', 'next')).toBe(
      'https://anna.braze.com/custom_attributes/?cursor=c2tpcDo1MA==',
    );
    expect(linkTarget('<https://x.test/a?p=2>; rel=next, <https://x.test/a?p=9>; title="end"; rel="last next2"', 'next')).toBe('https://x.test/a?p=2');
    expect(linkTarget('<https://x.test/a?p=1>; rel="prev"', 'next')).toBeUndefined();
    expect(linkTarget(null, 'next')).toBeUndefined();
  });
});

describe('cursor iterators against brazen', () => {
  let brazen: Brazen;
  // 120 custom events e-000 .. e-119 and 120 custom attributes a_000 .. a_119 (written in reverse).
  const EVENTS = Array.from({ length: 120 }, (_, i) => `e-${pad(i)}`);
  const ATTRIBUTES = Array.from({ length: 120 }, (_, i) => `a_${pad(i)}`);
  beforeAll(async () => {
    brazen = await startBrazen();
    const client = brazen.client();
    await client.currentsIngest([...EVENTS].reverse().map((name, i) => currents('users.behaviors.CustomEvent', 'u1', at('2024-03-01T10:00:00') + i, { name })));
    await client.usersTrack({ attributes: [{ external_id: 'u1', ...Object.fromEntries([...ATTRIBUTES].reverse().map((name, i) => [name, i % 2 === 0 ? i : `v${i}`])) }] });
  });
  afterAll(() => brazen.close());

  /** A client whose requests are listed (path and query, as sent). */
  const listed = () => {
    const asked: string[] = [];
    const client = brazen.client({
      fetch: (input, init) => {
        const url = new URL(String(input));
        asked.push(url.pathname + url.search);
        return fetch(input, init);
      },
    });
    return { client, asked };
  };

  it('cursorItems walks /events page by page through the Link headers to the exact list', async () => {
    const { client, asked } = listed();
    const names: string[] = [];
    for await (const event of client.cursorItems('customEvents')) names.push(event.name);
    expect(names).toEqual(EVENTS);
    // The cursors went back as sent (URLSearchParams writes = as %3D; the server reads it back).
    expect(asked).toEqual(['/events', `/events?cursor=${encodeURIComponent(SKIP_50)}`, `/events?cursor=${encodeURIComponent(SKIP_100)}`]);
  });

  it('cursorPages yields whole answers for /custom_attributes, 50, 50 and 20, with their data types', async () => {
    const { client } = listed();
    const pages = [];
    for await (const page of client.cursorPages('customAttributes')) pages.push(page);
    expect(pages.map((p) => p.attributes.length)).toEqual([50, 50, 20]);
    expect(pages.flatMap((p) => p.attributes.map((a) => a.name))).toEqual(ATTRIBUTES);
    // a_119 was written first with 0 (a number), a_118 with "v1" (a string), and so on.
    expect(pages[2].attributes.slice(-2)).toEqual([
      { name: 'a_118', description: null, data_type: 'String', array_length: null, status: 'Active', tag_names: [] },
      { name: 'a_119', description: null, data_type: 'Number', array_length: null, status: 'Active', tag_names: [] },
    ]);
  });

  it('starts from a given cursor, and one page is one call', async () => {
    const { client, asked } = listed();
    const names: string[] = [];
    for await (const event of client.cursorItems('customEvents', { cursor: SKIP_100 })) names.push(event.name);
    expect(names).toEqual(EVENTS.slice(100));
    expect((await client.customEvents()).events).toHaveLength(50);
    expect(asked).toEqual([`/events?cursor=${encodeURIComponent(SKIP_100)}`, '/events']);
  });
});

describe('cursor iterators against a scripted Braze', () => {
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const item = (name: string) => ({ name, description: null, included_in_analytics_report: false, status: 'Active', tag_names: [] });

  it("asks its own base URL for the next cursor, never the link's host (the key stays with Braze's REST host)", async () => {
    server = await scriptedServer([
      { status: 200, headers: { link: '<https://elsewhere.example/events/?cursor=c2tpcDo1MA==>; rel="next"' }, body: { message: 'success', events: [item('a')] } },
      { status: 200, body: { message: 'success', events: [item('b')] } },
    ]);
    const client = new BrazeClient({ apiKey: 'k', baseUrl: server.url });
    const names: string[] = [];
    for await (const event of client.cursorItems('customEvents')) names.push(event.name);
    expect(names).toEqual(['a', 'b']);
    expect(server.received.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/events', 'Bearer k'],
      ['/events?cursor=c2tpcDo1MA%3D%3D', 'Bearer k'],
    ]);
  });

  it('a next link that comes back again is an error, not an endless walk', async () => {
    server = await scriptedServer([{ status: 200, headers: { link: '</events?cursor=c2tpcDo1MA==>; rel="next"' }, body: { message: 'success', events: [item('a')] } }]);
    const client = new BrazeClient({ apiKey: 'k', baseUrl: server.url });
    const walk = async () => {
      for await (const _ of client.cursorItems('customEvents')) void _;
    };
    await expect(walk()).rejects.toThrow(new BrazeError('the Link header names cursor c2tpcDo1MA== a second time: the pages would never end'));
    expect(server.received).toHaveLength(2);
  });
});

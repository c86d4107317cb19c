import { afterEach, describe, expect, it } from 'vitest';
import { BrazeClient, resolveBaseUrl } from '../src/index.ts';
import { scriptedServer, type ScriptedServer } from './scripted-server.ts';

describe('base URL', () => {
  it('names a Braze instance, or takes any URL, path prefix kept', () => {
    expect(resolveBaseUrl('US-01')).toBe('https://rest.iad-01.braze.com');
    expect(resolveBaseUrl('us-10')).toBe('https://rest.us-10.braze.com');
    expect(resolveBaseUrl('EU-02')).toBe('https://rest.fra-02.braze.eu');
    expect(resolveBaseUrl('http://localhost:4000/')).toBe('http://localhost:4000');
    expect(resolveBaseUrl('https://proxy.example.com/braze/')).toBe('https://proxy.example.com/braze');
    expect(new BrazeClient({ apiKey: 'k', baseUrl: 'EU-01' }).baseUrl).toBe('https://rest.fra-01.braze.eu');
  });

  it('refuses what is neither, saying what it wants', () => {
    expect(() => resolveBaseUrl('US-99')).toThrow(/^baseUrl must be a URL or a Braze instance name \(US-01, .*\); got "US-99"$/);
    expect(() => resolveBaseUrl('ftp://example.com')).toThrow('baseUrl must be an http(s) URL; got "ftp://example.com"');
    expect(() => new BrazeClient({ apiKey: '', baseUrl: 'US-01' })).toThrow('apiKey is required');
  });
});

describe('requests on the wire', () => {
  let server: ScriptedServer | undefined;
  afterEach(() => server?.close());

  it('GET: Bearer key, extra headers, booleans and bracketed names in the query, under the path prefix', async () => {
    server = await scriptedServer([{ status: 200, body: { message: 'success', campaigns: [] } }]);
    const client = new BrazeClient({ apiKey: 'secret', baseUrl: `${server.url}/braze/`, headers: { 'x-team': 'growth' } });
    await client.campaignsList({ page: 2, include_archived: true, 'last_edit.time[gt]': '2024-01-01T00:00:00Z' });
    const [request] = server.received;
    expect([request.method, request.url]).toEqual(['GET', '/braze/campaigns/list?page=2&include_archived=true&last_edit.time%5Bgt%5D=2024-01-01T00%3A00%3A00Z']);
    expect([request.headers.authorization, request.headers['x-team'], request.headers.accept]).toEqual(['Bearer secret', 'growth', 'application/json']);
  });

  it('POST: JSON body; Currents as NDJSON text when given a string', async () => {
    server = await scriptedServer([{ status: 201, body: { message: 'success', events_processed: 1, duplicates: 0 } }]);
    const client = new BrazeClient({ apiKey: 'k', baseUrl: server.url });
    await client.usersExportIds({ external_ids: ['a'] });
    await client.currentsIngest('{"id":"1","event_type":"users.behaviors.Uninstall","user_id":"u","time":1}\n');
    await client.adminPutWorkspace({ time_zone: 'Europe/Paris' });
    expect(server.received.map((r) => [r.method, r.url, r.headers['content-type'], r.body])).toEqual([
      ['POST', '/users/export/ids', 'application/json', '{"external_ids":["a"]}'],
      ['POST', '/currents', 'application/x-ndjson', '{"id":"1","event_type":"users.behaviors.Uninstall","user_id":"u","time":1}\n'],
      ['PUT', '/admin/workspace', 'application/json', '{"time_zone":"Europe/Paris"}'],
    ]);
  });

  it('an error answer that is not JSON still becomes a typed error with its text', async () => {
    server = await scriptedServer([{ status: 502, headers: { 'content-type': 'text/html' }, body: undefined }]);
    const client = new BrazeClient({ apiKey: 'k', baseUrl: server.url, retry: { attempts: 1 } });
    await expect(client.eventsList()).rejects.toMatchObject({ status: 502, brazeMessage: 'HTTP 502', message: 'GET /events/list answered 502: HTTP 502' });
  });
});

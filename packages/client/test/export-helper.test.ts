import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { BrazeApiError, BrazeClient, BrazeError, type UserExport } from '../src/index.ts';
import { zip } from './zip.ts';

const ndjson = (users: object[]) => users.map((u) => JSON.stringify(u)).join('\n') + '\n';

/**
 * A real HTTP server in the place of a Braze instance and its file storage: it starts export jobs
 * and serves each job's file, answering 404 until the file is "written" (`missingFor` requests).
 */
async function exportServer(file: Buffer, options: { missingFor?: number; noUrl?: boolean } = {}) {
  const downloads: IncomingHttpHeaders[] = [];
  const started: Array<{ path: string; body: unknown; auth?: string }> = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'POST') {
        started.push({ path: req.url ?? '', body: JSON.parse(body), auth: req.headers.authorization });
        res.writeHead(201, { 'content-type': 'application/json' });
        const url = options.noUrl ? {} : { url: `${base}/files/prefix-1.zip?signature=abc` };
        res.end(JSON.stringify({ message: 'success', object_prefix: 'prefix-1', ...url }));
        return;
      }
      downloads.push(req.headers);
      if (downloads.length <= (options.missingFor ?? 0)) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"message":"not ready"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/zip' });
      res.end(file);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, downloads, started, close: () => new Promise((resolve) => server.close(resolve)) };
}

const USERS = [
  { external_id: 'a', first_name: 'Ada', custom_events: [{ name: 'Played', count: 3 }] },
  { external_id: 'b', email: 'b@example.com' },
  { external_id: 'c', gender: null },
];

/** Braze's shape without S3: one ZIP of per-file ZIPs, each holding NDJSON text. */
const zipOfZips = () =>
  zip([
    { name: 'prefix-1/0.zip', data: zip([{ name: '0.txt', data: ndjson(USERS.slice(0, 2)) }]), deflate: false },
    { name: 'prefix-1/1.zip', data: zip([{ name: '1.txt', data: ndjson(USERS.slice(2)) }]) },
  ]);

describe('segment export helper', () => {
  let close: (() => Promise<unknown>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  const setup = async (file: Buffer, options: { missingFor?: number; noUrl?: boolean } = {}) => {
    const server = await exportServer(file, options);
    close = server.close;
    const waits: number[] = [];
    const client = new BrazeClient({
      apiKey: 'key-1',
      baseUrl: server.base,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    return { client, waits, server };
  };

  const all = async (users: AsyncIterable<UserExport>) => {
    const out: UserExport[] = [];
    for await (const user of users) out.push(user);
    return out;
  };

  it('starts the job, polls the URL until the file is there (1 s, then 1.5 s), and yields the users of every file in order', async () => {
    const { client, waits, server } = await setup(zipOfZips(), { missingFor: 2 });
    const users = await all(client.exportSegmentUsers({ segment_id: 'seg-1', fields_to_export: ['external_id'] }, { pollIntervalMs: 1000 }));
    expect(users).toEqual(USERS);
    expect(waits).toEqual([1000, 1500]);
    expect(server.started).toEqual([{ path: '/users/export/segment', body: { segment_id: 'seg-1', fields_to_export: ['external_id'] }, auth: 'Bearer key-1' }]);
    // The signed URL is fetched without the API key (S3 refuses a second credential).
    expect(server.downloads.map((h) => h.authorization)).toEqual([undefined, undefined, undefined]);
  });

  it('reads gzip files (output_format gzip) inside a stored ZIP', async () => {
    const file = zip([
      { name: 'prefix-1/0.gz', data: gzipSync(ndjson(USERS.slice(0, 1))), deflate: false },
      { name: 'prefix-1/1.gz', data: gzipSync(ndjson(USERS.slice(1))), deflate: false },
    ]);
    const { client, waits } = await setup(file);
    expect(await all(client.exportSegmentUsers({ segment_id: 'seg-1', output_format: 'gzip' }))).toEqual(USERS);
    expect(waits).toEqual([]);
  });

  it('waits for the callback, then takes the URL it names', async () => {
    const { client, waits, server } = await setup(zipOfZips());
    const jobs: string[] = [];
    const users = await all(
      client.exportGlobalControlGroupUsers(
        { callback_endpoint: 'https://example.com/hook' },
        {
          callback: async (job) => {
            jobs.push(job.object_prefix);
            return { success: true, url: `${server.base}/files/from-callback.zip` };
          },
        },
      ),
    );
    expect(users).toEqual(USERS);
    expect([jobs, waits]).toEqual([['prefix-1'], []]);
    expect(server.started.map((s) => s.path)).toEqual(['/users/export/global_control_group']);
  });

  it('a callback reporting failure ends the export with an error', async () => {
    const { client } = await setup(zipOfZips());
    await expect(all(client.exportSegmentUsers({ segment_id: 'seg-1' }, { callback: async () => ({ success: false }) }))).rejects.toThrow(
      new BrazeError('the export prefix-1 reported failure to its callback'),
    );
  });

  it('gives up after maxWaitMs of polling, the last wait cut to fit', async () => {
    const { client, waits, server } = await setup(zipOfZips(), { missingFor: 100 });
    const error = await all(client.exportSegmentUsers({ segment_id: 'seg-1' }, { pollIntervalMs: 1000, maxWaitMs: 3000 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrazeApiError);
    expect(error).toMatchObject({ status: 404, brazeMessage: 'the export was not ready after 3000 ms' });
    expect(waits).toEqual([1000, 1500, 500]);
    expect(server.downloads).toHaveLength(4);
  });

  it('an export written to S3 has no URL to follow: the error says where the files are', async () => {
    const { client } = await setup(zipOfZips(), { noUrl: true });
    await expect(all(client.exportSegmentUsers({ segment_id: 'seg-1' }))).rejects.toThrow(
      "the export prefix-1 was written to the workspace's S3 bucket and has no download URL; read it from the bucket (objects prefixed prefix-1)",
    );
  });

  it('a line that is not JSON is reported with its number', async () => {
    const { client } = await setup(zip([{ name: '0.txt', data: '{"external_id":"a"}\nnot json\n' }]));
    const seen: UserExport[] = [];
    const error = await (async () => {
      for await (const user of client.exportSegmentUsers({ segment_id: 'seg-1' })) seen.push(user);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([{ external_id: 'a' }]);
    expect((error as Error).message).toBe('line 2 of the export prefix-1 is not JSON: not json');
  });
});

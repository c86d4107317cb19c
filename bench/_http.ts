import { Agent, request } from 'node:http';

/** One POST over `agent` (kept alive): the status and the answer's text. The benchmarks' senders use
 * node:http, not fetch: they stand for other machines, and fetch (undici) cost 2.2-2.5 s of CPU per
 * 100k /users/track objects in the measured process. */
export function post(agent: Agent, url: URL, headers: Record<string, string>, body: string | Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

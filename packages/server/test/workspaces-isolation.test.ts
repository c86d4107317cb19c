import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ALL_PERMISSIONS } from '@brazen/contract';
import { buildDemo } from '@brazen/demo';
import { DuckDbWorkspaces, type WorkspaceStore } from '@brazen/store';
import { buildApp, hashKey } from '@brazen/server';
import { DRAWN_ENDPOINTS, idPools, prng, requestGenerator, type GeneratedRequest } from './workspace-requests.ts';

/**
 * Workspace isolation, randomized: REQUESTS requests (every endpoint a workspace key calls,
 * ingestion, definitions, keys, exports, reset and snapshots included), drawn half with a key of
 * workspace `default` and half with a key of workspace `second`, sent to one server holding both,
 * the two streams at once. Each answer is compared with the answer of a control server that holds
 * that workspace alone (built from the same seed, sent the same requests in the same order): it must
 * be the same, byte for byte (fields that are random by design, such as a new key or a job id,
 * aside). The two workspaces are made to tell apart: demos of different seeds (and time zones)
 * under the same event names, products, external ids and record ids, so a leak would answer with
 * the other workspace's figures. The other workspace's control is asked too, for every read whose
 * answer differs from its own control's and for one read in TOLD_EVERY, to count exactly how many
 * answers came from the other workspace (0 is the point) and how many answers a leak would change.
 */
const REQUESTS = Number(process.env.ISOLATION_REQUESTS ?? 10_000);
/** Every how many reads the other workspace's control is asked too (see `compare`). */
const TOLD_EVERY = 4;
const NOW = Date.UTC(2024, 2, 31, 12);
const END = Date.UTC(2024, 3, 1) / 1000;
const KEYS = { default: 'key-of-default', second: 'key-of-second' } as const;
type Name = keyof typeof KEYS;
const DEMOS: Record<Name, { seed: number; timeZone: string }> = {
  default: { seed: 1, timeZone: 'UTC' },
  second: { seed: 2, timeZone: 'America/New_York' },
};

interface Server {
  app: FastifyInstance;
  store: DuckDbWorkspaces;
  dir: string;
}

async function server(build: (store: DuckDbWorkspaces, dir: string) => Promise<void>): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'brazen-isolation-'));
  const store = await DuckDbWorkspaces.open(dir, { now: () => NOW });
  await build(store, dir);
  const app = await buildApp({ store, now: () => NOW, tmpDir: join(dir, 'tmp'), rateLimits: false, profiles: { idleMs: false } });
  await app.ready();
  return { app, store, dir };
}

/** The demo of a workspace, its profiles kept (as a quiet server would have them): exports by id
 * read them, and every write that changes a user makes that user's stale. */
async function demo(ws: WorkspaceStore, name: Name, dir: string): Promise<void> {
  await buildDemo(ws, { users: 160, days: 30, end: END, seed: DEMOS[name].seed, timeZone: DEMOS[name].timeZone });
  await ws.keptProfiles?.refresh();
}
const addKey = (store: DuckDbWorkspaces, key: string, workspace: string) =>
  store.keys.addApiKey({ name: 'main', workspace, hash: hashKey(key), permissions: ALL_PERMISSIONS, createdAt: new Date(NOW).toISOString() });

interface Answer {
  status: number;
  /** The body, with the fields that are random by design masked. */
  body: string;
  link?: string;
  url?: string;
}

/** Fields a server makes at random (a key, a job's id and prefix, its URL), or from the machine
 * (how long a snapshot took, how large its file is): the same request may differ there. */
const VOLATILE = new Set(['key', 'id', 'object_prefix', 'url', 'took_ms', 'bytes']);

async function send(app: FastifyInstance, key: string, r: GeneratedRequest, legacy: boolean): Promise<Answer> {
  let url = r.url;
  let body = r.body;
  const headers: Record<string, string> = {};
  // Some requests carry the key as Braze's legacy api_key, where the request has room for it.
  if (legacy && r.method === 'GET') url += `${url.includes('?') ? '&' : '?'}api_key=${key}`;
  else if (legacy && body !== undefined && !Array.isArray(body)) body = { ...(body as object), api_key: key };
  else headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = r.contentType ?? 'application/json';
  const res = await app.inject({ method: r.method, url, headers, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
  let text = res.body;
  let exportUrl: string | undefined;
  if (/"(key|id|object_prefix|url|took_ms|bytes)":/.test(text)) {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    exportUrl = typeof parsed.url === 'string' ? parsed.url : undefined;
    text = JSON.stringify(parsed, (k, v) => (VOLATILE.has(k) ? '*' : v));
  }
  const link = res.headers.link === undefined ? undefined : String(res.headers.link).replaceAll(key, 'KEY');
  return { status: res.statusCode, body: text, ...(link ? { link } : {}), ...(exportUrl ? { url: exportUrl } : {}) };
}

/** Where two answers part, to read in a failure. */
function difference(what: string, got: Answer, own: Answer): string {
  let at = 0;
  while (at < got.body.length && got.body[at] === own.body[at]) at++;
  const from = Math.max(0, at - 150);
  return `${what}\n  got ${got.status} …${got.body.slice(from, at + 150)}\n  own ${own.status} …${own.body.slice(from, at + 150)}${got.link !== own.link ? `\n  links ${got.link} / ${own.link}` : ''}`;
}

const same = (a: Answer, b: Answer) => a.status === b.status && a.body === b.body && a.link === b.link;

/** The users a finished export wrote, read from its download as a consumer would (unzip, gunzip). */
async function exportedLines(app: FastifyInstance, url: string, dir: string): Promise<string> {
  const u = new URL(url);
  const res = await app.inject({ url: u.pathname + u.search });
  if (res.statusCode !== 200) return `${res.statusCode} ${res.body}`;
  // An export of nobody is a zip of no file: its end record alone, 22 bytes.
  if (res.rawPayload.length <= 22) return '';
  const zip = join(dir, `download-${Math.random().toString(36).slice(2)}.zip`);
  writeFileSync(zip, res.rawPayload);
  const text = execSync(`unzip -p ${zip} | gunzip -c`).toString();
  rmSync(zip);
  return text.split('\n').filter(Boolean).sort().join('\n');
}

describe('workspace isolation', () => {
  let multi: Server;
  const controls = {} as Record<Name, Server>;
  beforeAll(async () => {
    multi = await server(async (store, dir) => {
      await store.createWorkspace('second', { apps: [], campaigns: [], canvases: [], segments: [], cards: [] });
      await demo(store.workspace(), 'default', dir);
      await demo(store.workspace('second'), 'second', dir);
      await addKey(store, KEYS.default, 'default');
      await addKey(store, KEYS.second, 'second');
      // The demo as built, for the run's restores to come back to.
      await store.states.saveSnapshot('default', 'base');
      await store.states.saveSnapshot('second', 'base');
    });
    for (const name of Object.keys(KEYS) as Name[]) {
      controls[name] = await server(async (store, dir) => {
        await demo(store.workspace(), name, dir);
        await addKey(store, KEYS[name], 'default');
        await store.states.saveSnapshot('default', 'base');
      });
    }
  }, 300_000);
  afterAll(async () => {
    for (const s of [multi, ...Object.values(controls)]) {
      if (!s) continue;
      await s.app.close();
      await s.store.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it(`answers ${REQUESTS} randomized requests with keys of two workspaces each from its own workspace alone`, async () => {
    const docs = await Promise.all((['default', 'second'] as const).map((n) => multi.store.workspace(n).catalog.getWorkspace()));
    const candidates = Array.from({ length: 161 }, (_, i) => `user-${String(i).padStart(6, '0')}`);
    const found = await Promise.all((['default', 'second'] as const).map((n) => multi.store.workspace(n).data.findUsers('external_id', candidates)));
    const pools = idPools(docs, found.flatMap((f) => [...f.values()].flat()));
    const tally = {
      requests: 0, writes: 0, mismatches: 0, fromOther: 0, told: 0, sampled: 0, reads: 0, serverErrors: 0, exportsCompared: 0,
      statuses: {} as Record<string, number>,
      endpoints: { default: new Set<string>(), second: new Set<string>() } as Record<Name, Set<string>>,
      examples: [] as string[],
      msByEndpoint: {} as Record<string, number>,
    };
    const started = performance.now();

    const stream = async (name: Name, seed: number, count: number) => {
      const other: Name = name === 'default' ? 'second' : 'default';
      const next = requestGenerator(seed, pools, name === 'default' ? 'a' : 'b');
      const legacyDraw = prng(seed + 1000);
      const op = async (r: GeneratedRequest, legacy: boolean) => {
        const opStarted = performance.now();
        try {
          await compare(r, legacy);
        } finally {
          tally.msByEndpoint[r.endpoint] = (tally.msByEndpoint[r.endpoint] ?? 0) + performance.now() - opStarted;
        }
      };
      const compare = async (r: GeneratedRequest, legacy: boolean) => {
        const [got, own] = await Promise.all([send(multi.app, KEYS[name], r, legacy), send(controls[name].app, KEYS[name], r, legacy)]);
        tally.requests += 1;
        tally.endpoints[name].add(r.endpoint);
        tally.statuses[got.status] = (tally.statuses[got.status] ?? 0) + 1;
        if (got.status >= 500) tally.serverErrors += 1;
        if (!same(got, own)) {
          tally.mismatches += 1;
          if (tally.examples.length < 5) tally.examples.push(difference(`${name} ${r.method} ${r.url} ${JSON.stringify(r.body)?.slice(0, 200)}`, got, own));
        }
        if (r.writes) {
          tally.writes += 1;
          if (got.url && own.url) {
            // An export started: once both have written it, the users in the files must be the same.
            await Promise.all([multi.app.workspaces.context(name).exports.idle(), controls[name].app.workspaces.context().exports.idle()]);
            const [mine, theirs] = await Promise.all([exportedLines(multi.app, got.url, multi.dir), exportedLines(controls[name].app, own.url, controls[name].dir)]);
            tally.exportsCompared += 1;
            if (mine !== theirs) {
              tally.mismatches += 1;
              if (tally.examples.length < 5) tally.examples.push(difference(`${name} export ${r.url} ${JSON.stringify(r.body)}: files differ`, { status: 200, body: mine }, { status: 200, body: theirs }));
            }
          }
          return;
        }
        // What the other workspace would have answered: a leak would look like this. An answer
        // equal to its own control's cannot be the other's where the two differ, so the other
        // control is asked only for an answer that differs from its own (to count it exactly), and
        // for every TOLD_EVERY-th read (to measure how many answers a leak would change).
        tally.reads += 1;
        const sampled = tally.reads % TOLD_EVERY === 0;
        if (!sampled && same(got, own)) return;
        const theirs = await send(controls[other].app, KEYS[other], r, legacy);
        if (!same(own, theirs)) {
          if (sampled) tally.told += 1;
          if (same(got, theirs)) tally.fromOther += 1;
        }
        if (sampled) tally.sampled += 1;
      };
      // Reads of a stream run four at a time; a write waits for them, and they for it.
      const running = new Set<Promise<void>>();
      for (let i = 0; i < count; i++) {
        const r = next();
        const legacy = legacyDraw() < 0.1;
        if (r.writes) {
          await Promise.all(running);
          await op(r, legacy);
          continue;
        }
        const p = op(r, legacy).finally(() => running.delete(p));
        running.add(p);
        if (running.size >= 4) await Promise.race(running);
      }
      await Promise.all(running);
    };

    await Promise.all([stream('default', 11, Math.ceil(REQUESTS / 2)), stream('second', 22, Math.floor(REQUESTS / 2))]);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `isolation: ${tally.requests} requests (${tally.writes} writes, ${tally.reads} reads, ${tally.exportsCompared} export downloads compared) in ${seconds.toFixed(1)} s; ` +
        `${tally.told} of ${tally.sampled} reads sampled answered differently by the two workspaces; ${tally.fromOther} answers from the other workspace; ${tally.mismatches} mismatches; statuses ${JSON.stringify(tally.statuses)}; ` +
        `slowest: ${Object.entries(tally.msByEndpoint).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([e, ms]) => `${e} ${(ms / 1000).toFixed(1)} s`).join(', ')}`,
    );
    expect(tally.examples).toEqual([]);
    expect(tally.mismatches).toBe(0);
    expect(tally.fromOther).toBe(0);
    expect(tally.serverErrors).toBe(0);
    expect(tally.requests).toBe(REQUESTS);
    // The check can see a leak: most reads are answered differently by the two workspaces.
    expect(tally.told / tally.sampled).toBeGreaterThan(0.5);
    if (REQUESTS >= 10_000) {
      expect([...tally.endpoints.default].sort()).toEqual([...DRAWN_ENDPOINTS].sort());
      expect([...tally.endpoints.second].sort()).toEqual([...DRAWN_ENDPOINTS].sort());
      expect(tally.exportsCompared).toBeGreaterThan(10);
    }
  }, 900_000);
});

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints, type Endpoint } from '@brazen/contract';
import { acceptable, requestArbitrary, send } from './fuzz.ts';
import { at, currents, KEY, ndjson, startHarness, type Harness } from './harness.ts';

/** Property-based fuzzing of every endpoint's parameters and bodies (`npm run fuzz` runs far more). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

describe('fuzz: no 5xx, and every 400 names the field', () => {
  let h: Harness;
  let total = 0;
  beforeAll(async () => {
    // Rate limits off: thousands of cases an endpoint (npm run fuzz) would otherwise meet the
    // per-minute limit of /users/export/ids and the hourly one of the list endpoints, not the code.
    h = await startHarness({ rateLimits: false });
    await h.put('/admin/workspace', { apps: [{ id: 'ios', name: 'iOS' }] });
    await h.post('/currents', ndjson([
      currents('users.behaviors.app.SessionStart', 'f1', at('2024-03-01T00:00:00'), { app_id: 'ios' }),
      currents('users.behaviors.CustomEvent', 'f1', at('2024-03-01T00:00:00'), { name: 'Played' }),
    ]), { 'content-type': 'application/x-ndjson' });
  });
  afterAll(async () => {
    if (process.env.FUZZ_RUNS) console.log(`fuzz: ${total} requests`);
    await h.close();
  });

  const all: Array<[string, Endpoint]> = Object.entries(endpoints).filter(([name]) => name !== 'adminPutWorkspace');
  it.each(all)('%s', async (_name, endpoint) => {
    await fc.assert(
      fc.asyncProperty(requestArbitrary(endpoint), async (req) => {
        total += 1;
        const out = await send(h.app, endpoint, KEY, req);
        if (!acceptable(endpoint, req, out)) throw new Error(`${endpoint.method} ${endpoint.path} ${JSON.stringify(req).slice(0, 400)} -> ${out.status} ${JSON.stringify(out.message)}`);
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20241122) },
    );
  }, 900_000);
});

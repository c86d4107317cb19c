/**
 * /users/track as Braze's customers send it: CLIENTS senders at once, each request 75 objects
 * (attributes, events and purchases mixed), half of the users new and half already known (named by
 * the external ids of the Currents records stored before, or by earlier requests of this run).
 */
import { DAY, DAYS, EVENT_NAMES, PRODUCTS, START } from './_currents-data.ts';
import { prng } from './_lib.ts';

export interface TrackLoad {
  requests: number;
  objects: number;
  seconds: number;
  /** Per request, milliseconds, sorted. */
  latencies: number[];
}

const COUNTRIES = ['US', 'FR', 'DE', 'BR', 'JP', 'IN'];

/** One request's body: 75 objects, each an attribute update (40%), an event (40%) or a purchase (20%). */
function trackBody(rand: () => number, request: number, knownUsers: number, newUsers: { next: number }): string {
  const attributes: unknown[] = [];
  const events: unknown[] = [];
  const purchases: unknown[] = [];
  const time = new Date((START + (request % DAYS) * DAY + Math.floor(rand() * DAY)) * 1000).toISOString();
  for (let i = 0; i < 75; i++) {
    const external_id = rand() < 0.5 ? `track-new-${newUsers.next++}` : `x${Math.floor(rand() * knownUsers)}`;
    const r = rand();
    if (r < 0.4) {
      attributes.push({
        external_id, first_name: `N${i}`, country: COUNTRIES[i % COUNTRIES.length], visits: { inc: 1 },
        ...(rand() < 0.3 ? { email: `${external_id}@example.com` } : {}),
        ...(rand() < 0.2 ? { tags: { add: [`t${i % 7}`] } } : {}),
      });
    } else if (r < 0.8) {
      events.push({ external_id, name: EVENT_NAMES[i % EVENT_NAMES.length], time, properties: { i, level: request % 50 } });
    } else {
      purchases.push({ external_id, product_id: PRODUCTS[i % PRODUCTS.length], price: 1.5 + (i % 10), quantity: 1 + (i % 3), currency: 'USD', time });
    }
  }
  return JSON.stringify({ attributes, events, purchases });
}

/** Sends `requests` requests from `clients` senders at once; `knownUsers`: external ids x0.. already stored. */
export async function trackLoad(base: string, auth: Record<string, string>, requests: number, clients: number, knownUsers: number): Promise<TrackLoad> {
  const rand = prng(7);
  const newUsers = { next: 0 };
  const bodies = Array.from({ length: requests }, (_, r) => trackBody(rand, r, knownUsers, newUsers));
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const client = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const t = performance.now();
      const res = await fetch(`${base}/users/track`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
      const text = await res.text();
      if (res.status !== 201 || text.includes('"errors"')) throw new Error(`track failed: ${res.status} ${text.slice(0, 300)}`);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - started) / 1000;
  return { requests, objects: requests * 75, seconds, latencies: latencies.sort((a, b) => a - b) };
}

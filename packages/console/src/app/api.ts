import {
  BrazeApiError, BrazeClient, type EndpointName, type ListItems, type ListName, type ParamsOf, type ResponseOf, type SeriesName,
  type SeriesParams, type SeriesPoints,
} from './client.ts';
import { PERMISSION_OF } from './permissions.ts';

/** The key lacks the permission an endpoint needs (a 403): the panel says so instead of failing. */
export class NeedsPermission extends Error {
  override name = 'NeedsPermission';
  constructor(readonly permission: string) {
    super(`needs ${permission}`);
  }
}

/** The key is unknown (a 401): the reader is sent back to the sign-in form. */
export class SignedOut extends Error {
  override name = 'SignedOut';
}

/** The public API of this server, through @brazen/client, as the console reads it. */
export class Api {
  readonly client: BrazeClient;

  constructor(key: string, baseUrl = location.origin) {
    // Few retries: a person is waiting, and a failed panel says why.
    this.client = new BrazeClient({ apiKey: key, baseUrl, retry: { attempts: 2, maxServerWaitMs: 5_000 }, timeoutMs: 60_000 });
  }

  async call<N extends EndpointName>(name: N, params: ParamsOf<N>): Promise<ResponseOf<N>> {
    try {
      return await this.client.request(name, params);
    } catch (error) {
      throw translate(error, name);
    }
  }

  /** Every point of a series of any length (split into requests the endpoint allows). */
  series<N extends SeriesName>(name: N, params: SeriesParams<N>): Promise<Array<SeriesPoints[N]>> {
    return collect(name, this.client.series(name, params));
  }

  /** Every item of a list, across its pages. */
  items<N extends ListName>(name: N, params?: ParamsOf<N>): Promise<Array<ListItems[N]>> {
    return collect(name, this.client.items(name, params));
  }
}

async function collect<T>(name: EndpointName, iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const item of iterable) out.push(item);
  } catch (error) {
    throw translate(error, name);
  }
  return out;
}

function translate(error: unknown, name: EndpointName): unknown {
  if (error instanceof BrazeApiError && error.status === 403) return new NeedsPermission(PERMISSION_OF[name]);
  if (error instanceof BrazeApiError && error.status === 401) return new SignedOut(error.brazeMessage);
  return error;
}

/** Runs `work` on each item, at most `limit` at a time, keeping the order of the answers. */
export async function eachLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      out[at] = await work(items[at]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

import type * as T from './contract.ts';
import type { ParamsOf, ResponseOf } from './endpoints.ts';
import { BrazeError } from './errors.ts';

/** The cursor-paged lists (Braze's newest export endpoints): the field holding the items. */
export const CURSOR_LISTS = {
  customEvents: { field: 'events' },
  customAttributes: { field: 'attributes' },
} as const;

export type CursorListName = keyof typeof CURSOR_LISTS;

/** What each cursor-paged list yields, item by item. */
export interface CursorListItems {
  customEvents: T.CustomEventItem;
  customAttributes: T.CustomAttributeItem;
}

type Exchange = <N extends CursorListName>(name: N, params: ParamsOf<N>) => Promise<{ body: ResponseOf<N>; headers: Headers }>;

/** The target of the link with relation `rel` in a `Link` header (RFC 8288), or undefined. */
export function linkTarget(header: string | null, rel: string): string | undefined {
  if (!header) return undefined;
  for (const match of header.matchAll(/<([^>]*)>([^,<]*)/g)) {
    const rels = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(match[2]);
    const names = (rels?.[1] ?? rels?.[2] ?? '').toLowerCase().split(/\s+/);
    if (names.includes(rel)) return match[1];
  }
  return undefined;
}

/** The `cursor` parameter of a link, as the server wrote it (decoded if it was percent-encoded). */
function cursorIn(target: string): string | undefined {
  const raw = /[?&]cursor=([^&#]*)/.exec(target)?.[1];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Every page of a cursor-paged list, following `Link: <...>; rel="next"` until an answer has none.
 * The next request goes to the client's own base URL with the link's `cursor`, not to the link's
 * host: Braze's links may name another host of its own, and the key must not travel elsewhere.
 */
export async function* cursorPages<N extends CursorListName>(exchange: Exchange, name: N, params: ParamsOf<N>): AsyncGenerator<ResponseOf<N>> {
  let cursor = (params as { cursor?: string }).cursor;
  const seen = new Set<string>();
  for (;;) {
    const { body, headers } = await exchange(name, { ...params, cursor } as ParamsOf<N>);
    yield body;
    const next = linkTarget(headers.get('link'), 'next');
    if (next === undefined) return;
    cursor = cursorIn(next);
    if (cursor === undefined) throw new BrazeError(`the Link header's next page names no cursor: ${next}`);
    if (seen.has(cursor)) throw new BrazeError(`the Link header names cursor ${cursor} a second time: the pages would never end`);
    seen.add(cursor);
  }
}

export async function* cursorItems<N extends CursorListName>(exchange: Exchange, name: N, params: ParamsOf<N>): AsyncGenerator<CursorListItems[N]> {
  const { field } = CURSOR_LISTS[name];
  for await (const page of cursorPages(exchange, name, params)) {
    yield* (page as unknown as Record<string, CursorListItems[N][]>)[field];
  }
}

/** The page and its settings live in the address's hash: `#/campaigns/ID?days=30&to=2024-03-31`. */

export interface Route {
  /** Path parts: `['campaigns', 'ID']`; `[]` is the overview. */
  parts: string[];
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path, query = ''] = text.split('?', 2);
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

/** Settings that follow the reader from page to page: the period and the app. */
const CARRIED = ['days', 'to', 'app'];

/** A link to `parts`, keeping the period and app of `from`, with `set` applied (undefined removes). */
export function href(parts: string[], from: URLSearchParams, set: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const name of CARRIED) {
    const value = from.get(name);
    if (value !== null) params.set(name, value);
  }
  for (const [name, value] of Object.entries(set)) {
    if (value === undefined) params.delete(name);
    else params.set(name, value);
  }
  const query = params.toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${query ? `?${query}` : ''}`;
}

/** The same page with some settings changed. */
export function withParams(route: Route, set: Record<string, string | undefined>): string {
  const params = new URLSearchParams(route.params);
  for (const [name, value] of Object.entries(set)) {
    if (value === undefined) params.delete(name);
    else params.set(name, value);
  }
  const query = params.toString();
  return `#/${route.parts.map(encodeURIComponent).join('/')}${query ? `?${query}` : ''}`;
}

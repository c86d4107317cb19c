/** REST endpoints of the Braze instances ("clusters"), from Braze's "API and SDK endpoints" page. */
export const BRAZE_INSTANCES = {
  'US-01': 'https://rest.iad-01.braze.com',
  'US-02': 'https://rest.iad-02.braze.com',
  'US-03': 'https://rest.iad-03.braze.com',
  'US-04': 'https://rest.iad-04.braze.com',
  'US-05': 'https://rest.iad-05.braze.com',
  'US-06': 'https://rest.iad-06.braze.com',
  'US-07': 'https://rest.iad-07.braze.com',
  'US-08': 'https://rest.iad-08.braze.com',
  'US-10': 'https://rest.us-10.braze.com',
  'EU-01': 'https://rest.fra-01.braze.eu',
  'EU-02': 'https://rest.fra-02.braze.eu',
  'AU-01': 'https://rest.au-01.braze.com',
} as const;

export type BrazeInstance = keyof typeof BRAZE_INSTANCES;

/**
 * The REST base URL for `baseUrl` as given: an instance name (`US-01`, `eu-02`) or any URL
 * (brazen, a proxy, a Braze instance). A path prefix is kept; a trailing slash is dropped.
 */
export function resolveBaseUrl(baseUrl: string): string {
  const named = BRAZE_INSTANCES[baseUrl.trim().toUpperCase() as BrazeInstance];
  if (named) return named;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`baseUrl must be a URL or a Braze instance name (${Object.keys(BRAZE_INSTANCES).join(', ')}); got "${baseUrl}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`baseUrl must be an http(s) URL; got "${baseUrl}"`);
  return url.href.replace(/\/+$/, '');
}

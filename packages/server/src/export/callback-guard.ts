import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Addresses a callback must not reach unless the operator allows it: loopback, private,
 * link-local (cloud metadata lives there), unspecified and multicast ranges. */
const BLOCKED = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why a callback URL is refused, or undefined when it may be called. The host is resolved, and
 * every address it resolves to must be public (so a name pointing at 127.0.0.1 is refused too).
 */
export async function callbackRefusal(url: string, allowPrivate: boolean): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'callback_endpoint must be an http or https URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'callback_endpoint must be an http or https URL';
  if (allowPrivate) return undefined;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return `callback_endpoint host ${host} cannot be resolved`;
  }
  const blocked = addresses.find(isBlockedAddress);
  if (blocked) {
    return `callback_endpoint ${host} resolves to ${blocked}, a private or loopback address; start the server with --allow-private-callbacks to allow it`;
  }
  return undefined;
}

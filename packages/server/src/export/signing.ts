import { createHmac, timingSafeEqual } from 'node:crypto';
import { DEFAULT_WORKSPACE } from '@brazen/store';

/** Download URLs are signed with a secret of the store and expire: `?expires=EPOCH&signature=HMAC`. */
export const URL_TTL_SECONDS = 6 * 3600;

const signature = (secret: string, jobId: string, expires: number) =>
  createHmac('sha256', secret).update(`${jobId}:${expires}`).digest('base64url');

export function downloadPath(jobId: string, objectPrefix: string): string {
  return `/users/export/download/${jobId}/${objectPrefix}.zip`;
}

/** The download URL of a job; one of a workspace other than the default names it (each workspace
 * signs with a secret of its own, so a URL moved to another workspace is refused as forged). */
export function signedDownloadUrl(baseUrl: string, secret: string, jobId: string, objectPrefix: string, expires: number, workspace = DEFAULT_WORKSPACE): string {
  const named = workspace === DEFAULT_WORKSPACE ? '' : `workspace=${encodeURIComponent(workspace)}&`;
  return `${baseUrl}${downloadPath(jobId, objectPrefix)}?${named}expires=${expires}&signature=${signature(secret, jobId, expires)}`;
}

export type UrlCheck = 'ok' | 'expired' | 'forged';

/** `now` in epoch seconds. */
export function checkSignedUrl(secret: string, jobId: string, expires: string | undefined, given: string | undefined, now: number): UrlCheck {
  const exp = Number(expires);
  if (!given || !Number.isInteger(exp)) return 'forged';
  const want = Buffer.from(signature(secret, jobId, exp));
  const got = Buffer.from(given);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return 'forged';
  return now > exp ? 'expired' : 'ok';
}

import type { FastifyRequest } from 'fastify';
import { badRequest } from '../errors.ts';

/**
 * Cursor pages as Braze's newest endpoints have them: a cursor is base64 of `skip:N` (the docs'
 * example `c2tpcDow` is `skip:0`, and real answers carry `c2tpcDo1MA==`, `skip:50`), and the `Link`
 * header names the neighbouring pages by absolute URL, the cursor written as is (not
 * percent-encoded: consumers pull it out with a regular expression and send it back).
 */

export const cursorOf = (skip: number): string => Buffer.from(`skip:${skip}`, 'utf8').toString('base64');

/** How many items come before the page a cursor names (0 without one). */
export function skipOf(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const match = /^skip:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match || cursorOf(Number(match[1])) !== cursor) {
    throw badRequest(`cursor ${JSON.stringify(cursor.slice(0, 100))} is not a cursor of this endpoint: send the one its Link header gave`);
  }
  return Number(match[1]);
}

/** The page of `items` after the first `skip`, and the `Link` header naming the pages around it
 * (none when there are none). */
export function cursorPage<T>(request: FastifyRequest, items: T[], skip: number, pageSize: number): { page: T[]; link?: string } {
  const page = items.slice(skip, skip + pageSize);
  const url = `${request.protocol}://${request.host}${request.routeOptions.url}`;
  const links: string[] = [];
  if (skip > 0) links.push(`<${url}?cursor=${cursorOf(Math.max(0, skip - pageSize))}>; rel="prev"`);
  if (skip + pageSize < items.length) links.push(`<${url}?cursor=${cursorOf(skip + pageSize)}>; rel="next"`);
  return { page, link: links.length > 0 ? links.join(',') : undefined };
}

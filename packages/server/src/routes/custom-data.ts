import type { FastifyInstance } from 'fastify';
import { CUSTOM_DATA_PAGE, customAttributes, customEvents } from '@brazen/contract';
import type { ApiContext } from '../context.ts';
import { cursorPage, skipOf } from '../custom-data/cursor.ts';
import { customAttributeItems, customEventItems } from '../custom-data/definitions.ts';
import { route } from './route.ts';

/** Custom events recorded by the store in one read of this size (a workspace has far fewer). */
const NAMES_AT_ONCE = 100_000;

/** GET /events and GET /custom_attributes: every name, then the page the cursor names. Both lists
 * are short (Braze workspaces have hundreds of custom events and attributes), so each request reads
 * the whole list and cuts its page: pages always agree with each other. */
export function customDataRoutes(app: FastifyInstance): void {
  route(app, customEvents, async ({ query, request, reply, ctx }) => {
    const skip = skipOf(query.cursor);
    const recorded: string[] = [];
    for (let offset = 0; ; offset += NAMES_AT_ONCE) {
      const names = await ctx.data.names('custom_event', offset, NAMES_AT_ONCE);
      recorded.push(...names);
      if (names.length < NAMES_AT_ONCE) break;
    }
    const items = customEventItems(recorded, await ctx.getWorkspace());
    const { page, link } = cursorPage(request, items, skip, CUSTOM_DATA_PAGE);
    if (link) reply.header('link', link);
    return { message: 'success', events: page };
  });

  route(app, customAttributes, async ({ query, request, reply, ctx }) => {
    const skip = skipOf(query.cursor);
    const items = customAttributeItems(await ctx.data.customAttributeSamples(), await ctx.getWorkspace());
    const { page, link } = cursorPage(request, items, skip, CUSTOM_DATA_PAGE);
    if (link) reply.header('link', link);
    return { message: 'success', attributes: page };
  });
}

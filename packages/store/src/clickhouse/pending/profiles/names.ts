/**
 * Names the user export shows for what a user met (apps, campaigns and their variations, Canvases,
 * their variants and steps, cards): the workspace's definitions name them; a campaign, variation,
 * Canvas, variant or step the workspace does not define is named by the records that concern it
 * (Currents records carry `campaign_name`, `canvas_step_name`, ...).
 */

export type NamedKind = 'app' | 'campaign' | 'variation' | 'canvas' | 'canvas_variation' | 'canvas_step' | 'card';

/** The workspace document's parts that name things (see `Workspace` of the store). */
export interface NamingDocument {
  apps?: ReadonlyArray<Record<string, unknown>>;
  campaigns?: ReadonlyArray<Record<string, unknown>>;
  canvases?: ReadonlyArray<Record<string, unknown>>;
  cards?: ReadonlyArray<Record<string, unknown>>;
}

/** Every (kind, id, name) the workspace defines, in the document's order. */
export function workspaceNames(ws: NamingDocument): Array<[NamedKind, string, string]> {
  const out: Array<[NamedKind, string, string]> = [];
  const add = (kind: NamedKind, id: unknown, name: unknown) => {
    if (typeof id === 'string' && typeof name === 'string') out.push([kind, id, name]);
  };
  for (const a of ws.apps ?? []) add('app', a.id, a.name);
  for (const c of ws.campaigns ?? []) {
    add('campaign', c.id, c.name);
    for (const [vid, m] of Object.entries((c.messages ?? {}) as Record<string, { name?: unknown } | null>)) add('variation', vid, m?.name);
  }
  for (const c of ws.canvases ?? []) {
    add('canvas', c.id, c.name);
    for (const v of (c.variants ?? []) as Array<{ id?: unknown; name?: unknown }>) add('canvas_variation', v.id, v.name);
    for (const s of (c.steps ?? []) as Array<{ id?: unknown; name?: unknown }>) add('canvas_step', s.id, s.name);
  }
  for (const c of ws.cards ?? []) add('card', c.id, c.name);
  return out;
}

/** The workspace's names by kind and id (the first definition of an id wins). */
export type NameBook = ReadonlyMap<NamedKind, ReadonlyMap<string, string>>;

export function nameBook(ws: NamingDocument): NameBook {
  const book = new Map<NamedKind, Map<string, string>>();
  for (const [kind, id, name] of workspaceNames(ws)) {
    const names = book.get(kind) ?? new Map<string, string>();
    if (!names.has(id)) names.set(id, name);
    book.set(kind, names);
  }
  return book;
}

/** The record fields that name what the workspace does not: the id's field and the name's. */
export const NAMES_IN_RECORDS = {
  campaign: { id: 'campaignId', name: 'campaign_name' },
  variation: { id: 'messageVariationId', name: 'message_variation_name' },
  canvas: { id: 'canvasId', name: 'canvas_name' },
  canvas_variation: { id: 'canvasVariationId', name: 'canvas_variation_name' },
  canvas_step: { id: 'canvasStepId', name: 'canvas_step_name' },
} as const;

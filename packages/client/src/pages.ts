import type * as T from './contract.ts';
import type { EndpointName, ParamsOf, ResponseOf } from './endpoints.ts';

/** The list endpoints: the field holding the items and Braze's fixed page size. */
export const LISTS = {
  campaignsList: { field: 'campaigns', pageSize: 100 },
  canvasList: { field: 'canvases', pageSize: 100 },
  segmentsList: { field: 'segments', pageSize: 100 },
  feedList: { field: 'cards', pageSize: 100 },
  eventsList: { field: 'events', pageSize: 250 },
  purchasesProductList: { field: 'products', pageSize: 250 },
} as const satisfies Partial<Record<EndpointName, { field: string; pageSize: number }>>;

export type ListName = keyof typeof LISTS;

/** What each list yields, item by item. */
export interface ListItems {
  campaignsList: T.CampaignListItem;
  canvasList: T.CanvasListItem;
  segmentsList: T.SegmentListItem;
  feedList: T.FeedListItem;
  eventsList: string;
  purchasesProductList: string;
}

type Fetch = <N extends ListName>(name: N, params: ParamsOf<N>) => Promise<ResponseOf<N>>;

/**
 * Every page of a list from `params.page` (default 0) on. A page shorter than Braze's page size
 * is the last one, so a list that fills its pages exactly costs one more (empty) request.
 */
export async function* listPages<N extends ListName>(fetchPage: Fetch, name: N, params: ParamsOf<N>): AsyncGenerator<ResponseOf<N>> {
  const { field, pageSize } = LISTS[name];
  for (let page = (params as { page?: number }).page ?? 0; ; page++) {
    const answer = await fetchPage(name, { ...params, page });
    yield answer;
    const items = (answer as unknown as Record<string, unknown[]>)[field];
    if (!Array.isArray(items) || items.length < pageSize) return;
  }
}

export async function* listItems<N extends ListName>(fetchPage: Fetch, name: N, params: ParamsOf<N>): AsyncGenerator<ListItems[N]> {
  const { field } = LISTS[name];
  for await (const answer of listPages(fetchPage, name, params)) {
    yield* (answer as unknown as Record<string, ListItems[N][]>)[field];
  }
}

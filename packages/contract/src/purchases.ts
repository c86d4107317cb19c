import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, AppIdParam, EndingAt, LengthParam, Message, SeriesTime, UNITS_LENGTH, Unit } from './common.ts';

export const ProductListQuery = Type.Object({
  api_key: ApiKeyParam,
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Page of product names to return, from 0 (250 names a page)' })),
});

export const ProductListResponse = Type.Object({
  message: Message,
  products: Type.Array(Type.String({ description: 'Product identifier' }), { description: 'Purchased product names, alphabetical' }),
});

/** Query of `/purchases/revenue_series` and `/purchases/quantity_series`. */
export const PurchaseSeriesQuery = Type.Object({
  api_key: ApiKeyParam,
  length: LengthParam(UNITS_LENGTH),
  unit: Type.Optional(Unit),
  ending_at: Type.Optional(EndingAt),
  app_id: Type.Optional(AppIdParam),
  product: Type.Optional(Type.String({ description: 'Restrict to this product (default: every product)' })),
});

export const RevenueSeriesResponse = Type.Object({
  message: Message,
  data: Type.Array(
    Type.Object({
      time: SeriesTime,
      revenue: Type.Number({ description: 'Revenue in USD (price × quantity)' }),
    }),
  ),
});

export const QuantitySeriesResponse = Type.Object({
  message: Message,
  data: Type.Array(
    Type.Object({
      time: SeriesTime,
      purchase_quantity: Type.Integer({ minimum: 0, description: 'Number of items purchased' }),
    }),
  ),
});

export const purchasesProductList = defineEndpoint({
  method: 'GET',
  path: '/purchases/product_list',
  permission: 'purchases.product_list',
  summary: 'List product names purchased in the workspace',
  tag: 'Purchases',
  querystring: ProductListQuery,
  response: ProductListResponse,
  ratePool: 'events_products',
});

export const purchasesRevenueSeries = defineEndpoint({
  method: 'GET',
  path: '/purchases/revenue_series',
  permission: 'purchases.revenue_series',
  summary: 'Series of revenue in USD per day or hour',
  tag: 'Purchases',
  querystring: PurchaseSeriesQuery,
  response: RevenueSeriesResponse,
});

export const purchasesQuantitySeries = defineEndpoint({
  method: 'GET',
  path: '/purchases/quantity_series',
  permission: 'purchases.quantity_series',
  summary: 'Series of purchased quantity per day or hour',
  tag: 'Purchases',
  querystring: PurchaseSeriesQuery,
  response: QuantitySeriesResponse,
});

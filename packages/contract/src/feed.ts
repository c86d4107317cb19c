import { Type } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, EndingAt, FreeObject, LengthParam, ListQueryProperties, Message, Nullable, ResponseDate, SeriesTime, Tags, UNITS_LENGTH, Unit } from './common.ts';

const CardId = Type.String({ description: 'News Feed card API identifier' });

export const FeedListQuery = Type.Object({
  ...ListQueryProperties,
  page: Type.Optional(Type.Integer({ minimum: 0, description: 'Page of cards to return, from 0 (100 a page)' })),
});

export const FeedListItem = Type.Object({
  id: CardId,
  type: Type.String({ description: 'Card type: NewsItem (classic), CaptionedImage, Banner or DevPick (cross-promotion)' }),
  title: Type.String({ description: 'Card title' }),
  tags: Tags,
});

export const FeedListResponse = Type.Object({
  message: Message,
  cards: Type.Array(FeedListItem, { description: 'Cards, 100 a page, by creation time' }),
});

export const FeedDetailsQuery = Type.Object({
  api_key: ApiKeyParam,
  card_id: CardId,
});

/** Fields of a card as `/feed/details` describes it. */
export const FeedDetailsProperties = {
  created_at: ResponseDate('Date created, ISO 8601'),
  updated_at: ResponseDate('Date last updated, ISO 8601'),
  name: Type.String({ description: 'Card name' }),
  publish_at: Type.Optional(Nullable(ResponseDate('Date the card was published, ISO 8601'))),
  end_at: Type.Optional(Nullable(ResponseDate('Date the card stops displaying, ISO 8601'))),
  tags: Tags,
  title: Type.String({ description: 'Card title' }),
  image_url: Type.Optional(Nullable(Type.String({ description: 'Image URL of the card' }))),
  extras: Type.Optional(FreeObject),
  description: Type.Optional(Type.String({ description: 'Description text of the card' })),
  archived: Type.Boolean({ description: 'Whether the card is archived' }),
  draft: Type.Boolean({ description: 'Whether the card is a draft' }),
};

export const FeedDetailsResponse = Type.Object({
  message: Message,
  ...FeedDetailsProperties,
});

export const FeedDataSeriesQuery = Type.Object({
  api_key: ApiKeyParam,
  card_id: CardId,
  length: LengthParam(UNITS_LENGTH),
  unit: Type.Optional(Unit),
  ending_at: Type.Optional(EndingAt),
});

const count = (description: string) => Type.Integer({ minimum: 0, description });

export const FeedDataSeriesResponse = Type.Object({
  message: Message,
  data: Type.Array(
    Type.Object({
      time: SeriesTime,
      clicks: count('Clicks'),
      impressions: count('Impressions'),
      unique_clicks: count('Distinct users who clicked'),
      unique_impressions: count('Distinct users who saw the card'),
    }),
  ),
});

export const feedList = defineEndpoint({
  method: 'GET',
  path: '/feed/list',
  permission: 'feed.list',
  summary: 'List News Feed cards',
  tag: 'News Feed',
  querystring: FeedListQuery,
  response: FeedListResponse,
});

export const feedDetails = defineEndpoint({
  method: 'GET',
  path: '/feed/details',
  permission: 'feed.details',
  summary: 'Details of one News Feed card',
  tag: 'News Feed',
  querystring: FeedDetailsQuery,
  response: FeedDetailsResponse,
});

export const feedDataSeries = defineEndpoint({
  method: 'GET',
  path: '/feed/data_series',
  permission: 'feed.data_series',
  summary: 'Series of engagement with one News Feed card per day or hour',
  tag: 'News Feed',
  querystring: FeedDataSeriesQuery,
  response: FeedDataSeriesResponse,
});

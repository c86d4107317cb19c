import { Type, type TSchema } from 'typebox';

/** A date in any ISO 8601 form Braze accepts: `2024-03-01`, `2024-03-01T23:59:59Z`,
 * `2024-03-01T23:59:59-05:00`, fractional seconds. Checked by the server's `iso8601` format. */
export const IsoDateTime = Type.String({ format: 'iso8601', description: 'ISO 8601 date or date-time' });

export const SeriesLength = Type.Integer({ minimum: 1, maximum: 100, description: 'Number of units in the series, 1 to 100' });
export const Unit = Type.Union([Type.Literal('day'), Type.Literal('hour')], { description: 'day (default) or hour' });
export const Page = Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Page number, from 0' });
export const SortDirection = Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'asc (oldest first, default) or desc' });
export const ApiKeyParam = Type.Optional(Type.String({ description: 'Legacy REST API key; prefer the Authorization: Bearer header' }));

export const Message = Type.String({ description: "'success' when the request succeeded" });

export const ErrorBody = Type.Object({
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Unknown())),
});

// ---------------------------------------------------------------------------------------------
// Shared building blocks used by several API areas.

/** A value that Braze may send as `null` (a missing value in the export means null, false or empty). */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Free key/value pairs (custom attributes, event properties, message extras). */
export const FreeObject = Type.Record(Type.String(), Type.Unknown(), { description: 'Free key/value pairs' });

/** A string date in the response: `YYYY-MM-DD` for days, ISO 8601 with offset for hours. */
export const SeriesTime = Type.String({
  description: 'Point in time: ISO 8601 date (YYYY-MM-DD) when unit is day, ISO 8601 date-time with offset when unit is hour',
});

/** Timestamps of objects in responses (`created_at`, `updated_at`, ...). */
export const ResponseDate = (description: string) => Type.String({ description });

export const Tags = Type.Array(Type.String(), { description: 'Tag names associated with the object' });
export const Teams = Type.Array(Type.String(), { description: 'Names of the Teams associated with the object' });

export const IncludeArchived = Type.Boolean({ description: 'Whether to include archived objects (default false)' });
export const LastEditTimeGt = Type.String({
  format: 'iso8601',
  description: 'Only return objects edited after this time (ISO 8601, e.g. 2020-06-28T23:59:59-05:00)',
});
export const AppIdParam = Type.String({ description: 'App API identifier; limits analytics to one app (default: every app in the workspace)' });
export const SegmentIdParam = Type.String({ description: 'Segment API identifier of an analytics-enabled segment to restrict the series to' });
export const EndingAt = Type.String({
  format: 'iso8601',
  description: 'Point in time when the series should end (ISO 8601, any form); defaults to the time of the request',
});

/** Query properties shared by `/campaigns/list`, `/canvas/list`, `/feed/list`. */
export const ListQueryProperties = {
  api_key: ApiKeyParam,
  page: Type.Optional(Page),
  include_archived: Type.Optional(IncludeArchived),
  sort_direction: Type.Optional(SortDirection),
  'last_edit.time[gt]': Type.Optional(LastEditTimeGt),
};

/** Braze's user alias object. */
export const UserAlias = Type.Object(
  {
    alias_name: Type.String({ description: 'Alias name' }),
    alias_label: Type.String({ description: 'Alias label (namespace of the alias)' }),
  },
  { description: 'User alias object' },
);

/** Body of a simple `{message}` answer. */
export const MessageOnly = Type.Object({ message: Message });

/** `length` of a series (1 to 100), with a description naming the unit. */
export const LengthParam = (description: string) => Type.Integer({ minimum: 1, maximum: 100, description });
export const DAYS_LENGTH = 'Number of days before ending_at to include in the series, 1 to 100';
export const UNITS_LENGTH = 'Number of units (days or hours) before ending_at to include in the series, 1 to 100';

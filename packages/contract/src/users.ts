import { Type, type TProperties } from 'typebox';
import { defineEndpoint } from './endpoint.ts';
import { ApiKeyParam, FreeObject, Message, Nullable, UserAlias } from './common.ts';

/**
 * The user export object of the seed's "Sample User Export File Output" (seed 002), with the fields
 * newer braze-docs add (`created_at`, `random_bucket`, `uninstalled_at`, `push_opted_in_at`,
 * device and push-token ids, `multiple_converted`, ...). Braze includes the least data possible: a
 * missing field means null, false or empty, so every field is optional.
 */

const s = (description: string) => Type.Optional(Type.String({ description }));
const ns = (description: string) => Type.Optional(Nullable(Type.String({ description })));
const b = (description: string) => Type.Optional(Type.Boolean({ description }));
const open = { additionalProperties: true } as const;
const SubscriptionState = Type.String({ description: '"opted_in", "subscribed" or "unsubscribed"' });

export const UserExportCount = Type.Object(
  {
    name: s('Name of the custom event or product'),
    first: s('Date of the first occurrence, ISO 8601'),
    last: s('Date of the last occurrence, ISO 8601'),
    count: Type.Optional(Type.Integer({ minimum: 0, description: 'Number of occurrences' })),
  },
  open,
);

export const UserExportDevice = Type.Object(
  {
    model: ns('Device model'),
    os: ns('Operating system'),
    carrier: ns('Service carrier'),
    idfv: s('Apple Identifier for Vendor (iOS only)'),
    idfa: s('Identifier for Advertising (iOS only, when collected)'),
    device_id: s('Braze device identifier'),
    google_ad_id: s('Google Play Advertising Identifier (Android, when collected)'),
    roku_ad_id: s('Roku Advertising Identifier (Roku only)'),
    ad_tracking_enabled: b('Whether ad tracking is enabled on the device'),
  },
  open,
);

export const UserExportPushToken = Type.Object(
  {
    app: s('App name'),
    platform: s('Platform'),
    token: s('Push token'),
    device_id: s('Braze device identifier'),
    notifications_enabled: b('Whether push notifications are turned on'),
  },
  open,
);

export const UserExportApp = Type.Object(
  {
    name: s('App name'),
    platform: s('Platform, e.g. iOS, Android, Web'),
    version: s('App version'),
    sessions: Type.Optional(Type.Integer({ minimum: 0, description: 'Number of sessions in this app (seed 002 says string, braze-docs sample shows a number)' })),
    first_used: s('Date of the first session, ISO 8601'),
    last_used: s('Date of the last session, ISO 8601'),
  },
  open,
);

export const UserExportCampaignReceived = Type.Object(
  {
    name: s('Campaign name'),
    last_received: s('Date last received, ISO 8601'),
    engaged: Type.Optional(
      Type.Object(
        {
          opened_email: b('Opened an email'),
          opened_push: b('Opened a push'),
          clicked_email: b('Clicked an email'),
          clicked_in_app_message: b('Clicked an in-app message (seed 002)'),
          clicked_triggered_in_app_message: b('Clicked a triggered in-app message (newer docs)'),
        },
        { ...open, description: 'Engagement with the campaign' },
      ),
    ),
    converted: b('Whether the user converted'),
    multiple_converted: Type.Optional(Type.Record(Type.String(), Type.Boolean(), { description: 'Conversion per conversion event (newer docs)' })),
    api_campaign_id: s('Campaign API identifier'),
    variation_name: s('Variation name (multivariate campaigns)'),
    variation_api_id: s('Variation API identifier (multivariate campaigns)'),
    in_control: b('In the control group (multivariate campaigns)'),
  },
  open,
);

export const UserExportCanvasStep = Type.Object(
  {
    name: s('Step name'),
    api_canvas_step_id: s('Step API identifier'),
    last_received: s('Date last received, ISO 8601'),
  },
  open,
);

export const UserExportCanvasReceived = Type.Object(
  {
    name: s('Canvas name'),
    api_canvas_id: s('Canvas API identifier'),
    last_received_message: s('Date of the last message received, ISO 8601'),
    last_entered: s('Date last entered, ISO 8601'),
    variation_name: s('Variant name'),
    in_control: b('In the control group'),
    last_entered_control_at: ns('Date last entered the control group (newer docs)'),
    last_exited: s('Date last exited, ISO 8601'),
    steps_received: Type.Optional(Type.Array(UserExportCanvasStep)),
  },
  open,
);

export const UserExportProperties = {
  created_at: s('Date the profile was created (newer docs)'),
  external_id: s('External user identifier'),
  user_aliases: Type.Optional(Type.Array(UserAlias, { description: 'User aliases' })),
  braze_id: s('Braze user identifier'),
  random_bucket: Type.Optional(Type.Integer({ minimum: 0, maximum: 9999, description: 'Random bucket number, 0 to 9999 (newer docs)' })),
  first_name: s('First name'),
  last_name: s('Last name'),
  email: s('Email address'),
  dob: s("Date of birth, YYYY-MM-DD"),
  home_city: s('Home city'),
  country: s('Country, ISO 3166-1 alpha-2'),
  phone: s('Phone number, E.164'),
  language: s('Language, ISO 639-1'),
  time_zone: s('Time zone'),
  last_coordinates: Type.Optional(Type.Array(Type.Number(), { description: 'Last known location, [longitude, latitude]' })),
  gender: ns('"M", "F", "O", "N", "P" or null'),
  total_revenue: Type.Optional(Type.Number({ description: 'Total revenue attributed to the user' })),
  attributed_campaign: s('Attribution: ad campaign'),
  attributed_source: s('Attribution: ad platform'),
  attributed_adgroup: s('Attribution: ad group'),
  attributed_ad: s('Attribution: ad'),
  push_subscribe: Type.Optional(SubscriptionState),
  push_opted_in_at: s('Date the user opted in to push (newer docs)'),
  email_subscribe: Type.Optional(SubscriptionState),
  uninstalled_at: s('Date the app was uninstalled, omitted otherwise (newer docs)'),
  custom_attributes: Type.Optional(FreeObject),
  custom_events: Type.Optional(Type.Array(UserExportCount, { description: 'Custom events performed' })),
  purchases: Type.Optional(Type.Array(UserExportCount, { description: 'Products purchased' })),
  devices: Type.Optional(Type.Array(UserExportDevice)),
  push_tokens: Type.Optional(Type.Array(UserExportPushToken)),
  apps: Type.Optional(Type.Array(UserExportApp, { description: 'Apps the user has sessions in' })),
  campaigns_received: Type.Optional(Type.Array(UserExportCampaignReceived)),
  canvases_received: Type.Optional(Type.Array(UserExportCanvasReceived)),
  cards_clicked: Type.Optional(Type.Array(Type.Object({ name: s('Card name') }, open))),
} satisfies TProperties;

export const UserExport = Type.Object(UserExportProperties, { description: 'Exported user profile' });

/** Top-level field names usable in `fields_to_export` (every field of `UserExport`). */
export const USER_EXPORT_FIELDS = [
  'created_at',
  'external_id',
  'user_aliases',
  'braze_id',
  'random_bucket',
  'first_name',
  'last_name',
  'email',
  'dob',
  'home_city',
  'country',
  'phone',
  'language',
  'time_zone',
  'last_coordinates',
  'gender',
  'total_revenue',
  'attributed_campaign',
  'attributed_source',
  'attributed_adgroup',
  'attributed_ad',
  'push_subscribe',
  'push_opted_in_at',
  'email_subscribe',
  'uninstalled_at',
  'custom_attributes',
  'custom_events',
  'purchases',
  'devices',
  'push_tokens',
  'apps',
  'campaigns_received',
  'canvases_received',
  'cards_clicked',
] as const satisfies readonly (keyof typeof UserExportProperties)[];

export type UserExportField = (typeof USER_EXPORT_FIELDS)[number];

const FieldsToExport = Type.Array(Type.String(), {
  description: `Top-level user fields to export (default: all): ${USER_EXPORT_FIELDS.join(', ')}`,
});
const OutputFormat = Type.Union([Type.Literal('zip'), Type.Literal('gzip')], { description: 'File format of the export: zip (default) or gzip' });
const CallbackEndpoint = Type.String({ description: 'URL that gets a POST {"success": true, "url"?} when the export is ready' });

// ---- /users/export/ids -------------------------------------------------------------------------

export const UsersExportIdsBody = Type.Object({
  api_key: ApiKeyParam,
  // The most ids a request may name depends on the server's --compat profile (50 today, 75 legacy):
  // the route checks it, so that the message names the number in force.
  external_ids: Type.Optional(Type.Array(Type.String(), { description: 'External ids of users to export (up to 50; 75 with --compat legacy)' })),
  user_aliases: Type.Optional(Type.Array(UserAlias, { description: 'User aliases of users to export (up to 50; 75 with --compat legacy)' })),
  device_id: Type.Optional(Type.String({ description: 'Device identifier, as returned by the SDKs' })),
  braze_id: Type.Optional(Type.String({ description: 'Braze user identifier' })),
  email_address: Type.Optional(Type.String({ description: 'Email address of the user' })),
  phone: Type.Optional(Type.String({ description: 'Phone number of the user, E.164' })),
  fields_to_export: Type.Optional(FieldsToExport),
});

export const UsersExportIdsResponse = Type.Object({
  message: Message,
  users: Type.Array(UserExport, { description: 'Exported users; empty when none was found' }),
  invalid_user_ids: Type.Optional(Type.Array(Type.String(), { description: 'Requested identifiers that named no known user' })),
});

// ---- /users/export/segment and /users/export/global_control_group -----------------------------

export const UsersExportSegmentBody = Type.Object({
  api_key: ApiKeyParam,
  segment_id: Type.String({ description: 'Segment to export' }),
  callback_endpoint: Type.Optional(CallbackEndpoint),
  fields_to_export: Type.Optional(FieldsToExport),
  custom_attributes_to_export: Type.Optional(
    Type.Array(Type.String(), { maxItems: 500, description: 'Individual custom attributes to export (newer docs), up to 500' }),
  ),
  output_format: Type.Optional(OutputFormat),
});

export const UsersExportGlobalControlGroupBody = Type.Object({
  api_key: ApiKeyParam,
  callback_endpoint: Type.Optional(CallbackEndpoint),
  fields_to_export: Type.Optional(FieldsToExport),
  output_format: Type.Optional(OutputFormat),
});

export const UsersExportJobResponse = Type.Object({
  message: Message,
  object_prefix: Type.String({ description: 'File name prefix of the export, e.g. bb8e2a91-c4aa-478b-b3f2-a4ee91731ad1-1464728599' }),
  url: Type.Optional(Type.String({ description: 'Where to download the export once ready, when no S3 bucket is configured' })),
});

// ---- endpoints ---------------------------------------------------------------------------------

export const usersExportIds = defineEndpoint({
  method: 'POST',
  path: '/users/export/ids',
  permission: 'users.export.ids',
  summary: 'Export user profiles named by identifier',
  tag: 'User export',
  body: UsersExportIdsBody,
  response: UsersExportIdsResponse,
});

export const usersExportSegment = defineEndpoint({
  method: 'POST',
  path: '/users/export/segment',
  permission: 'users.export.segment',
  summary: 'Start an export of every user in a segment',
  tag: 'User export',
  body: UsersExportSegmentBody,
  response: UsersExportJobResponse,
  status: 201,
  ratePool: 'shared_hourly',
});

export const usersExportGlobalControlGroup = defineEndpoint({
  method: 'POST',
  path: '/users/export/global_control_group',
  permission: 'users.export.global_control_group',
  summary: 'Start an export of every user in the Global Control Group',
  tag: 'User export',
  body: UsersExportGlobalControlGroupBody,
  response: UsersExportJobResponse,
  status: 201,
  ratePool: 'shared_hourly',
});

// ---- export jobs, for admins (brazen) ---------------------------------------------------------

export const ExportJobStatus = Type.Object(
  {
    id: Type.String({ description: 'Job identifier' }),
    object_prefix: Type.String({ description: 'File name prefix of the export' }),
    kind: Type.String({ description: 'segment or global_control_group' }),
    segment_id: Type.String({ description: 'Segment exported' }),
    status: Type.String({ description: 'pending, running, done, failed or cancelled' }),
    output_format: Type.String({ description: 'zip or gzip' }),
    destination: Type.String({ description: 's3 (the workspace bucket) or local (served by a signed URL)' }),
    created_at: Type.String({ description: 'When the export was requested, ISO 8601' }),
    finished_at: Type.Optional(Type.String({ description: 'When the last file was written, ISO 8601' })),
    users: Type.Optional(Type.Integer({ description: 'Users in the export, once the segment was read' })),
    files: Type.Optional(Type.Integer({ description: 'Files the export makes' })),
    files_done: Type.Integer({ description: 'Files written so far' }),
    callback: Type.String({ description: 'none, pending, sent or failed' }),
    callback_attempts: Type.Integer({ description: 'POSTs made to callback_endpoint' }),
    error: Type.Optional(Type.String({ description: 'Why the export failed' })),
  },
  { description: 'State of one user export job' },
);

export const adminExports = defineEndpoint({
  method: 'GET',
  path: '/admin/exports',
  permission: 'admin',
  summary: 'State of every user export job, newest first',
  tag: 'Admin',
  querystring: Type.Object({ api_key: ApiKeyParam }),
  response: Type.Object({ message: Message, exports: Type.Array(ExportJobStatus) }),
});

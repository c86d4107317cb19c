/** Braze's standard attributes (SPEC §6): every other attribute a user is given is a custom one. */

/** Standard attributes exported as top-level fields of the user export object, in its order. */
export const TOP_LEVEL_ATTRIBUTES = [
  'first_name', 'last_name', 'email', 'dob', 'home_city', 'country', 'phone', 'language', 'time_zone', 'gender',
  'attributed_campaign', 'attributed_source', 'attributed_adgroup', 'attributed_ad', 'push_subscribe',
  'push_opted_in_at', 'email_subscribe',
] as const;

/** Standard attributes: never custom attributes. */
export const STANDARD_ATTRIBUTES: ReadonlySet<string> = new Set([
  ...TOP_LEVEL_ATTRIBUTES, 'current_location', 'last_coordinates', 'image_url', 'bio', 'facebook', 'twitter',
  'date_of_first_session', 'date_of_last_session', 'email_open_tracking_disabled', 'email_click_tracking_disabled',
  'marked_email_as_spam_at', 'subscription_groups', 'push_token_import', 'external_id', 'braze_id', 'user_alias',
]);

export const isCustomAttribute = (name: string) => !STANDARD_ATTRIBUTES.has(name);

/** Attributes whose value (a non-empty string) is also an identity of the user. */
export const IDENTITY_ATTRIBUTES = ['email', 'phone'] as const;

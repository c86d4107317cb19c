// Campaign /campaigns/data_series response documents copied verbatim from /work/shared/seeds
// (000: braze_ex docs of the older generation, 001: current Braze docs). They use placeholders
// such as `(int)`; test/contract.test.ts turns them into sample values.

export const SEED_001_MULTICHANNEL = String.raw`{
"message": (required, string) the status of the export, returns 'success' when completed without errors,
"data" : [
{
"time": (string) the date as ISO 8601 date,
"conversions_by_send_time": (optional, int),
"conversions1_by_send_time": (optional, int),
"conversions2_by_send_time": (optional, int),
"conversions3_by_send_time": (optional, int),
"conversions": (optional, int),
"conversions1": (optional, int),
"conversions2": (optional, int),
"conversions3": (optional, int),
"unique_recipients": (int),
"revenue": (optional, float)
"messages" : {
"ios_push" : [
{
"variation_api_id": (string) the variation API identifier,
"sent" : (int) the number of sends,
"direct_opens" : (int) the number of direct opens,
"total_opens" : (int)the number of total opens,
"bounces" : (int) the number of bounces,
"body_clicks" : (int) the number of body clicks
}
],
"android_push" : [
{
"variation_api_id": (string) the variation API identifier,
"sent" : (int) the number of sends,
"direct_opens" : (int) the number of direct opens,
"total_opens" : (int)the number of total opens,
"bounces" : (int) the number of bounces,
"body_clicks" : (int) the number of body clicks
}
],
"webhook": [
{
"variation_api_id": (string) the variation API identifier,
"sent": (int) the number of sends,
"errors": (int) the number of errors
}
],
"email" : [
{
"variation_api_id": (string) the variation API identifier,
"sent": (int) the number of sends,
"opens": (int) the number of opens,
"unique_opens": (int) the number of unique opens,
"clicks": (int) the number of clicks,
"unique_clicks": (int) the number of unique clicks,
"unsubscribes": (int) the number of unsubscribes,
"bounces": (int) the number of bounces,
"delivered": (int) the number of messages delivered,
"reported_spam": (int) the number of messages reported as spam
}
],
"sms" : [
{
"variation_api_id": (string) the variation API identifier,
"sent": (int) the number of sends,
"sent_to_carrier" : (int) the number of messages sent to the carrier,
"delivered": (int) the number of delivered messages,
"rejected": (int) the number of rejected messages,
"delivery_failed": (int) the number of failed deliveries,
"clicks": (int) the number of clicks on shortened links,
"opt_out" : (int) the number of opt outs,
"help" : (int) the number of help messages received
}
],
"whats_app": [
{
"variation_api_id": (string) the variation API identifier,
"sent": (int) the number of sends,
"delivered": (int) the number of delivered messages,
"failed": (int) the number of failed deliveries,
"read": (int) the number of opened messages
},
],
"content_cards" : [
{
"variation_api_id": (string) the variation API identifier,
"sent": (int) the number of sends,
"total_clicks": (int) the number of total clicks,
"total_dismissals": (int) the number of total dismissals,
"total_impressions": (int) the number of total impressions,
"unique_clicks": (int) the number of unique clicks,
"unique_dismissals": (int) the number of unique dismissals,
"unique_impressions": (int) the number of unique impressions
}
],
...
}
}
],
}`;

export const SEED_001_MULTIVARIATE = String.raw`{
"data" : [
{
"time" : (string) the date as ISO 8601 date,
"conversions" : (int) the number of conversions,
"revenue": (float) the number of dollars of revenue (USD),
"conversions_by_send_time": (int) the number of conversions attributed to the date the campaign was sent,
"messages" : {
"trigger_in_app_message": [{
"variation_name": (optional, string) the variation name,
"impressions": (int) the number of impressions,
"clicks": (int) the number of clicks,
"first_button_clicks": (int) the number of first button clicks,
"second_button_clicks": (int) the number of second button clicks,
"revenue": (float) the number of dollars of revenue (USD),
"unique_recipients": (int) the number of unique recipients,
"conversions": (int) the number of conversions,
"conversions_by_send_time": (int) the number of conversions attributed to the date the campaign was sent,
"conversions1": (optional, int) the number of conversions for the second conversion event,
"conversions1_by_send_time": (optional, int) the number of conversions for the second conversion event attributed to the date the campaign was sent,
"conversions2": (optional, int) the number of conversions for the third conversion event,
"conversions2_by_send_time": (optional, int) the number of conversions for the third conversion event attributed to the date the campaign was sent,
"conversions3": (optional, int) the number of conversions for the fourth conversion event,
"conversions3_by_send_time": (optional, int) the number of conversions for the fourth conversion event attributed to the date the campaign was sent
}, {
"variation_name": (optional, string) the variation name,
"impressions": (int) the number of impressions,
"clicks": (int) the number of clicks,
"first_button_clicks": (int) the number of first button clicks,
"second_button_clicks": (int) the number of second button clicks,
"revenue": (float) the number of dollars of revenue (USD),
"unique_recipients": (int) the number of unique recipients,
"conversions": (int) the number of conversions,
"conversions_by_send_time": (int) the number of conversions attributed to the date the campaign was sent,
"conversions1": (optional, int) the number of conversions for the second conversion event,
"conversions1_by_send_time": (optional, int) the number of conversions for the second conversion event attributed to the date the campaign was sent,
"conversions2": (optional, int) the number of conversions for the third conversion event,
"conversions2_by_send_time": (optional, int) the number of conversions for the third conversion event attributed to the date the campaign was sent,
"conversions3": (optional, int) the number of conversions for the fourth conversion event,
"conversions3_by_send_time": (optional, int) the number of conversions for the fourth conversion event attributed to the date the campaign was sent
}, {
"variation_name": (optional, string) the variation name,
"revenue": (float) the number of dollars of revenue (USD),
"unique_recipients": (int) the number of unique recipients,
"conversions": (int) the number of conversions,
"conversions_by_send_time": (int) the number of conversions attributed to the date the campaign was sent,
"conversions1": (optional, int) the number of conversions for the second conversion event,
"conversions1_by_send_time": (optional, int) the number of conversions for the second conversion event attributed to the date the campaign was sent,
"conversions2": (optional, int) the number of conversions for the third conversion event,
"conversions2_by_send_time": (optional, int) the number of conversions for the third conversion event attributed to the date the campaign was sent,
"conversions3": (optional, int) the number of conversions for the fourth conversion event,
"conversions3_by_send_time": (optional, int) the number of conversions for the fourth conversion event attributed to the date the campaign was sent
"enrolled": (optional, int) the number of enrolled users
}]
},
"conversions_by_send_time": (optional, int),
"conversions1_by_send_time": (optional, int),
"conversions2_by_send_time": (optional, int),
"conversions3_by_send_time": (optional, int),
"conversions": (optional, int),
"conversions1": (optional, int),
"conversions2": (optional, int),
"conversions3": (optional, int),
"unique_recipients": (int),
"revenue": (optional, float)
}],
...
}`;

export const SEED_000_MULTICHANNEL = String.raw`{
"message": (required, string) the status of the export, returns 'success' when completed without errors,
"data" : [
{
"time" : (string) date as ISO 8601 date,
"messages" : {
"ios_push" : [
{
"variation_name": "iOS_Push",
"sent" : (int),
"direct_opens" : (int),
"total_opens" : (int),
"bounces" : (int),
"body_clicks" : (int)
"revenue": 0,
"unique_recipients": 1,
"conversions": 0,
"conversions_by_send_time": 0,
"conversions1": 0,
"conversions1_by_send_time": 0,
"conversions2": 0,
"conversions2_by_send_time": 0,
"conversions3": 0,
"conversions3_by_send_time": 0,
"carousel_slide_[NUM]_[TITLE]_click": (optional, int),
"notif_button_[NUM]_[TITLE]_click": (optional, int)
}
],
"android_push" : [
{
"sent" : (int),
"direct_opens" : (int),
"total_opens" : (int),
"bounces" : (int),
"body_clicks" : (int)
}
],
"webhook": [
{
"sent": (int),
"errors": (int)
}
],
"email" : [
{
"sent": (int),
"opens": (int),
"unique_opens": (int),
"clicks": (int),
"unique_clicks": (int),
"unsubscribes": (int),
"bounces": (int),
"delivered": (int),
"reported_spam": (int)
}
],
"sms" : [
{
"sent": (int),
"delivered": (int),
"undelivered": (int),
"delivery_failed": (int)
}
]
},
"conversions_by_send_time": (optional, int),
"conversions1_by_send_time": (optional, int),
"conversions2_by_send_time": (optional, int),
"conversions3_by_send_time": (optional, int),
"conversions": (int),
"conversions1": (optional, int),
"conversions2": (optional, int),
"conversions3": (optional, int),
"unique_recipients": (int),
"revenue": (optional, float)
},
...
],
...
}`;

export const SEED_000_MULTIVARIATE = String.raw`{
"data" : [
{
"time" : (string) date as ISO 8601 date,
"conversions" : (int),
"revenue": (float),
"conversions_by_send_time": (int),
"messages" : {
"trigger_in_app_message": [{
"variation_name": (optional, string),
"impressions": (int),
"clicks": (int),
"first_button_clicks": (int),
"second_button_clicks": (int),
"revenue": (optional, float),,
"unique_recipients": (int),
"conversions": (optional, int),
"conversions_by_send_time": (optional, int),
"conversions1": (optional, int),
"conversions1_by_send_time": (optional, int),
"conversions2": (optional, int),
"conversions2_by_send_time": (optional, int),
"conversions3": (optional, int),
"conversions3_by_send_time": (optional, int)
}, {
"variation_name": (optional, string),
"impressions": (int),
"clicks": (int),
"first_button_clicks": (int),
"second_button_clicks": (int),
"revenue": (optional, float),,
"unique_recipients": (int),
"conversions": (optional, int),
"conversions_by_send_time": (optional, int),
"conversions1": (optional, int),
"conversions1_by_send_time": (optional, int),
"conversions2": (optional, int),
"conversions2_by_send_time": (optional, int),
"conversions3": (optional, int).
"conversions3_by_send_time": (optional, int)
}, {
"variation_name": (optional, string),
"revenue": (optional, float),,
"unique_recipients": (int),
"conversions": (optional, int),
"conversions_by_send_time": (optional, int),
"conversions1": (optional, int),
"conversions1_by_send_time": (optional, int),
"conversions2": (optional, int),
"conversions2_by_send_time": (optional, int),
"conversions3": (optional, int),
"conversions3_by_send_time": (optional, int),
"enrolled": (optional, int)
}]
},
"conversions_by_send_time": (optional, int),
"conversions1_by_send_time": (optional, int),
"conversions2_by_send_time": (optional, int),
"conversions3_by_send_time": (optional, int),
"conversions": (optional, int,
"conversions1": (optional, int),
"conversions2": (optional, int),
"conversions3": (optional, int),
"unique_recipients": (int),
"revenue": (optional, float)
}],
...
}`;

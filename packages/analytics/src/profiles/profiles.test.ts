import { USER_EXPORT_FIELDS } from '@brazen/contract';
import { describe, expect, it } from 'vitest';
import type { AttributeEntry, StoredEvent } from '../records.ts';
import { doubleText, isoMillis, jsonString, nameBook, roundDouble, userExportText, type UserRecords } from './index.ts';

const T = Date.UTC(2024, 0, 1) / 1000;
const H = 3600;
const D = 86_400;

const CATEGORY: Record<string, StoredEvent['category']> = {
  'users.behaviors.app.SessionStart': 'session_start', 'users.behaviors.Uninstall': 'uninstall', 'users.behaviors.CustomEvent': 'custom_event',
  'users.behaviors.Purchase': 'purchase', 'users.behaviors.pushnotification.TokenStateChange': 'other', 'users.messages.email.Send': 'message',
  'users.messages.email.Open': 'message', 'users.campaigns.Conversion': 'campaign_conversion', 'users.campaigns.EnrollInControl': 'other',
  'users.canvas.Entry': 'canvas_entry', 'users.canvas.Exit.PerformedEvent': 'canvas_exit', 'users.messages.newsfeedcard.Click': 'feed_card',
};
let n = 0;
/** A stored event of u1 (ids in order of arrival), its payload holding `payload`. */
const ev = (eventType: string, time: number, fields: Partial<StoredEvent> = {}, payload: Record<string, unknown> = {}): StoredEvent => ({
  id: `e${++n}`, eventType, category: CATEGORY[eventType], time, user: 'u1', appId: null, name: null, campaignId: null, messageVariationId: null,
  canvasId: null, canvasVariationId: null, canvasStepId: null, sendId: null, cardId: null, platform: null, price: null, currency: null,
  quantity: null, revenue: null, deviceId: null, payload, ...fields,
});
const attr = (name: string, value: unknown, time: number, seq: number): AttributeEntry => ({ user: 'u1', name, value, time, seq });

const BOOK = nameBook({
  apps: [{ id: 'app-a', name: 'App A' }],
  campaigns: [{ id: 'c1', name: 'Campaign One', messages: { v1: { name: 'V One' } } }],
  canvases: [{ id: 'k1', name: 'Canvas K', variants: [{ id: 'kv1', name: 'Path A' }] }],
  cards: [{ id: 'cd1', name: 'Card 1' }],
});

const S = 'users.behaviors.app.SessionStart';
const TOKEN = 'users.behaviors.pushnotification.TokenStateChange';
const U1: UserRecords = {
  user: { brazeId: 'u1', createdAt: T + 10 * D },
  identities: [
    { kind: 'external_id', value: 'x2', user: 'u1' }, { kind: 'external_id', value: 'x1', user: 'u1' },
    { kind: 'alias', value: 'b\u001fl2', user: 'u1' }, { kind: 'alias', value: 'a\u001fl1', user: 'u1' },
    { kind: 'email', value: 'id@x.com', user: 'u1' }, { kind: 'phone', value: '+2', user: 'u1' },
  ],
  attributes: [
    attr('first_name', 'Ann', T + D, 1), attr('email', 'attr@x.com', T + D, 2), attr('country', null, T + D, 3), attr('plan', 'pro', T + D, 4),
    attr('a b', 1, T + D, 5), attr('a', true, T + D, 6), attr('visits', 3, T + D, 7), attr('visits', null, T + 2 * D, 8),
    attr('current_location', { latitude: 48.85, longitude: 2.35 }, T + D, 9),
  ],
  events: [
    ev(S, T + H, { appId: 'app-a', platform: 'ios' }, { device_id: 'd1', device_model: 'M1', ad_id: 'ID', ad_id_type: 'ios_idfa', ad_tracking_enabled: false }),
    ev(S, T + 2 * H, { appId: 'app-a' }, { device_id: 'd1', device_model: 'M2' }),
    ev(S, T + 3 * H, { platform: 'web' }, { device_id: 'd0', os_version: '1', ad_id: 'G', ad_id_type: 'google_ad_id', ad_tracking_enabled: 'true' }),
    ev('users.behaviors.Uninstall', T + 2 * H),
    ev('users.behaviors.CustomEvent', T + H, { name: 'Played' }),
    ev('users.behaviors.CustomEvent', T + 4 * H, { name: 'Played' }),
    ev('users.behaviors.CustomEvent', T + 2 * H, { name: 'Zed' }),
    ev('users.behaviors.Purchase', T + H, { name: 'gem', revenue: 1.25 }),
    ev('users.behaviors.Purchase', T + 5 * H, { name: 'gem', revenue: 2.5 }),
    ev('users.behaviors.Purchase', T + 6 * H, { name: 'coin', revenue: 0.125 }),
    ev(TOKEN, T + H, { appId: 'app-a', platform: 'ios' }, { push_token: 'tk1', push_token_state_change_type: 'add', push_token_device_id: 'd1' }),
    ev(TOKEN, T + H, {}, { push_token: 'tk2', push_token_state_change_type: 'add' }),
    ev(TOKEN, T + 2 * H, {}, { push_token: 'tk2', push_token_state_change_type: 'Remove' }),
    ev('users.messages.email.Send', T + 10 * H, { campaignId: 'c1', messageVariationId: 'v1' }),
    ev('users.messages.email.Open', T + 11 * H, { campaignId: 'c1', messageVariationId: 'v1' }),
    ev('users.campaigns.Conversion', T + 12 * H, { campaignId: 'c1' }),
    ev('users.campaigns.EnrollInControl', T + 9 * H, { campaignId: 'c2' }),
    ev('users.messages.email.Open', T + 9 * H, { campaignId: 'c3' }),
    ev('users.canvas.Entry', T + 20 * H, { canvasId: 'k1', canvasVariationId: 'kv1' }, { in_control_group: false }),
    ev('users.messages.email.Send', T + 21 * H, { canvasId: 'k1', canvasStepId: 'st1' }, { canvas_step_name: 'Step From Record' }),
    ev('users.canvas.Exit.PerformedEvent', T + 23 * H, { canvasId: 'k1' }),
    ev('users.messages.newsfeedcard.Click', T + H, { cardId: 'cd1' }),
    ev('users.messages.newsfeedcard.Click', T + 2 * H, { cardId: 'cd9' }),
    ev('users.messages.newsfeedcard.Click', T + 3 * H, { cardId: 'cd1' }),
  ],
};

describe('the user export object', () => {
  it('holds every field as worked out by hand, in the order of the fields, nothing without a value', () => {
    const text = userExportText(U1, BOOK, { fields: USER_EXPORT_FIELDS });
    expect(text).toBe([
      // The earliest of the profile's creation (T+10d), its records (T+1h) and its attributes (T+1d).
      '{"created_at":"2024-01-01T01:00:00.000Z"',
      // The least external id; aliases in the order of their text.
      '"external_id":"x1"',
      '"user_aliases":[{"alias_name":"a","alias_label":"l1"},{"alias_name":"b","alias_label":"l2"}]',
      // md5("u1") = e4774cdd…: 0xe4774cdd mod 10,000 = 3709.
      '"braze_id":"u1","random_bucket":3709',
      // The email attribute wins over the email identity; the phone only an identity; country unset (null).
      '"first_name":"Ann","email":"attr@x.com","phone":"+2"',
      '"last_coordinates":[2.35,48.85]',
      // 1.25 + 2.5 + 0.125 = 3.875: 387.5 rounds away from zero to 388.
      '"total_revenue":3.88',
      // No uninstalled_at: a session (T+3h) came after the uninstall (T+2h). Custom attributes in the
      // order of their text: `"a b"` before `"a"` (a space before a quote); visits unset.
      '"custom_attributes":{"a b":1,"a":true,"plan":"pro"}',
      '"custom_events":[{"name":"Played","first":"2024-01-01T01:00:00.000Z","last":"2024-01-01T04:00:00.000Z","count":2},{"name":"Zed","first":"2024-01-01T02:00:00.000Z","last":"2024-01-01T02:00:00.000Z","count":1}]',
      '"purchases":[{"name":"coin","first":"2024-01-01T06:00:00.000Z","last":"2024-01-01T06:00:00.000Z","count":1},{"name":"gem","first":"2024-01-01T01:00:00.000Z","last":"2024-01-01T05:00:00.000Z","count":2}]',
      // Each device as its latest session tells it: d1's at T+2h has a model and no ad id; d0's
      // string "true" is a tracking flag.
      '"devices":[{"model":"M2","device_id":"d1"},{"os":"1","device_id":"d0","google_ad_id":"G","ad_tracking_enabled":true}]',
      // tk2 was removed last.
      '"push_tokens":[{"app":"App A","platform":"ios","token":"tk1","device_id":"d1"}]',
      // app-a's platform from its latest session that tells one (T+1h); the session without an app.
      '"apps":[{"name":"App A","platform":"ios","sessions":2,"first_used":"2024-01-01T01:00:00.000Z","last_used":"2024-01-01T02:00:00.000Z"},{"platform":"web","sessions":1,"first_used":"2024-01-01T03:00:00.000Z","last_used":"2024-01-01T03:00:00.000Z"}]',
      // c2: in control, received nothing; c3: opened, never received (left out).
      '"campaigns_received":[{"api_campaign_id":"c2","in_control":true},{"name":"Campaign One","last_received":"2024-01-01T10:00:00.000Z","engaged":{"opened_email":true},"converted":true,"api_campaign_id":"c1","variation_name":"V One","variation_api_id":"v1","in_control":false}]',
      // The step is named by its record (the workspace does not define it).
      '"canvases_received":[{"name":"Canvas K","api_canvas_id":"k1","last_received_message":"2024-01-01T21:00:00.000Z","last_entered":"2024-01-01T20:00:00.000Z","variation_name":"Path A","last_exited":"2024-01-01T23:00:00.000Z","steps_received":[{"name":"Step From Record","api_canvas_step_id":"st1","last_received":"2024-01-01T21:00:00.000Z"}]}]',
      // A card without a name is named by its id; two clicks of one card are one entry.
      '"cards_clicked":[{"name":"Card 1"},{"name":"cd9"}]}',
    ].join(','));
  });

  it('gives the fields asked, in the order asked, each once, and only the custom attributes asked', () => {
    expect(userExportText(U1, BOOK, { fields: ['custom_attributes', 'braze_id', 'nothing', 'braze_id'], customAttributes: ['plan', 'visits'] }))
      .toBe('{"custom_attributes":{"plan":"pro"},"braze_id":"u1"}');
    expect(userExportText(U1, BOOK, { fields: [] })).toBe('{}');
  });

  it('says uninstalled_at only when the last uninstall is at or after the last session', () => {
    const user = (events: StoredEvent[]): UserRecords => ({ user: { brazeId: 'u9', createdAt: T }, identities: [], attributes: [], events });
    const uninstalled = (events: StoredEvent[]) => userExportText(user(events), BOOK, { fields: ['uninstalled_at'] });
    // Uninstalled at T+2h, never back.
    expect(uninstalled([ev(S, T + H), ev('users.behaviors.Uninstall', T + 2 * H)])).toBe('{"uninstalled_at":"2024-01-01T02:00:00.000Z"}');
    // Back at T+3h: installed again.
    expect(uninstalled([ev(S, T + H), ev('users.behaviors.Uninstall', T + 2 * H), ev(S, T + 3 * H)])).toBe('{}');
    // The same second: still uninstalled.
    expect(uninstalled([ev(S, T + H), ev('users.behaviors.Uninstall', T + H)])).toBe('{"uninstalled_at":"2024-01-01T01:00:00.000Z"}');
    // No session at all.
    expect(uninstalled([ev('users.behaviors.Uninstall', T + 5)])).toBe('{"uninstalled_at":"2024-01-01T00:00:05.000Z"}');
  });
});

describe('the text of an export', () => {
  it('escapes strings as SQL engines do: control characters in upper-case hex, a lone surrogate replaced', () => {
    expect(jsonString('a"b\\c\n\t\u0001\u001f é☕')).toBe('"a\\"b\\\\c\\n\\t\\u0001\\u001F é☕"');
    expect(jsonString('x\ud800y')).toBe('"x\ufffdy"');
  });

  it('writes doubles in their shortest form, fixed from 1e-4 up to 1e16, with at least one decimal', () => {
    const cases: Array<[number, string]> = [
      [3, '3.0'], [12.5, '12.5'], [0.0001, '0.0001'], [0.00001, '1e-05'], [1e15, '1000000000000000.0'], [1e16, '1e+16'],
      [123456789012345678, '1.2345678901234568e+17'], [1e21, '1e+21'], [-0, '-0.0'], [0, '0.0'], [-2.68, '-2.68'], [5e-324, '5e-324'], [NaN, 'nan'],
    ];
    expect(cases.map(([x]) => doubleText(x))).toEqual(cases.map(([, t]) => t));
  });

  it('rounds half away from zero on the double × 100', () => {
    // 2.675 × 100 = 267.5 exactly (as doubles): 268. 1.005 × 100 = 100.49999999999999: 100.
    expect([roundDouble(2.675, 2), roundDouble(-2.675, 2), roundDouble(1.005, 2), roundDouble(-0.001, 2)]).toEqual([2.68, -2.68, 1, -0]);
  });

  it('writes instants with milliseconds, rounded to the microsecond half to even, then cut', () => {
    // 1704067200.0005 s = …200000500 µs: .000. 1704067200.9999995 s ≈ …200999999.5 µs: to even, …201000000: 01.000.
    expect([isoMillis(T + 0.0005), isoMillis(1_704_067_200.9999995), isoMillis(T + 0.0015)])
      .toEqual(['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:01.000Z', '2024-01-01T00:00:00.001Z']);
  });
});

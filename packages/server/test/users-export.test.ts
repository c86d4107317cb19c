import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, currents, ndjson, startHarness, type Harness } from './harness.ts';

const NDJSON = { 'content-type': 'application/x-ndjson' };

/** One user with something of every kind the export object shows, and one with almost nothing. */
const RECORDS = [
  currents('users.behaviors.app.SessionStart', 'b1', at('2024-03-01T10:00:00'),
    { external_user_id: 'u1', app_id: 'a1', platform: 'ios', device_id: 'd1', device_model: 'iPhone 15', os_version: '17.1' }),
  currents('users.behaviors.app.SessionStart', 'b1', at('2024-03-02T10:00:00'),
    { external_user_id: 'u1', app_id: 'a1', platform: 'ios', device_id: 'd1', device_model: 'iPhone 15', os_version: '17.2' }),
  currents('users.behaviors.CustomEvent', 'b1', at('2024-03-01T11:00:00'), { name: 'Played', app_id: 'a1' }),
  currents('users.behaviors.CustomEvent', 'b1', at('2024-03-02T11:00:00'), { name: 'Played', app_id: 'a1' }),
  currents('users.behaviors.Purchase', 'b1', at('2024-03-02T12:00:00'), { product_id: 'Product A', price: 7.5, currency: 'USD' }),
  currents('users.behaviors.Purchase', 'b1', at('2024-03-03T12:00:00'), { product_id: 'Product A', price: 2.5, currency: 'USD' }),
  currents('users.messages.email.Send', 'b1', at('2024-03-04T09:00:00'), { campaign_id: 'c1', message_variation_id: 'v1', email_address: 'ann@example.com' }),
  currents('users.messages.email.Open', 'b1', at('2024-03-04T10:00:00'), { campaign_id: 'c1', message_variation_id: 'v1', email_address: 'ann@example.com' }),
  currents('users.campaigns.Conversion', 'b1', at('2024-03-04T11:00:00'), { campaign_id: 'c1', message_variation_id: 'v1', conversion_behavior_index: 0 }),
  currents('users.canvas.Entry', 'b1', at('2024-03-05T09:00:00'), { canvas_id: 'cv1', canvas_variation_id: 'cvv1', in_control_group: false }),
  currents('users.messages.pushnotification.Send', 'b1', at('2024-03-05T09:05:00'),
    { canvas_id: 'cv1', canvas_variation_id: 'cvv1', canvas_step_id: 'st1', platform: 'ios', app_id: 'a1' }),
  currents('users.messages.newsfeedcard.Click', 'b1', at('2024-03-06T09:00:00'), { card_id: 'k1', app_id: 'a1' }),
  currents('users.behaviors.pushnotification.TokenStateChange', 'b1', at('2024-03-01T10:00:01'),
    { app_id: 'a1', platform: 'ios', push_token: 'tok1', push_token_device_id: 'd1', push_token_state_change_type: 'add' }),
  currents('users.behaviors.pushnotification.TokenStateChange', 'b1', at('2024-03-01T10:00:02'),
    { app_id: 'a1', platform: 'ios', push_token: 'tok0', push_token_device_id: 'd0', push_token_state_change_type: 'add' }),
  currents('users.behaviors.pushnotification.TokenStateChange', 'b1', at('2024-03-02T10:00:02'),
    { app_id: 'a1', platform: 'ios', push_token: 'tok0', push_token_device_id: 'd0', push_token_state_change_type: 'remove' }),
  currents('users.behaviors.app.SessionStart', 'b2', at('2024-03-10T10:00:00'), { external_user_id: 'u2' }),
];

const ANN = {
  created_at: '2024-03-01T10:00:00.000Z',
  external_id: 'u1',
  user_aliases: [{ alias_name: 'ann', alias_label: 'crm' }],
  braze_id: 'b1',
  random_bucket: 6053, // md5("b1") starts edbab455; 0xedbab455 mod 10000 = 6053
  first_name: 'Ann',
  email: 'ann@example.com',
  country: 'US',
  phone: '+15550001111',
  gender: 'F',
  last_coordinates: [-74, 40.5],
  total_revenue: 10,
  custom_attributes: { age: 30, tags: ['vip'] },
  custom_events: [{ name: 'Played', first: '2024-03-01T11:00:00.000Z', last: '2024-03-02T11:00:00.000Z', count: 2 }],
  purchases: [{ name: 'Product A', first: '2024-03-02T12:00:00.000Z', last: '2024-03-03T12:00:00.000Z', count: 2 }],
  devices: [{ model: 'iPhone 15', os: '17.2', device_id: 'd1' }],
  push_tokens: [{ app: 'Cinema', platform: 'ios', token: 'tok1', device_id: 'd1' }],
  apps: [{ name: 'Cinema', platform: 'ios', sessions: 2, first_used: '2024-03-01T10:00:00.000Z', last_used: '2024-03-02T10:00:00.000Z' }],
  campaigns_received: [{
    name: 'Spring Sale',
    last_received: '2024-03-04T09:00:00.000Z',
    engaged: { opened_email: true },
    converted: true,
    api_campaign_id: 'c1',
    variation_name: 'Variant A',
    variation_api_id: 'v1',
    in_control: false,
  }],
  canvases_received: [{
    name: 'Welcome',
    api_canvas_id: 'cv1',
    last_received_message: '2024-03-05T09:05:00.000Z',
    last_entered: '2024-03-05T09:00:00.000Z',
    variation_name: 'Path 1',
    steps_received: [{ name: 'Step 1', api_canvas_step_id: 'st1', last_received: '2024-03-05T09:05:00.000Z' }],
  }],
  cards_clicked: [{ name: 'Promo card' }],
};

describe('POST /users/export/ids', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: Date.UTC(2024, 2, 31, 12) });
    const put = await h.put('/admin/workspace', {
      apps: [{ id: 'a1', name: 'Cinema', platform: 'iOS' }],
      campaigns: [{ id: 'c1', name: 'Spring Sale', messages: { v1: { channel: 'email', name: 'Variant A' } } }],
      canvases: [{ id: 'cv1', name: 'Welcome', variants: [{ id: 'cvv1', name: 'Path 1', first_step_ids: ['st1'] }], steps: [{ id: 'st1', name: 'Step 1', next_step_ids: [], channels: ['ios_push'] }] }],
      cards: [{ id: 'k1', name: 'Promo card' }],
    });
    expect(put.statusCode, put.body).toBe(200);
    expect((await h.post('/currents', ndjson(RECORDS), NDJSON)).statusCode).toBe(201);
    const track = await h.post('/users/track', {
      attributes: [{
        external_id: 'u1', user_alias: { alias_name: 'ann', alias_label: 'crm' }, first_name: 'Ann', email: 'ann@example.com',
        phone: '+15550001111', country: 'US', gender: 'F', current_location: { latitude: 40.5, longitude: -74 }, age: 30, tags: ['vip'],
        nickname: null,
      }],
    });
    expect(track.statusCode, track.body).toBe(201);
  });
  afterAll(() => h.close());

  const exportIds = (body: object) => h.post('/users/export/ids', body);

  it('exports a full profile by external id and lists the ids that name nobody', async () => {
    const res = await exportIds({ external_ids: ['u1', 'nobody'] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ message: 'success', users: [ANN], invalid_user_ids: ['nobody'] });
  });

  it('finds the same user by alias, braze_id, email, phone and device id', async () => {
    for (const body of [
      { user_aliases: [{ alias_name: 'ann', alias_label: 'crm' }] },
      { braze_id: 'b1' }, { email_address: 'ann@example.com' }, { phone: '+15550001111' }, { device_id: 'd1' },
    ]) {
      const res = await exportIds({ ...body, fields_to_export: ['external_id'] });
      expect(res.json(), JSON.stringify(body)).toEqual({ message: 'success', users: [{ external_id: 'u1' }] });
    }
  });

  it('gives the least data possible and only the fields asked for', async () => {
    const res = await exportIds({ external_ids: ['u2', 'u1'], fields_to_export: ['external_id', 'email', 'custom_attributes', 'purchases'] });
    expect(res.json().users).toEqual([
      { external_id: 'u2' },
      { external_id: 'u1', email: 'ann@example.com', custom_attributes: { age: 30, tags: ['vip'] }, purchases: ANN.purchases },
    ]);
  });

  it('answers 400 naming the parameter for more than 50 ids (Braze today; 75 with --compat legacy), two kinds at once, none, or an unknown field', async () => {
    const many = await exportIds({ external_ids: Array.from({ length: 51 }, (_, i) => `x${i}`) });
    expect(many.statusCode).toBe(400);
    expect(many.json().message).toBe('external_ids must be an array of at most 50 items');
    const two = await exportIds({ external_ids: ['u1'], braze_id: 'b1' });
    expect(two.statusCode).toBe(400);
    expect(two.json().message).toBe('external_ids and braze_id cannot be combined: give one kind of identifier per request');
    const none = await exportIds({ fields_to_export: ['email'] });
    expect(none.statusCode).toBe(400);
    expect(none.json().message).toBe('one of external_ids, user_aliases, device_id, email_address, braze_id, phone is required');
    const field = await exportIds({ external_ids: ['u1'], fields_to_export: ['email', 'shoe_size'] });
    expect(field.statusCode).toBe(400);
    expect(field.json().message).toMatch(/^fields_to_export has unknown field "shoe_size" \(known: created_at, external_id,/);
  });
});

import { expect } from 'vitest';
import { USER_EXPORT_FIELDS } from '@brazen/contract';
import type { AnalyticsData } from '@brazen/store';
import type { ConcernSuite } from './index.ts';
import { at, everyone, H, ingest, iso, profileOf, purchase, record, session, T0, usersNamed, workspaceDoc } from './support.ts';

const tA = at('2024-02-01T09:00:00Z'); // rb1's attributes
const t1 = at('2024-02-01T10:00:00Z');
const t2 = at('2024-02-05T10:00:00Z');
const t3 = at('2024-02-03T10:00:00Z');
const t4 = at('2024-02-02T10:00:00Z');
const t5 = at('2024-02-04T10:00:00Z');
const t6 = at('2024-02-06T10:00:00Z');

const WORKSPACE = workspaceDoc({
  apps: [{ id: 'app-a', name: 'App A' }, { id: 'app-b', name: 'App B' }],
  campaigns: [
    { id: 'cx', name: 'Campaign X', messages: { vx: { channel: 'email', name: 'Variant X' } } },
    { id: 'cz', name: 'Campaign Z', messages: {} },
  ],
  canvases: [{ id: 'ky', name: 'Canvas Y', variants: [{ id: 'kyv', name: 'Variant Y' }], steps: [{ id: 'ks1', name: 'Step 1' }] }],
  cards: [{ id: 'card-1', name: 'Welcome' }],
});

/** rb1 (external id rx1) has a value for every field; pb2 and pb3 have a session and an uninstall. */
async function loadUsers(data: AnalyticsData): Promise<void> {
  const iphone = { device_id: 'dev-1', carrier: 'Verizon', ad_id: 'idfa-1', ad_id_type: 'ios_idfa', ad_tracking_enabled: true, platform: 'ios' };
  const token = (id: string, time: number, push_token: string, change: string) => record(id, 'users.behaviors.pushnotification.TokenStateChange', 'rb1', time, {
    app_id: 'app-a', platform: 'ios', push_token, push_token_state_change_type: change, push_token_device_id: 'dev-1',
  });
  await ingest(data, [
    session('s1', 'rb1', t1, 'app-a', { external_user_id: 'rx1', ...iphone, device_model: 'iPhone15,2', os_version: 'iOS 17.1' }),
    session('s2', 'rb1', t2, 'app-a', { ...iphone, device_model: 'iPhone16,1', os_version: 'iOS 17.2' }),
    session('s3', 'rb1', t3, 'app-b', {
      platform: 'android', device_id: 'dev-2', device_model: 'Pixel 8', os_version: 'Android 14', ad_id: 'gaid-1', ad_id_type: 'google_ad_id', ad_tracking_enabled: false,
    }),
    record('e1', 'users.behaviors.CustomEvent', 'rb1', t4, { name: 'Played' }),
    record('e2', 'users.behaviors.CustomEvent', 'rb1', t5, { name: 'Played' }),
    record('e3', 'users.behaviors.CustomEvent', 'rb1', t4, { name: 'Zoomed' }),
    purchase('p1', 'rb1', t4, 'gem', 2, { quantity: 3 }),
    record('u1', 'users.behaviors.Uninstall', 'rb1', t6, { app_id: 'app-a' }),
    token('k1', t1, 'tok-1', 'add'),
    token('k2', t1, 'tok-2', 'add'),
    token('k3', t2, 'tok-2', 'remove'),
    record('m1', 'users.messages.email.Send', 'rb1', t1 + H, { campaign_id: 'cx', message_variation_id: 'vx' }),
    record('m2', 'users.messages.email.Open', 'rb1', t1 + 2 * H, { campaign_id: 'cx', message_variation_id: 'vx' }),
    record('m3', 'users.campaigns.Conversion', 'rb1', t1 + 3 * H, { campaign_id: 'cx' }),
    record('m4', 'users.campaigns.EnrollInControl', 'rb1', t1, { campaign_id: 'cz', message_variation_id: 'vz' }),
    record('m5', 'users.messages.inappmessage.Impression', 'rb1', t1, { campaign_id: 'cy', campaign_name: 'From events Y' }),
    record('m6', 'users.messages.inappmessage.Click', 'rb1', t1 + 60, { campaign_id: 'cy', campaign_name: 'From events Y' }),
    record('c1', 'users.canvas.Entry', 'rb1', t1, { canvas_id: 'ky', canvas_variation_id: 'kyv', in_control_group: false }),
    record('c2', 'users.messages.pushnotification.Send', 'rb1', t1 + H, { canvas_id: 'ky', canvas_variation_id: 'kyv', canvas_step_id: 'ks1', platform: 'ios' }),
    record('c3', 'users.canvas.exit.PerformedEvent', 'rb1', t2, { canvas_id: 'ky' }),
    record('f1', 'users.messages.newsfeedcard.Click', 'rb1', t2, { card_id: 'card-1' }),
    record('f2', 'users.messages.newsfeedcard.Click', 'rb1', t2, { card_id: 'card-9' }),
    // pb2 uninstalled before its last session; pb3 at the same second as its session.
    record('u2', 'users.behaviors.Uninstall', 'pb2', t1),
    session('s4', 'pb2', t2, 'app-a'),
    session('s5', 'pb3', t2, 'app-b'),
    record('u3', 'users.behaviors.Uninstall', 'pb3', t2),
  ]);
  await data.track({
    attributes: [{
      user: { external_id: 'rx1', alias: { alias_name: 'ann', alias_label: 'crm' } },
      time: tA,
      values: {
        first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com', dob: '1990-05-17', home_city: 'Paris', country: 'FR', phone: '+33123',
        language: 'fr', time_zone: 'Europe/Paris', gender: 'F', attributed_campaign: 'acq', attributed_source: 'src', attributed_adgroup: 'grp',
        attributed_ad: 'ad', push_subscribe: 'opted_in', push_opted_in_at: '2024-02-01T09:00:00.000Z', email_subscribe: 'subscribed',
        current_location: { latitude: 48.85, longitude: 2.35 }, plan: 'grün ☕', score: 12.5, flags: [true, 'x'], nested: { a: { b: 1 } },
      },
    }],
    events: [],
    purchases: [{
      id: 'p2', eventType: 'users.behaviors.Purchase', time: t4, user: { braze_id: 'rb1' }, name: 'coin', price: 0.333, currency: 'USD', quantity: 1, payload: {},
    }],
  });
}

/** rb1's export object, field by field in the order of USER_EXPORT_FIELDS; lists in the order of their items' text. */
const RICH = {
  created_at: iso(tA), // the earliest of its attributes (tA) and events (t1)
  external_id: 'rx1',
  user_aliases: [{ alias_name: 'ann', alias_label: 'crm' }],
  braze_id: 'rb1',
  random_bucket: 1470, // md5("rb1") = 9455a7be...: 0x9455a7be mod 10000
  first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com', dob: '1990-05-17', home_city: 'Paris', country: 'FR', phone: '+33123',
  language: 'fr', time_zone: 'Europe/Paris',
  last_coordinates: [2.35, 48.85], // [longitude, latitude] of current_location
  gender: 'F',
  total_revenue: 6.33, // 2 × 3 + 0.333, to the cent
  attributed_campaign: 'acq', attributed_source: 'src', attributed_adgroup: 'grp', attributed_ad: 'ad',
  push_subscribe: 'opted_in', push_opted_in_at: '2024-02-01T09:00:00.000Z', email_subscribe: 'subscribed',
  uninstalled_at: iso(t6), // after the last session (t2)
  custom_attributes: { flags: [true, 'x'], nested: { a: { b: 1 } }, plan: 'grün ☕', score: 12.5 },
  custom_events: [{ name: 'Played', first: iso(t4), last: iso(t5), count: 2 }, { name: 'Zoomed', first: iso(t4), last: iso(t4), count: 1 }],
  purchases: [{ name: 'coin', first: iso(t4), last: iso(t4), count: 1 }, { name: 'gem', first: iso(t4), last: iso(t4), count: 1 }],
  // Per device, from its latest session; "Pixel 8" sorts before "iPhone16,1".
  devices: [
    { model: 'Pixel 8', os: 'Android 14', device_id: 'dev-2', google_ad_id: 'gaid-1', ad_tracking_enabled: false },
    { model: 'iPhone16,1', os: 'iOS 17.2', carrier: 'Verizon', device_id: 'dev-1', idfa: 'idfa-1', ad_tracking_enabled: true },
  ],
  push_tokens: [{ app: 'App A', platform: 'ios', token: 'tok-1', device_id: 'dev-1' }], // tok-2 was removed
  apps: [
    { name: 'App A', platform: 'ios', sessions: 2, first_used: iso(t1), last_used: iso(t2) },
    { name: 'App B', platform: 'android', sessions: 1, first_used: iso(t3), last_used: iso(t3) },
  ],
  campaigns_received: [
    {
      name: 'Campaign X', last_received: iso(t1 + H), engaged: { opened_email: true }, converted: true,
      api_campaign_id: 'cx', variation_name: 'Variant X', variation_api_id: 'vx', in_control: false,
    },
    // A control enrolment is no receipt, but the campaign is listed.
    { name: 'Campaign Z', api_campaign_id: 'cz', variation_api_id: 'vz', in_control: true },
    // Named by its events; an in-app impression is its receipt.
    {
      name: 'From events Y', last_received: iso(t1), engaged: { clicked_in_app_message: true, clicked_triggered_in_app_message: true }, api_campaign_id: 'cy',
    },
  ],
  canvases_received: [{
    name: 'Canvas Y', api_canvas_id: 'ky', last_received_message: iso(t1 + H), last_entered: iso(t1), variation_name: 'Variant Y', last_exited: iso(t2),
    steps_received: [{ name: 'Step 1', api_canvas_step_id: 'ks1', last_received: iso(t1 + H) }],
  }],
  cards_clicked: [{ name: 'Welcome' }, { name: 'card-9' }],
};

/** Users and their export objects (SPEC §6): identities, attribute folding, every field. */
export const profilesContract: ConcernSuite = (it) => {
  it('exports every field of a user as worked out by hand, byte for byte, and leaves out what has no value', async ({ data, catalog }) => {
    await catalog.putWorkspace(WORKSPACE);
    await loadUsers(data);
    const lines = await data.userProfiles(['rb1', 'pb2', 'pb3'], { fields: USER_EXPORT_FIELDS });
    expect(Object.keys(RICH)).toEqual([...USER_EXPORT_FIELDS]);
    expect(lines[0]).toBe(JSON.stringify(RICH));
    // pb2 uninstalled at t1, before its session at t2: no uninstalled_at. pb3 at the second of its session.
    expect(lines[1]).toBe(JSON.stringify({
      created_at: iso(t1), braze_id: 'pb2', random_bucket: 9608, // md5 c8d40ad8...
      apps: [{ name: 'App A', sessions: 1, first_used: iso(t2), last_used: iso(t2) }],
    }));
    expect(lines[2]).toBe(JSON.stringify({
      created_at: iso(t2), braze_id: 'pb3', random_bucket: 6087, // md5 6b418557...
      uninstalled_at: iso(t2), apps: [{ name: 'App B', sessions: 1, first_used: iso(t2), last_used: iso(t2) }],
    }));
  });

  it('puts the fields in the order asked, each user as often as asked, and only the custom attributes asked', async ({ data, catalog }) => {
    await catalog.putWorkspace(WORKSPACE);
    await loadUsers(data);
    expect(await data.userProfiles(['rb1', 'pb2', 'rb1'], { fields: ['email', 'braze_id', 'custom_attributes'], customAttributes: ['score', 'missing'] })).toEqual([
      '{"email":"ann@example.com","braze_id":"rb1","custom_attributes":{"score":12.5}}',
      '{"braze_id":"pb2"}',
      '{"email":"ann@example.com","braze_id":"rb1","custom_attributes":{"score":12.5}}',
    ]);
    expect(await data.userProfiles(['rb1'], { fields: ['custom_attributes'], customAttributes: ['missing'] })).toEqual(['{}']);
    expect(await data.userProfiles(['pb2'], { fields: [] })).toEqual(['{}']);
    expect(await data.userProfiles([], { fields: ['braze_id'] })).toEqual([]);
    await expect(data.userProfiles(['nobody'], { fields: ['braze_id'] })).rejects.toThrow();
  });

  it('keeps users by every identity and folds attribute updates', async ({ data }) => {
    const user = { external_id: 'ext-1' };
    await data.track({
      attributes: [{ user, time: T0, values: { first_name: 'Ann', email: 'ann@example.com' }, increments: { visits: 2 } }],
      events: [],
      purchases: [],
    });
    await data.track({
      attributes: [
        { user: { email: 'ann@example.com' }, time: T0 + 10, values: { first_name: 'Anna' }, increments: { visits: 3 }, arrayEdits: { tags: { add: ['a', 'b'] } } },
        { user: { alias: { alias_name: 'nobody', alias_label: 'crm' } }, time: T0, values: { first_name: 'X' }, updateExistingOnly: true },
      ],
      events: [{ id: 'ev-1', eventType: 'users.behaviors.CustomEvent', time: T0 + 20, user: { external_id: 'ext-1' }, name: 'Opened', payload: { name: 'Opened' } }],
      purchases: [],
    });
    await data.track({
      attributes: [{ user, time: T0 + 30, values: {}, arrayEdits: { tags: { remove: ['a'], add: ['c'] } } }],
      events: [],
      purchases: [],
    });
    // visits 2 + 3; tags [a, b] less a plus c; a set of null unsets.
    expect(await profileOf(data, 'external_id', 'ext-1', ['first_name', 'email', 'custom_attributes'])).toEqual({
      first_name: 'Anna', email: 'ann@example.com', custom_attributes: { tags: ['b', 'c'], visits: 5 },
    });
    await data.track({ attributes: [{ user, time: T0 + 40, values: { first_name: null } }], events: [], purchases: [] });
    expect(await profileOf(data, 'external_id', 'ext-1', ['first_name'])).toEqual({});
    expect(await profileOf(data, 'alias', 'nobody\u001fcrm', ['first_name'])).toBeUndefined();
    const when = iso(T0 + 20);
    expect(await profileOf(data, 'email', 'ann@example.com', ['custom_events'])).toEqual({ custom_events: [{ name: 'Opened', first: when, last: when, count: 1 }] });
  });

  it('increments and edits the value an earlier object set, in the same batch or an earlier one', async ({ data }) => {
    const objects = (external_id: string) => [
      { user: { external_id }, time: T0, values: { level: 3, tags: ['a'] } },
      { user: { external_id }, time: T0 + 1, values: {}, increments: { level: 1 }, arrayEdits: { tags: { add: ['b'] } } },
      { user: { external_id }, time: T0 + 2, values: {}, increments: { level: 2 }, arrayEdits: { tags: { remove: ['a'] } } },
    ];
    // 3 + 1 + 2; [a] + b − a.
    await data.track({ attributes: objects('one'), events: [], purchases: [] });
    for (const o of objects('apart')) await data.track({ attributes: [o], events: [], purchases: [] });
    for (const x of ['one', 'apart']) expect(await profileOf(data, 'external_id', x, ['custom_attributes'])).toEqual({ custom_attributes: { level: 6, tags: ['b'] } });
  });

  it('links a Currents user_id and external_user_id to the same user', async ({ data }) => {
    await data.track({ attributes: [{ user: { external_id: 'E' }, time: T0, values: { country: 'FR' } }], events: [], purchases: [] });
    await ingest(data, [{ ...session('s1', 'B', T0 + H), external_user_id: 'E' }, session('s2', 'B', T0 + 2 * H)]);
    const linked = await profileOf(data, 'braze_id', 'B', ['external_id', 'braze_id', 'country', 'apps']);
    expect(linked).toMatchObject({ external_id: 'E', country: 'FR', apps: [{ sessions: 2 }] });
    // One user, known by both ids: the one it was made with is its braze_id.
    expect(linked!.braze_id).not.toBe('B');
    expect(await everyone(data)).toEqual([linked!.braze_id]);
    expect(await profileOf(data, 'external_id', 'E', ['braze_id'])).toEqual({ braze_id: linked!.braze_id });
  });

  it('finds users by external id, alias, braze_id, email, phone and device id; an email may name several, oldest first', async ({ data }) => {
    await ingest(data, [session('s1', 'b1', T0, 'app-a', { external_user_id: 'x1', device_id: 'dev-1' })]);
    await data.track({
      attributes: [
        { user: { external_id: 'x1', alias: { alias_name: 'a1', alias_label: 'crm' } }, time: T0, values: { email: 'shared@example.com', phone: '+100' } },
        { user: { external_id: 'x2' }, time: T0 + 1, values: { email: 'shared@example.com' } },
      ],
      events: [],
      purchases: [],
    });
    const [b2] = await usersNamed(data, 'external_id', 'x2');
    const found = await data.findUsers('email', ['shared@example.com', 'nobody@example.com']);
    expect([...found]).toEqual([['shared@example.com', ['b1', b2]]]);
    expect(await usersNamed(data, 'alias', 'a1\u001fcrm')).toEqual(['b1']);
    expect(await usersNamed(data, 'braze_id', 'b1')).toEqual(['b1']);
    expect(await usersNamed(data, 'braze_id', b2)).toEqual([b2]);
    expect(await usersNamed(data, 'phone', '+100')).toEqual(['b1']);
    expect(await usersNamed(data, 'device_id', 'dev-1')).toEqual(['b1']);
    expect(await usersNamed(data, 'external_id', 'x3')).toEqual([]);
    expect(await data.findUsers('external_id', [])).toEqual(new Map());
    // A write naming a shared email goes to the user made last.
    await data.track({ attributes: [{ user: { email: 'shared@example.com' }, time: T0 + 2, values: { first_name: 'Last' } }], events: [], purchases: [] });
    expect(await data.userProfiles(['b1', b2], { fields: ['first_name'] })).toEqual(['{}', '{"first_name":"Last"}']);
  });

  it('names a user by an email or phone an earlier object gave it, in the same batch or an earlier one', async ({ data }) => {
    const objects = [
      { user: { external_id: 'a' }, time: T0, values: { email: 'x@example.com', phone: '+100' } },
      { user: { email: 'x@example.com' }, time: T0 + 1, values: { first_name: 'B' } },
      { user: { phone: '+100' }, time: T0 + 2, values: { last_name: 'C' } },
    ];
    // One batch, then the same objects for another user one batch each: the same user every time.
    await data.track({ attributes: objects, events: [], purchases: [] });
    const again = (o: (typeof objects)[number]) => ({
      ...o, user: 'external_id' in o.user ? { external_id: 'b' } : 'email' in o.user ? { email: 'y@example.com' } : { phone: '+200' },
      values: { ...o.values, ...('email' in o.values ? { email: 'y@example.com', phone: '+200' } : {}) },
    });
    for (const o of objects) await data.track({ attributes: [again(o)], events: [], purchases: [] });
    for (const [external, email, phone] of [['a', 'x@example.com', '+100'], ['b', 'y@example.com', '+200']]) {
      const [id] = await usersNamed(data, 'external_id', external);
      expect(await usersNamed(data, 'email', email)).toEqual([id]);
      expect(await usersNamed(data, 'phone', phone)).toEqual([id]);
      expect(await profileOf(data, 'external_id', external, ['external_id', 'first_name', 'last_name'])).toEqual({ external_id: external, first_name: 'B', last_name: 'C' });
    }
  });

  it('names a campaign, variation and Canvas step the workspace does not define from the events', async ({ data, catalog }) => {
    await ingest(data, [
      // Records of a campaign that carry no name (a conversion) do not take its name away.
      record('x0', 'users.campaigns.Conversion', 'n1', T0 - 1, { campaign_id: 'cx' }),
      record('x4', 'users.messages.email.Send', 'n2', T0, { campaign_id: 'cz', campaign_name: 'Z from events', email_address: 'n2@example.com' }),
      record('x1', 'users.messages.email.Send', 'n1', T0, {
        campaign_id: 'cx', campaign_name: 'From events', message_variation_id: 'vx', message_variation_name: 'Variant X', email_address: 'n1@example.com',
      }),
      record('x2', 'users.messages.pushnotification.Send', 'n1', T0 + H, {
        canvas_id: 'kx', canvas_name: 'Journey', canvas_variation_id: 'kvx', canvas_step_id: 'sx', canvas_step_name: 'Step X', platform: 'ios',
      }),
      record('x3', 'users.messages.email.Send', 'n2', T0, { campaign_id: 'cy', campaign_name: 'Old name', message_variation_id: 'vy', email_address: 'n2@example.com' }),
    ]);
    // cz is defined without a name: the events name it.
    await catalog.putWorkspace(workspaceDoc({ campaigns: [{ id: 'cy', name: 'Defined', messages: { vy: { name: 'Defined variant' } } }, { id: 'cz', messages: {} }] }));
    const fields = ['campaigns_received', 'canvases_received'];
    const [n1, n2] = (await data.userProfiles(['n1', 'n2'], { fields })).map((l) => JSON.parse(l) as Record<string, Array<Record<string, unknown>>>);
    expect(n1.campaigns_received[0]).toMatchObject({ name: 'From events', api_campaign_id: 'cx', variation_name: 'Variant X' });
    expect(n1.canvases_received[0]).toMatchObject({ name: 'Journey', steps_received: [{ name: 'Step X', api_canvas_step_id: 'sx', last_received: iso(T0 + H) }] });
    // The workspace's names come first.
    expect(n2.campaigns_received.map((c) => [c.api_campaign_id, c.name, c.variation_name])).toEqual([['cy', 'Defined', 'Defined variant'], ['cz', 'Z from events', undefined]]);
  });
};

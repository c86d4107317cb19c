import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import { Ajv } from 'ajv';
import fastJson from 'fast-json-stringify';
import {
  CURRENTS_EVENT_TYPES, currentsEventType,
  ALL_PERMISSIONS,
  CampaignsDataSeriesResponse,
  endpoints,
  USER_EXPORT_FIELDS,
  UserExport,
  type Endpoint,
} from '../src/index.ts';
import { SEED_000_MULTICHANNEL, SEED_000_MULTIVARIATE, SEED_001_MULTICHANNEL, SEED_001_MULTIVARIATE } from './seed-samples.ts';

const all: [string, Endpoint][] = Object.entries(endpoints);

/** The 26 export endpoints of SPEC §1 (the seeds). */
const EXPORT_ENDPOINTS: [string, string][] = [
  ['POST', '/users/export/ids'],
  ['POST', '/users/export/segment'],
  ['GET', '/segments/list'],
  ['GET', '/segments/data_series'],
  ['GET', '/segments/details'],
  ['GET', '/campaigns/list'],
  ['GET', '/campaigns/data_series'],
  ['GET', '/campaigns/details'],
  ['GET', '/sends/data_series'],
  ['GET', '/canvas/list'],
  ['GET', '/canvas/details'],
  ['GET', '/canvas/data_series'],
  ['GET', '/canvas/data_summary'],
  ['GET', '/feed/list'],
  ['GET', '/feed/details'],
  ['GET', '/feed/data_series'],
  ['GET', '/kpi/mau/data_series'],
  ['GET', '/kpi/dau/data_series'],
  ['GET', '/kpi/new_users/data_series'],
  ['GET', '/kpi/uninstalls/data_series'],
  ['GET', '/sessions/data_series'],
  ['GET', '/events/list'],
  ['GET', '/events/data_series'],
  ['GET', '/purchases/product_list'],
  ['GET', '/purchases/revenue_series'],
  ['GET', '/purchases/quantity_series'],
];

const find = (method: string, path: string) => all.find(([, e]) => e.method === method && e.path === path)?.[1];
const props = (schema: TSchema | undefined): Record<string, TSchema> =>
  ((schema as { properties?: Record<string, TSchema> } | undefined)?.properties ?? {});

/**
 * Turn a Braze doc response (JSON with placeholders such as `(int) the number of sends`, missing
 * and trailing commas, `...` elisions) into a JSON value, keeping every key verbatim.
 */
function fromDoc(doc: string): unknown {
  const lines = doc
    .split('\n')
    .filter((line) => !/^\s*\.\.\.\s*$/.test(line))
    .map((line) => {
      const placeholder = /^(\s*"[^"]+"\s*:\s*)\((required, |optional, )?(int|float|string)\b.*$/.exec(line);
      if (placeholder) {
        const [, key, , kind] = placeholder;
        const value = kind === 'int' ? '3' : kind === 'float' ? '12.5' : key.includes('"time"') ? '"2020-06-28"' : key.includes('message"') ? '"success"' : '"v"';
        return `${key}${value},`;
      }
      // a scalar value missing its comma, e.g. `"body_clicks" : (int)` fixed above, `"revenue": 0`
      if (/^\s*"[^"]+"\s*:\s*[^\s{[][^,]*$/.test(line)) return `${line},`;
      return line;
    });
  const json = lines.join('\n').replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(json);
}

describe('endpoint catalogue', () => {
  it('has the 26 export endpoints of the seeds', () => {
    expect(EXPORT_ENDPOINTS).toHaveLength(26);
    for (const [method, path] of EXPORT_ENDPOINTS) expect(find(method, path), `${method} ${path}`).toBeDefined();
  });

  it('has the brazen endpoints: users/track, currents, admin', () => {
    expect(find('POST', '/users/track')?.permission).toBe('users.track');
    expect(find('POST', '/currents')?.permission).toBe('currents.ingest');
    expect(find('POST', '/admin/api_keys')?.permission).toBe('admin');
    expect(find('GET', '/admin/workspace')?.permission).toBe('admin');
    expect(find('PUT', '/admin/workspace')?.permission).toBe('admin');
    expect(find('POST', '/users/export/global_control_group')?.permission).toBe('users.export.global_control_group');
  });

  it('has each path once per method', () => {
    const keys = all.map(([, e]) => `${e.method} ${e.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('names every permission with a dotted name (admin aside)', () => {
    for (const [name, e] of all) {
      expect(e.permission, name).toMatch(e.permission === 'admin' ? /^admin$/ : /^[a-z_]+(\.[a-z_]+)+$/);
    }
    expect(ALL_PERMISSIONS).toEqual([...new Set(ALL_PERMISSIONS)].sort());
    expect(ALL_PERMISSIONS).toContain('campaigns.details');
    expect(ALL_PERMISSIONS).toContain('kpi.new_users.data_series');
  });

  it('uses Braze permission names for the export endpoints', () => {
    for (const [method, path] of EXPORT_ENDPOINTS) {
      expect(find(method, path)?.permission, path).toBe(path.slice(1).replaceAll('/', '.'));
    }
  });

  it('shares one rate pool between /events/list and /purchases/product_list', () => {
    expect(endpoints.eventsList.ratePool).toBe('events_products');
    expect(endpoints.purchasesProductList.ratePool).toBe('events_products');
  });

  it('answers `message` on every export endpoint', () => {
    for (const [method, path] of EXPORT_ENDPOINTS) {
      const response = find(method, path)!.response as { required?: string[] };
      expect(props(response).message, path).toBeDefined();
      expect(response.required, path).toContain('message');
    }
  });

  it('takes the legacy api_key and describes every query parameter', () => {
    for (const [name, e] of all) {
      const input = e.querystring ?? (e.body && (e.body as { type?: string }).type === 'object' ? e.body : undefined);
      if (!input) continue;
      expect(props(input).api_key, name).toBeDefined();
      if (e.querystring) {
        expect((e.querystring as { additionalProperties?: unknown }).additionalProperties, name).toBeUndefined();
        for (const [key, schema] of Object.entries(props(e.querystring))) {
          expect((schema as { description?: string }).description, `${name}.${key}`).toBeTruthy();
        }
      }
    }
  });

  it('compiles every schema for Fastify (Ajv) and for fast-json-stringify', () => {
    const ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: true, strict: false });
    ajv.addFormat('iso8601', true);
    for (const [name, e] of all) {
      for (const schema of [e.querystring, e.body]) if (schema) expect(() => ajv.compile(schema), name).not.toThrow();
      expect(() => fastJson(e.response), name).not.toThrow();
    }
  });
});

describe('campaign data_series samples from the seeds', () => {
  const samples: [string, string][] = [
    ['seed 001 multichannel', SEED_001_MULTICHANNEL],
    ['seed 001 multivariate', SEED_001_MULTIVARIATE],
    ['seed 000 multichannel', SEED_000_MULTICHANNEL],
    ['seed 000 multivariate', SEED_000_MULTIVARIATE],
  ];

  for (const [label, doc] of samples) {
    it(`${label} validates and serializes without losing a field`, () => {
      // the multivariate documents elide `message` with `...`
      const sample = { message: 'success', ...(fromDoc(doc) as object) };
      expect(Value.Errors(CampaignsDataSeriesResponse, sample)).toEqual([]);
      expect(Value.Check(CampaignsDataSeriesResponse, sample)).toBe(true);
      const serialize = fastJson(CampaignsDataSeriesResponse);
      expect(JSON.parse(serialize(sample))).toEqual(sample);
    });
  }

  it('passes through channels and counters it does not name', () => {
    const sample = {
      message: 'success',
      data: [{ time: '2024-03-01', unique_recipients: 1, messages: { line: [{ variation_api_id: 'v', sent: 2, odd: 1 }], ios_push: [{ notif_button_1_OK_click: 4 }] } }],
    };
    expect(Value.Check(CampaignsDataSeriesResponse, sample)).toBe(true);
    expect(JSON.parse(fastJson(CampaignsDataSeriesResponse)(sample))).toEqual(sample);
  });

  it('keeps variation_name and variation_api_id, sms and whats_app counters', () => {
    const sample = fromDoc(SEED_001_MULTICHANNEL) as { data: { messages: Record<string, Record<string, unknown>[]> }[] };
    const messages = sample.data[0].messages;
    expect(Object.keys(messages)).toEqual(['ios_push', 'android_push', 'webhook', 'email', 'sms', 'whats_app', 'content_cards']);
    expect(messages.sms[0]).toMatchObject({ sent_to_carrier: 3, rejected: 3, opt_out: 3, help: 3 });
  });
});

describe('user export', () => {
  it('lists every top-level field of UserExport in USER_EXPORT_FIELDS', () => {
    expect([...USER_EXPORT_FIELDS].sort()).toEqual(Object.keys(props(UserExport)).sort());
  });

  it('accepts the least data possible and a full profile with custom attributes', () => {
    expect(Value.Check(UserExport, {})).toBe(true);
    const user = {
      external_id: 'u1',
      custom_attributes: { loyaltyPoints: '321', nested: { a: [1, 2] } },
      devices: [{ model: 'Pixel XL', os: 'Android (Q)', carrier: null, device_id: 'd1', ad_tracking_enabled: true }],
      apps: [{ name: 'MovieCannon', platform: 'Android', version: '3.29.0', sessions: 1129 }],
      campaigns_received: [{ name: 'Email Unsubscribe', engaged: { opened_email: true }, converted: true }],
    };
    expect(Value.Check(UserExport, user)).toBe(true);
    expect(JSON.parse(fastJson(UserExport)(user))).toEqual(user);
  });
});

describe('the Currents catalogue (currents-catalogue.json)', () => {
  const categories = ['session_start', 'session_end', 'custom_event', 'purchase', 'uninstall', 'first_session', 'attribution', 'location',
    'subscription', 'canvas_entry', 'canvas_exit', 'canvas_conversion', 'campaign_conversion', 'message', 'card', 'feed_card', 'other'];
  const fieldTypes = ['string', 'long', 'int', 'double', 'float', 'boolean', 'json'];

  it('holds 110 event types, each well formed: a known category, typed fields with id and time, required fields among them', () => {
    expect(CURRENTS_EVENT_TYPES).toHaveLength(110);
    expect(new Set(CURRENTS_EVENT_TYPES.map((t) => t.eventType)).size).toBe(110);
    for (const t of CURRENTS_EVENT_TYPES) {
      expect(categories, t.eventType).toContain(t.category);
      for (const [field, type] of Object.entries(t.fields)) expect(fieldTypes, `${t.eventType}.${field}`).toContain(type);
      expect(Object.keys(t.fields), t.eventType).toEqual(expect.arrayContaining(['id', 'time']));
      for (const r of t.required ?? []) expect(Object.keys(t.fields), `${t.eventType} requires ${r}`).toContain(r);
      // A message event names its channel and action; nothing else does.
      expect(t.channel !== undefined && t.action !== undefined, t.eventType).toBe(t.category === 'message' || t.category === 'card' || t.category === 'feed_card' ? t.channel !== undefined : false);
    }
    expect(currentsEventType('users.messages.email.Open')).toMatchObject({ category: 'message', channel: 'email', action: 'open' });
    expect(currentsEventType('behaviors.CustomEvent')?.eventType).toBe('users.behaviors.CustomEvent');
  });
});

import { endpoints } from '@brazen/contract';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { BrazeClient, CURSOR_LISTS, LISTS, ROUTES, SERIES, type EndpointName, type KpiParams, type ParamsOf, type ResponseOf, type UserExport } from '../src/index.ts';

describe('the client covers the contract', () => {
  it('has a route for every endpoint of @brazen/contract, with its method and path, and no other', () => {
    const contract = Object.fromEntries(Object.entries(endpoints).map(([name, e]) => [name, [e.method, e.path]]));
    const client = Object.fromEntries(Object.entries(ROUTES).map(([name, r]) => [name, [r.method, r.path]]));
    expect(client).toEqual(contract);
  });

  it('has a method for every endpoint, named as in the contract', () => {
    const methods = Object.getOwnPropertyNames(BrazeClient.prototype);
    expect(Object.keys(endpoints).filter((name) => !methods.includes(name))).toEqual([]);
  });

  it('only /users/track, starting an export and key creation are left alone after a 5xx', () => {
    expect(Object.entries(ROUTES).filter(([, r]) => !r.idempotent).map(([name]) => name)).toEqual([
      'usersExportSegment',
      'usersExportGlobalControlGroup',
      'usersTrack',
      'adminCreateApiKey',
    ]);
  });

  it('iterates every list and every series endpoint of the contract', () => {
    expect(Object.keys(LISTS).sort()).toEqual(Object.keys(endpoints).filter((n) => n.endsWith('List')).sort());
    const cursorPaged = Object.entries(endpoints).filter(([, e]) => 'querystring' in e && 'cursor' in (e.querystring as { properties: object }).properties);
    expect(Object.keys(CURSOR_LISTS).sort()).toEqual(cursorPaged.map(([name]) => name).sort());
    expect(Object.keys(SERIES).sort()).toEqual(Object.keys(endpoints).filter((n) => /(DataSeries|RevenueSeries|QuantitySeries)$/.test(n)).sort());
  });

  it('types requests and answers from the contract (checked by tsc)', () => {
    expectTypeOf<ParamsOf<'kpiDauDataSeries'>>().toEqualTypeOf<KpiParams>();
    expectTypeOf<KpiParams>().toEqualTypeOf<{ length: number; ending_at?: string | undefined; app_id?: string | undefined }>();
    expectTypeOf<ResponseOf<'kpiMauDataSeries'>['data'][number]>().toEqualTypeOf<{ time: string; mau: number }>();
    expectTypeOf<ParamsOf<'campaignsList'>>().toHaveProperty('last_edit.time[gt]');
    expectTypeOf<ParamsOf<'sessionsDataSeries'>['unit']>().toEqualTypeOf<'day' | 'hour' | undefined>();
    expectTypeOf<UserExport['gender']>().toEqualTypeOf<string | null | undefined>();
    // The legacy api_key never appears: the client authenticates with the header.
    expectTypeOf<'api_key' extends keyof ParamsOf<'usersExportIds'> ? true : false>().toEqualTypeOf<false>();
    expectTypeOf<EndpointName>().toEqualTypeOf<keyof typeof endpoints>();
  });
});

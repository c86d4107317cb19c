import { describe, expect, it } from 'vitest';
import { parseClickHouseUrl, redact } from '../../src/clickhouse/url.ts';
import { ClickHouseStoreError } from '../../src/clickhouse/errors.ts';

const noEnv = {};

describe('ClickHouse store URLs', () => {
  it('reads host, HTTP port and database, with the default user', () => {
    expect(parseClickHouseUrl('clickhouse://db.internal:8123/analytics', noEnv)).toEqual({
      kind: 'server', protocol: 'http', nodes: [{ host: 'db.internal', port: 8123 }], database: 'analytics', user: 'default', password: '',
    });
  });

  it('takes user and password from the URL, percent-decoded, before the environment', () => {
    const env = { BRAZEN_CLICKHOUSE_USER: 'envuser', BRAZEN_CLICKHOUSE_PASSWORD: 'envpass' };
    expect(parseClickHouseUrl('clickhouse://ann:p%40ss%3Aword@h:1/d', env)).toMatchObject({ user: 'ann', password: 'p@ss:word' });
    expect(parseClickHouseUrl('clickhouse://h:1/d', env)).toMatchObject({ user: 'envuser', password: 'envpass' });
    expect(parseClickHouseUrl('clickhouse://bob@h:1/d', env)).toMatchObject({ user: 'bob', password: 'envpass' });
  });

  it('names a cluster by its nodes, one per shard, and the remote_servers name', () => {
    expect(parseClickHouseUrl('clickhouse://a:8123,b:8124/brazen?cluster=events', noEnv)).toMatchObject({
      nodes: [{ host: 'a', port: 8123 }, { host: 'b', port: 8124 }], cluster: 'events',
    });
    expect(() => parseClickHouseUrl('clickhouse://a:8123,b:8124/brazen', noEnv)).toThrow(/cluster=NAME/);
  });

  it('defaults the database to brazen, and speaks HTTPS as clickhouses://', () => {
    expect(parseClickHouseUrl('clickhouses://h:8443', noEnv)).toMatchObject({ protocol: 'https', database: 'brazen' });
  });

  it('reads chdb:PATH with an optional database', () => {
    expect(parseClickHouseUrl('chdb:.brazen/chdb', noEnv)).toEqual({ kind: 'chdb', path: '.brazen/chdb', database: 'brazen' });
    expect(parseClickHouseUrl('chdb:/tmp/x?database=w1', noEnv)).toEqual({ kind: 'chdb', path: '/tmp/x', database: 'w1' });
  });

  it.each([
    ['clickhouse://h/d', /HOST:HTTP_PORT/],
    ['clickhouse://h:0/d', /HOST:HTTP_PORT/],
    ['clickhouse://h:99999/d', /HOST:HTTP_PORT/],
    ['clickhouse://h:1/my-db', /letters, digits/],
    ['clickhouse://h:1/d;DROP', /letters, digits/],
    ['clickhouse://h:1/d?cluster=x%27y', /cluster/],
    ['mysql://h:1/d', /expected clickhouse/],
    ['chdb:', /folder/],
  ])('refuses %s with a typed error', (url, why) => {
    const error = (() => {
      try {
        parseClickHouseUrl(url, noEnv);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ClickHouseStoreError);
    expect((error as ClickHouseStoreError).kind).toBe('url');
    expect((error as Error).message).toMatch(why);
  });

  it('never shows the password in messages', () => {
    expect(redact('clickhouse://ann:secret@h:1/d')).toBe('clickhouse://ann:***@h:1/d');
    expect(() => parseClickHouseUrl('clickhouse://ann:secret@h/d', noEnv)).toThrow(/^(?!.*secret)/);
  });
});

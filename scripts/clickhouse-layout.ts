/**
 * Measures the prototype ClickHouse layout (packages/store/src/clickhouse/DESIGN.md has the
 * figures): ingest rows/s of JSONEachRow into a two-shard 18.16 cluster (through the client, and
 * ClickHouse's own parse of the same NDJSON) against a plain table on one server, then a fixture of
 * BENCH_EVENTS events (default 10M) made in SQL, the rollups' recompute times, and the latency of
 * 100-point series read from the rollup against the same figures computed live from raw rows.
 *
 *   flock /work/heavy.lock npx tsx scripts/clickhouse-layout.ts
 *
 * Everything lives in temp dirs of the servers it starts; nothing is written into the repo.
 */
import { connectClickHouse, type ClickHouseConnection } from '../packages/store/src/clickhouse/client.ts';
import { eventsWriteTable, LAYOUT_MIGRATIONS, readSeries, refreshRollups, type Metric } from '../packages/store/src/clickhouse/layout.ts';
import { migrate } from '../packages/store/src/clickhouse/migrations.ts';
import { sql } from '../packages/store/src/clickhouse/sql.ts';
import { makeRecords } from '../packages/store/test/clickhouse/layout-fixture.ts';
import { startClickHouseCluster, startClickHouseServer } from '../packages/store/test/clickhouse/servers.ts';
import { serverUrl } from '../packages/store/test/clickhouse/targets.ts';

const INGEST = Number(process.env.BENCH_INGEST ?? 1_000_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const USERS = Math.round(EVENTS * 0.09);
const DAYS = 100;
const START = Date.parse('2024-01-01T00:00:00Z') / 1000;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function timed<T>(label: string, f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const out = await f();
  const ms = performance.now() - t;
  console.log(`${label}: ${fmt(ms)} ms`);
  return [out, ms];
}

async function latency(label: string, f: () => Promise<unknown>, runs = 30): Promise<void> {
  await f(); // warm
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
  console.log(`${label}: p50 ${fmt(p(0.5), 1)} ms, p99 ${fmt(p(0.99), 1)} ms (${runs} calls)`);
}

async function postNdjson(httpUrl: string, table: string, body: Buffer, settings: Record<string, string>): Promise<void> {
  const params = new URLSearchParams({ query: `INSERT INTO ${table} FORMAT JSONEachRow`, ...settings });
  const res = await fetch(`${httpUrl}/?${params}`, { method: 'POST', body: body as unknown as BodyInit });
  if (!res.ok) throw new Error(await res.text());
}

const cluster = await startClickHouseCluster(2);
const single = await startClickHouseServer();
try {
  const db = await connectClickHouse(serverUrl(cluster.nodes.map((n) => n.httpUrl), 'bench', cluster.name));
  const plain = await connectClickHouse(serverUrl([single.httpUrl], 'bench'));
  await migrate(db, LAYOUT_MIGRATIONS);
  await plain.command(sql`CREATE TABLE IF NOT EXISTS ${plain.table('events_plain')} (
      ws String, kind Enum8('session_start' = 1, 'custom_event' = 2, 'purchase' = 3), name String, app_id String, user_key String,
      event_id String, time DateTime('UTC'), day Date, price_usd Float64, quantity UInt32)
    ENGINE = MergeTree PARTITION BY toYYYYMM(day) ORDER BY (ws, kind, name, day, user_key, event_id)`);
  console.log(`ClickHouse ${db.version.text}, 2 shards + 1 plain server; ${fmt(INGEST)} ingest rows, ${fmt(EVENTS)} fixture events`);

  // --- ingest --------------------------------------------------------------------------------
  const rows = makeRecords({ ws: 'ingest', zone: 'America/New_York', users: Math.round(INGEST * 0.09), events: INGEST, start: START, days: DAYS, seed: 1 });
  const ndjson = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  console.log(`NDJSON: ${fmt(ndjson.length / 1e6, 1)} MB`);
  const rate = (ms: number) => `${fmt(INGEST / (ms / 1000))} rows/s`;
  const chunks = (size: number) => Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => rows.slice(i * size, (i + 1) * size));
  const [, clientMs] = await timed('client JSONEachRow (objects, 100k a call) -> Distributed events, views on', async () => {
    for (const c of chunks(100_000)) await db.insert(eventsWriteTable(db), c);
  });
  await db.onEveryNode(sql`TRUNCATE TABLE ${db.table('events_local')}`);
  const [, ownMs] = await timed('same NDJSON bytes over HTTP -> Distributed events (ClickHouse parses), views on', () =>
    postNdjson(cluster.nodes[0].httpUrl, 'bench.events', ndjson, { insert_distributed_sync: '1' }),
  );
  const [, plainMs] = await timed('same NDJSON bytes over HTTP -> plain MergeTree on one server, no views', () =>
    postNdjson(single.httpUrl, 'bench.events_plain', ndjson, {}),
  );
  console.log(`ingest: client->cluster ${rate(clientMs)}, NDJSON->cluster ${rate(ownMs)}, NDJSON->plain ${rate(plainMs)}; cluster/plain ${fmt(plainMs / ownMs, 2)}x, client/NDJSON ${fmt(ownMs / clientMs, 2)}x`);
  for (const t of ['events_local', 'user_days_local', 'first_seen_local', 'series_local']) await db.onEveryNode(sql`TRUNCATE TABLE ${db.table(t)}`);

  // --- a fixture made in SQL ---------------------------------------------------------------------
  const [, buildMs] = await timed(`fixture: ${fmt(EVENTS)} events of ${fmt(USERS)} users over ${DAYS} days, INSERT SELECT through Distributed`, () =>
    db.command(
      sql`INSERT INTO ${db.table('events')} (ws, kind, name, app_id, user_key, event_id, time, day, price_usd, quantity)
          SELECT 'bench', CAST(multiIf(r < 50, 'session_start', r < 85, 'custom_event', 'purchase') AS Enum8('session_start' = 1, 'custom_event' = 2, 'purchase' = 3)),
                 multiIf(r < 50, '', r < 85, if(r % 2 = 0, 'Played', 'Shared'), if(r % 2 = 0, 'gems', 'coins')),
                 if(intHash32(number) % 10 < 6, 'ios', 'android'),
                 concat('u', toString(intHash64(number) % ${USERS})), toString(number), t, toDate(t, 'America/New_York'),
                 if(r >= 85, (r % 20) + 0.99, 0), if(r >= 85, 1 + r % 3, 0)
          FROM (SELECT number, intHash64(number * 3 + 1) % 100 AS r, toDateTime(${START} + intHash64(number * 7 + 2) % ${DAYS * 86400}, 'UTC') AS t
                FROM system.numbers LIMIT ${EVENTS})`,
      { settings: { insert_distributed_sync: 1 } },
    ),
  );
  console.log(`fixture: ${fmt(EVENTS / (buildMs / 1000))} rows/s`);
  const allDays = Array.from({ length: DAYS + 1 }, (_, i) => new Date((START - 86400 + i * 86400) * 1000).toISOString().slice(0, 10));
  const steps = (label: string) => {
    const seen: string[] = [];
    return [(name: string, node: number, ms: number) => void seen.push(`${name}@${node + 1} ${fmt(ms)}`), () => console.log(`  ${label} steps (ms, per shard): ${seen.join(', ')}`)] as const;
  };
  const [allStep, allDone] = steps('all days');
  await timed(`rollups recomputed for all ${DAYS + 1} local days`, () => refreshRollups(db, 'bench', allDays, allStep));
  allDone();
  for (let i = 0; i < 3; i++) {
    const [oneStep, oneDone] = steps('one day');
    await timed('rollups recomputed for one local day (a typical batch)', () => refreshRollups(db, 'bench', [allDays[40 + i]], oneStep));
    oneDone();
  }

  // --- serving ---------------------------------------------------------------------------------
  const from = START;
  const to = START + (DAYS - 1) * 86400;
  for (const metric of ['dau', 'mau', 'new_users', 'sessions'] as Metric[]) {
    await latency(`${metric} 100 points from the rollup`, () => readSeries(db, { ws: 'bench', metric, unit: 'day', from, to }));
  }
  await latency('events Played 100 points from the rollup', () => readSeries(db, { ws: 'bench', metric: 'events', unit: 'day', name: 'Played', from, to }));
  const dau = await readSeries(db, { ws: 'bench', metric: 'dau', unit: 'day', from, to });
  const mau = await readSeries(db, { ws: 'bench', metric: 'mau', unit: 'day', from, to });
  console.log(`DAU mid-period ${fmt(dau.get(START + 50 * 86400) ?? 0)}, MAU ${fmt(mau.get(START + 50 * 86400) ?? 0)}`);

  // The same figures live from raw rows, per shard and added (distributed_group_by_no_merge).
  const live = (label: string, statement: ReturnType<typeof sql>) =>
    latency(label, () => db.query(statement, { settings: { distributed_group_by_no_merge: '1' } }), 3);
  await live('DAU 100 days live from raw events (per-shard uniqExact, added)',
    sql`SELECT day, sum(n) AS n FROM (SELECT day, uniqExact(user_key) AS n FROM ${db.table('events')}
        WHERE ws = 'bench' AND kind = 'session_start' AND day BETWEEN toDate('2024-01-01') AND toDate('2024-04-09') GROUP BY day) GROUP BY day`);
  await live('sessions 100 days live from raw events (deduplicated by id)',
    sql`SELECT day, sum(n) AS n FROM (SELECT day, uniqExact(event_id) AS n FROM ${db.table('events')}
        WHERE ws = 'bench' AND kind = 'session_start' AND day BETWEEN toDate('2024-01-01') AND toDate('2024-04-09') GROUP BY day) GROUP BY day`);
  const raws = await Promise.all(db.nodes.map((_, node) => db.query<{ n: number }>(sql`SELECT count() AS n FROM ${db.table('events_local')}`, { node })));
  console.log(`rows per shard: ${raws.map(([r]) => fmt(r.n)).join(' / ')}`);
  const sizes = await Promise.all(db.nodes.map((_, node) => db.query<{ table: string; rows: number; bytes: number }>(
    sql`SELECT table, sum(rows) AS rows, sum(bytes) AS bytes FROM system.parts WHERE database = 'bench' AND active GROUP BY table ORDER BY table`, { node })));
  for (const s of sizes[0]) console.log(`shard 1 ${s.table}: ${fmt(s.rows)} rows, ${fmt(s.bytes / 1e6, 1)} MB`);
  await db.close();
  await plain.close();
} finally {
  await cluster.stop();
  await single.stop();
}

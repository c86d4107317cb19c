/**
 * DuckDB loading the benchmark's NDJSON by itself, in a process of its own (so that its memory does
 * not count in the server's): `tsx bench/_duckdb-load.ts MODE MEMORY_LIMIT DIR FILE...` prints
 * `{"rows": N, "seconds": S, "cpuSeconds": C}`. MODE `whole`: the typed columns brazen keeps plus each whole record
 * (`read_ndjson` with typed columns, positionally joined with `read_json_objects`); `typed`: the
 * typed columns only. Both end with a CHECKPOINT, so that everything is in the data file.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

/** The fields brazen reads from every record, with the types it keeps them in. */
const TYPED = {
  id: 'VARCHAR', event_type: 'VARCHAR', time: 'DOUBLE', user_id: 'VARCHAR', external_user_id: 'VARCHAR', app_id: 'VARCHAR',
  name: 'VARCHAR', product_id: 'VARCHAR', campaign_id: 'VARCHAR', message_variation_id: 'VARCHAR', canvas_id: 'VARCHAR',
  canvas_variation_id: 'VARCHAR', canvas_step_id: 'VARCHAR', send_id: 'VARCHAR', card_id: 'VARCHAR', platform: 'VARCHAR',
  price: 'DOUBLE', currency: 'VARCHAR', quantity: 'INTEGER', device_id: 'VARCHAR',
};

export type LoadMode = 'whole' | 'typed';

export interface LoadFigures {
  rows: number;
  seconds: number;
  /** CPU time of the load (every thread of the process), seconds. */
  cpuSeconds: number;
}

async function load(mode: LoadMode, memoryLimit: string, dir: string, files: string[]): Promise<LoadFigures> {
  const path = join(dir, `duckdb-alone-${mode}.duckdb`);
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
  const instance = await DuckDBInstance.create(path, { memory_limit: memoryLimit, ...(process.env.BENCH_DUCKDB_THREADS ? { threads: process.env.BENCH_DUCKDB_THREADS } : {}) });
  const conn = await instance.connect();
  const list = `[${files.map((f) => `'${f}'`).join(', ')}]`;
  const columns = `{${Object.entries(TYPED).map(([k, v]) => `'${k}': '${v}'`).join(', ')}}`;
  const typed = `read_ndjson(${list}, columns = ${columns})`;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await conn.run(
    mode === 'whole'
      ? `CREATE TABLE events AS SELECT t.*, o.json AS payload FROM ${typed} t POSITIONAL JOIN read_json_objects(${list}, format = 'newline_delimited') o`
      : `CREATE TABLE events AS SELECT * FROM ${typed}`,
  );
  await conn.run('CHECKPOINT');
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const counted = await conn.runAndReadAll('SELECT count(*)::DOUBLE FROM events');
  const rows = Number(counted.getRows()[0][0]);
  conn.closeSync();
  instance.closeSync();
  rmSync(path, { force: true });
  return { rows, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** Runs one load in a child process and returns its figures. */
export function duckdbAlone(mode: LoadMode, memoryLimit: string, dir: string, files: string[]): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    const self = fileURLToPath(import.meta.url);
    const child = spawn(process.execPath, ['--import', 'tsx', self, mode, memoryLimit, dir, ...files], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadFigures) : reject(new Error(`DuckDB load exited ${code}`))));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, memoryLimit, dir, ...files] = process.argv.slice(2);
  process.stdout.write(JSON.stringify(await load(mode as LoadMode, memoryLimit, dir, files)));
}

/**
 * The Currents records of the core benchmark, as NDJSON files of one request each (the same bytes go
 * to brazen over HTTP and to DuckDB's own reader), made once per size under bench/.data/ and reused.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_ROOT, prng } from './_lib.ts';

export const DAY = 86_400;
export const DAYS = 100;
export const START = Date.UTC(2024, 0, 1) / 1000;
export const EVENT_NAMES = Array.from({ length: 20 }, (_, i) => `event_${String.fromCharCode(97 + i)}`);
export const PRODUCTS = Array.from({ length: 50 }, (_, i) => `product_${i}`);
const APPS = ['app_ios', 'app_android', 'app_web'];
const PLATFORMS = ['ios', 'android', 'web'];

/** What a set of files holds, to check that every record became queryable. */
export interface CurrentsData {
  files: string[];
  records: number;
  bytes: number;
  sessions: number;
}

/** Time-ordered Currents records as Currents delivers them, one NDJSON body at a time. */
export function* currentsBodies(total: number, batch: number, users: number): Generator<{ body: string; sessions: number }> {
  const rand = prng(42);
  let n = 0;
  while (n < total) {
    const size = Math.min(batch, total - n);
    const lines = new Array<string>(size);
    let sessions = 0;
    for (let i = 0; i < size; i++, n++) {
      const time = START + Math.floor((n / total) * DAYS * DAY);
      const u = Math.floor(rand() * users);
      const app = u % 3;
      const head = `{"id":"ev-${n}","user_id":"u${u}","external_user_id":"x${u}","time":${time},"app_id":"${APPS[app]}","platform":"${PLATFORMS[app]}"`;
      const r = rand();
      if (r < 0.3) {
        lines[i] = `${head},"event_type":"users.behaviors.app.SessionStart","session_id":"s${n}"}`;
        sessions++;
      } else if (r < 0.7) lines[i] = `${head},"event_type":"users.behaviors.CustomEvent","name":"${EVENT_NAMES[Math.floor(rand() * 20)]}","properties":"{\\"level\\":${u % 50}}"}`;
      else if (r < 0.75) lines[i] = `${head},"event_type":"users.behaviors.Purchase","product_id":"${PRODUCTS[Math.floor(rand() * 50)]}","price":${(1 + Math.floor(rand() * 2000) / 100).toFixed(2)},"currency":"USD"}`;
      else if (r < 0.752) lines[i] = `${head},"event_type":"users.behaviors.Uninstall"}`;
      else {
        const action = ['Send', 'Delivery', 'Open', 'Click'][Math.floor(rand() * 4)];
        lines[i] = `${head},"event_type":"users.messages.email.${action}","campaign_id":"camp_${u % 10}","message_variation_id":"var_${u % 2}","email_address":"u${u}@example.com"}`;
      }
    }
    yield { body: lines.join('\n'), sessions };
  }
}

/** The files of `total` records, `batch` a file, made now unless an earlier run left them. */
export function currentsFiles(total: number, batch: number, users: number): CurrentsData {
  const dir = join(DATA_ROOT, 'currents-ndjson', `${total}-${batch}-${users}`);
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')) as CurrentsData;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const data: CurrentsData = { files: [], records: total, bytes: 0, sessions: 0 };
  let k = 0;
  for (const { body, sessions } of currentsBodies(total, batch, users)) {
    const file = join(dir, `part-${String(k++).padStart(5, '0')}.ndjson`);
    writeFileSync(file, body);
    data.files.push(file);
    data.bytes += Buffer.byteLength(body);
    data.sessions += sessions;
  }
  writeFileSync(manifest, JSON.stringify(data));
  return data;
}

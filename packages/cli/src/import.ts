import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CurrentsResult } from '@brazen/store';
import { CurrentsFileError, listCurrentsFiles, readCurrentsFile } from './currents-files.ts';
import { MEMORY_LIMIT_HELP, openStore, storeUrl } from './open-store.ts';
import { dataDirDefault, memorySize, positiveInteger } from './options.ts';
import { progressBar } from './progress.ts';

interface ImportOptions {
  data: string;
  url?: string;
  key?: string;
  batch: number;
  memoryLimit?: string;
}

/** Where records go: the store in the data folder, or a running brazen's POST /currents. */
interface CurrentsTarget {
  ingest(ndjson: string): Promise<CurrentsResult>;
  close(): Promise<void>;
}

export function importCommand(program: Command): void {
  const group = program.command('import').description('Load data into brazen');
  group
    .command('currents')
    .description('Import Braze Currents exports: Avro object container files, .ndjson/.jsonl or .json; folders are walked')
    .argument('<paths...>', 'files or folders (e.g. an S3 sync of a Currents bucket)')
    .option('-d, --data <dir>', 'data folder of the store to import into', dataDirDefault())
    .option('--url <url>', 'import through a running brazen instead (POST /currents), e.g. http://127.0.0.1:4000')
    .option('--key <key>', 'API key with currents.ingest, for --url (default: BRAZEN_API_KEY)')
    .option('--batch <n>', 'records per batch handed to the store', positiveInteger(1_000_000), 50_000)
    .option('--memory-limit <size>', MEMORY_LIMIT_HELP, memorySize, process.env.BRAZEN_MEMORY_LIMIT)
    .addHelpText(
      'after',
      '\nRecords already stored (same id) are skipped, so importing the same files again changes nothing.\n' +
        'The event type of a record comes from its event_type field, its Avro schema, or its path\n' +
        '(.../event_type=users.messages.email.Send/... or a file named users.messages.email.Send.avro).\n' +
        'Exit code 1 when any record was rejected; rejected records are listed on stderr.',
    )
    .action(async (paths: string[], options: ImportOptions, cmd: Command) => {
      if (options.url && !(options.key ?? process.env.BRAZEN_API_KEY)) cmd.error('error: --url needs --key KEY (or BRAZEN_API_KEY)', { exitCode: 2 });
      let files;
      try {
        files = listCurrentsFiles(paths);
      } catch (error) {
        if (error instanceof CurrentsFileError) cmd.error(`error: ${error.message}`, { exitCode: 2 });
        throw error;
      }
      const target = options.url ? httpTarget(options.url, options.key ?? process.env.BRAZEN_API_KEY ?? '') : await storeTarget(options.data, options.memoryLimit);
      try {
        const rejected = await importFiles(files, target, options.batch);
        if (rejected > 0) throw new Error(`${rejected} records were rejected (listed above)`);
      } finally {
        await target.close();
      }
    });
}

async function importFiles(files: ReturnType<typeof listCurrentsFiles>, target: CurrentsTarget, batchSize: number): Promise<number> {
  const total = files.reduce((n, f) => n + f.bytes, 0);
  const bar = progressBar('import', total, 'bytes');
  const sum = { records: 0, stored: 0, duplicates: 0, rejected: 0 };
  let before = 0;
  try {
    for (const file of files) {
      let inFile = 0;
      for await (const batch of readCurrentsFile(file, batchSize, (bytes) => bar.update(before + bytes, `${sum.records} records`))) {
        const result = await target.ingest(batch.map((r) => JSON.stringify(r)).join('\n'));
        for (const e of result.errors.slice(0, 20)) {
          process.stderr.write(`${file.path}: record ${inFile + e.index + 1} rejected: ${e.message}\n`);
        }
        inFile += batch.length;
        sum.records += batch.length;
        sum.stored += result.stored;
        sum.duplicates += result.duplicates;
        sum.rejected += result.errors.length;
      }
      before += file.bytes;
      bar.update(before, `${sum.records} records`);
    }
  } finally {
    bar.stop();
  }
  process.stdout.write(
    `Imported ${files.length} file(s), ${sum.records} records: ${sum.stored} stored, ${sum.duplicates} already stored, ${sum.rejected} rejected.\n`,
  );
  return sum.rejected;
}

async function storeTarget(data: string, memoryLimit?: string): Promise<CurrentsTarget> {
  const dataDir = resolve(data);
  const store = await openStore(storeUrl(undefined, dataDir), memoryLimit);
  const records = store.workspace().data;
  return {
    ingest: (ndjson) => records.ingestCurrents({ bytes: Buffer.from(ndjson), format: 'ndjson' }),
    close: () => store.close(),
  };
}

function httpTarget(url: string, key: string): CurrentsTarget {
  const endpoint = `${url.replace(/\/+$/, '')}/currents`;
  return {
    async ingest(ndjson) {
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
          body: ndjson,
        });
      } catch (error) {
        throw new Error(`cannot reach ${endpoint}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`);
      }
      const body = (await res.json().catch(() => ({}))) as {
        message?: string; events_processed?: number; duplicates?: number; errors?: Array<{ index: number; message: string }>;
      };
      if (!res.ok) throw new Error(`${endpoint} answered ${res.status}: ${body.message ?? res.statusText}`);
      return {
        stored: body.events_processed ?? 0,
        duplicates: body.duplicates ?? 0,
        errors: (body.errors ?? []).map((e) => ({ type: 'currents', index: e.index, message: e.message })),
      };
    },
    close: async () => undefined,
  };
}

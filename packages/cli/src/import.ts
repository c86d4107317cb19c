import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Catalog, WorkspaceStore } from '@brazen/store';
import { CurrentsBucket, isBucketUrl, parseBucketUrl } from './currents-bucket.ts';
import { CurrentsFileError, listCurrentsFiles, type CurrentsFile } from './currents-files.ts';
import { BucketImporter, followBuckets, type BucketImportReport } from './currents-follow.ts';
import { addSums, httpTarget, importCurrentsFile, noSums, storeTarget, type CurrentsTarget, type ImportSums } from './currents-ingest.ts';
import { keepUpToDate } from './keep.ts';
import { MEMORY_LIMIT_HELP, openStore, storeUrl, useWorkspace, WORKSPACE_NAME_HELP } from './open-store.ts';
import { dataDirDefault, memorySize, positiveInteger, workspaceName } from './options.ts';
import { progressBar, type Progress } from './progress.ts';

interface ImportOptions {
  data: string;
  url?: string;
  key?: string;
  batch: number;
  memoryLimit?: string;
  s3Endpoint?: string;
  s3Region?: string;
  follow?: boolean;
  pollInterval: number;
  workspaceName?: string;
}

export const S3_ENDPOINT_HELP = 'an S3-compatible endpoint, addressed path-style (e.g. https://storage.googleapis.com, http://127.0.0.1:9000)';
export const S3_REGION_HELP = "the bucket's region (default AWS_REGION, else us-east-1; a bucket elsewhere is found anyway)";
export const POLL_INTERVAL_HELP = 'seconds between two listings of a followed bucket';

export function importCommand(program: Command): void {
  const group = program.command('import').description('Load data into brazen');
  group
    .command('currents')
    .description('Import Braze Currents exports: Avro object container files, .ndjson/.jsonl or .json, from folders or S3 buckets')
    .argument('<sources...>', 'files, folders (walked), or buckets as s3://BUCKET/PREFIX (where a Currents integration writes)')
    .option('-d, --data <dir>', 'data folder of the store to import into', dataDirDefault())
    .option('--url <url>', 'import local files through a running brazen instead (POST /currents), e.g. http://127.0.0.1:4000')
    .option('--key <key>', 'API key with currents.ingest, for --url (default: BRAZEN_API_KEY)')
    .option('--batch <n>', 'records per batch handed to the store', positiveInteger(1_000_000), 50_000)
    .option('--memory-limit <size>', MEMORY_LIMIT_HELP, memorySize, process.env.BRAZEN_MEMORY_LIMIT)
    .option('--s3-endpoint <url>', S3_ENDPOINT_HELP)
    .option('--s3-region <region>', S3_REGION_HELP)
    .option('--follow', 'keep watching the buckets and import each new object once (until SIGTERM or Ctrl-C)')
    .option('--poll-interval <seconds>', POLL_INTERVAL_HELP, positiveInteger(86_400), 60)
    .option('--workspace-name <name>', `${WORKSPACE_NAME_HELP} (with --url the key names the workspace)`, workspaceName)
    .addHelpText(
      'after',
      '\nRecords already stored (same id) are skipped, so importing the same files again changes nothing.\n' +
        'The event type of a record comes from its event_type field, its Avro schema, or its path\n' +
        '(.../event_type=users.messages.email.Send/... or a file named users.messages.email.Send.avro).\n' +
        'Bucket objects are read with the AWS SDK\'s usual credentials (AWS_ACCESS_KEY_ID and\n' +
        'AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, instance roles), streamed, and entered in the store\'s\n' +
        'import ledger (key, ETag, records) once all their records are stored: an object is imported\n' +
        'once, and an import cut short (even by kill -9) goes on where it stopped.\n' +
        'Exit code 1 when any record was rejected; rejected records are listed on stderr.',
    )
    .action(async (sources: string[], options: ImportOptions, cmd: Command) => {
      const usage = (message: string): never => cmd.error(`error: ${message}`, { exitCode: 2 });
      const bucketUrls = sources.filter(isBucketUrl);
      const paths = sources.filter((s) => !isBucketUrl(s));
      if (options.url && !(options.key ?? process.env.BRAZEN_API_KEY)) usage('--url needs --key KEY (or BRAZEN_API_KEY)');
      if (options.url && bucketUrls.length > 0) {
        usage('an import from a bucket keeps its ledger in the store: import into --data DIR, or follow the bucket with brazen serve --follow-currents');
      }
      if (options.follow && bucketUrls.length === 0) usage('--follow watches buckets: name one as s3://BUCKET/PREFIX');
      if (options.url && options.workspaceName) usage('--workspace-name is for the data folder; through --url, the key names its workspace');
      let files: CurrentsFile[] = [];
      let buckets: CurrentsBucket[] = [];
      try {
        files = listCurrentsFiles(paths);
        buckets = bucketUrls.map((u) => new CurrentsBucket(parseBucketUrl(u), { endpoint: options.s3Endpoint, region: options.s3Region }));
      } catch (error) {
        if (error instanceof CurrentsFileError) usage(error.message);
        throw error;
      }
      let workspace: WorkspaceStore | undefined;
      let target: CurrentsTarget;
      if (options.url) target = httpTarget(options.url, options.key ?? process.env.BRAZEN_API_KEY ?? '');
      else {
        const opened = await openStore(storeUrl(undefined, resolve(options.data)), options.memoryLimit);
        workspace = await useWorkspace(opened, options.workspaceName).catch(async (error: unknown) => {
          await opened.close();
          throw error;
        });
        target = storeTarget(workspace.data, () => opened.close());
      }
      let rejected = 0;
      try {
        if (files.length > 0) rejected += await importFiles(files, target, options.batch);
        if (buckets.length > 0) rejected += await importBuckets(buckets, workspace!.catalog, target, options);
        const kept = workspace && (await keepUpToDate(workspace));
        if (kept) process.stdout.write(`${kept}\n`);
      } finally {
        await target.close();
        for (const b of buckets) await b.close();
      }
      if (rejected > 0) throw new Error(`${rejected} records were rejected (listed above)`);
    });
}

const describe = (s: ImportSums) => `${s.records} records: ${s.stored} stored, ${s.duplicates} already stored, ${s.rejected} rejected`;

async function importFiles(files: CurrentsFile[], target: CurrentsTarget, batchSize: number): Promise<number> {
  const bar = progressBar('import', files.reduce((n, f) => n + f.bytes, 0), 'bytes');
  const sum = noSums();
  let before = 0;
  try {
    for (const file of files) {
      let shown = 0;
      addSums(sum, await importCurrentsFile(file, target, {
        batchSize,
        onProgress: (bytes, sofar) => bar.update(before + bytes, `${sum.records + sofar.records} records`),
        onRejected: (record, message) => {
          if (shown++ < 20) process.stderr.write(`${file.path}: record ${record} rejected: ${message}\n`);
        },
      }));
      before += file.bytes;
      bar.update(before, `${sum.records} records`);
    }
  } finally {
    bar.stop();
  }
  process.stdout.write(`Imported ${files.length} file(s), ${describe(sum)}.\n`);
  return sum.rejected;
}

/** Reports of a bucket import: a progress bar for each pass that has work, and rejections on stderr. */
function bucketReport(follow: boolean): BucketImportReport & { stop(): void } {
  let bar: Progress | undefined;
  const shown = new Map<string, number>();
  return {
    passStarted(todo, already) {
      bar?.stop();
      const more = already > 0 ? ` (${already} imported before)` : '';
      bar = progressBar(`import ${todo.length} object(s)${more}`, todo.reduce((n, o) => n + o.bytes, 0), 'bytes');
    },
    progress: (bytes, sums) => bar?.update(bytes, `${sums.records} records`),
    imported(url, sums) {
      if (follow) process.stdout.write(`imported ${url}: ${describe(sums)}\n`);
    },
    rejected(url, record, message) {
      const n = shown.get(url) ?? 0;
      shown.set(url, n + 1);
      if (n < 20) process.stderr.write(`${url}: record ${record} rejected: ${message}\n`);
    },
    failed(url, error) {
      process.stderr.write(`brazen: ${url}: ${error.message} (tried again at the next listing)\n`);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

async function importBuckets(buckets: CurrentsBucket[], ledger: Catalog, target: CurrentsTarget, options: ImportOptions): Promise<number> {
  const report = bucketReport(options.follow === true);
  const importers = buckets.map((b) => new BucketImporter(b, ledger, target, { batchSize: options.batch, report }));
  let rejected = 0;
  try {
    if (!options.follow) {
      for (const importer of importers) {
        const pass = await importer.pass();
        report.stop();
        rejected += pass.sums.rejected;
        process.stdout.write(
          `Imported ${pass.imported} object(s) of ${importer.bucket.url()} (${pass.alreadyImported} imported before), ${describe(pass.sums)}.\n`,
        );
      }
      return rejected;
    }
    const stop = new AbortController();
    const onSignal = (signal: string) => {
      process.stdout.write(`brazen: ${signal}, stopping (an object being read is imported again at the next start)\n`);
      stop.abort();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    process.stdout.write(`Following ${buckets.map((b) => b.url()).join(', ')} every ${options.pollInterval} s (Ctrl-C stops).\n`);
    try {
      await followBuckets(importers, options.pollInterval * 1000, stop.signal, () => report.stop());
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    return 0;
  } finally {
    report.stop();
  }
}

import type { FastifyInstance } from 'fastify';
import type { WorkspaceStore } from '@brazen/store';
import { rejectionReason } from '@brazen/server';
import { CurrentsBucket, parseBucketUrl } from './currents-bucket.ts';
import { BucketImporter, followBuckets } from './currents-follow.ts';
import { storeTarget } from './currents-ingest.ts';

export interface ServeFollowOptions {
  urls: string[];
  endpoint?: string;
  region?: string;
  intervalMs: number;
  batchSize?: number;
}

/**
 * `serve --follow-currents`: the bucket import of `import currents --follow`, inside the server, its
 * reports in the server's log. Stopped when the server closes (before its store does): an object
 * being read then is read again at the next start.
 */
export function followCurrentsInServer(app: FastifyInstance, workspace: WorkspaceStore, options: ServeFollowOptions): { start(): void } {
  const buckets = options.urls.map((url) => new CurrentsBucket(parseBucketUrl(url), { endpoint: options.endpoint, region: options.region }));
  const log = app.log.child({ component: 'follow-currents' });
  const importers = buckets.map((bucket) => new BucketImporter(bucket, workspace.catalog, storeTarget(workspace.data), {
    batchSize: options.batchSize ?? 50_000,
    report: {
      passStarted: (todo, already) => log.info({ bucket: bucket.url(), objects: todo.length, already_imported: already }, 'importing new Currents objects'),
      imported: (url, sums) => {
        log.info({ object: url, ...sums }, 'Currents object imported');
        app.metrics.ingested.inc({ endpoint: 'follow-currents' }, sums.stored);
        // New records leave kept profiles stale, as a write request does.
        if (sums.stored > 0) app.workspaces.dataChanged(workspace.name);
      },
      rejected: (url, record, message) => {
        log.warn({ object: url, record, reason: message }, 'Currents record rejected');
        app.metrics.rejected.inc({ endpoint: 'follow-currents', reason: rejectionReason(message) });
      },
      failed: (url, error) => log.error({ object: url, err: error }, 'Currents object not imported (tried again at the next listing)'),
    },
  }));
  const stop = new AbortController();
  let running: Promise<void> | undefined;
  app.addHook('onClose', async () => {
    stop.abort();
    await running;
    for (const b of buckets) await b.close();
  });
  return {
    start() {
      running = followBuckets(importers, options.intervalMs, stop.signal).catch((error: unknown) => {
        log.error({ err: error }, 'following Currents buckets stopped');
      });
    },
  };
}

import type { AnalyticsData, CurrentsResult } from '@brazen/store';
import { readCurrentsFile, type CurrentsFile } from './currents-files.ts';

/** Where imported records go: a store, or a running brazen's POST /currents. */
export interface CurrentsTarget {
  ingest(ndjson: string): Promise<CurrentsResult>;
  close(): Promise<void>;
}

/** Records handed to a workspace of a store as NDJSON bytes (the engine parses them itself, fast). */
export function storeTarget(data: AnalyticsData, close: () => Promise<void> = async () => undefined): CurrentsTarget {
  return {
    ingest: (ndjson) => data.ingestCurrents({ bytes: Buffer.from(ndjson), format: 'ndjson' }),
    close,
  };
}

export function httpTarget(url: string, key: string): CurrentsTarget {
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

export interface ImportSums {
  records: number;
  stored: number;
  duplicates: number;
  rejected: number;
}

export const noSums = (): ImportSums => ({ records: 0, stored: 0, duplicates: 0, rejected: 0 });

export function addSums(to: ImportSums, from: ImportSums): void {
  to.records += from.records;
  to.stored += from.stored;
  to.duplicates += from.duplicates;
  to.rejected += from.rejected;
}

export interface FileImportOptions {
  batchSize: number;
  /** Bytes of the file read so far, and the records of it stored so far. */
  onProgress?: (bytes: number, sums: ImportSums) => void;
  /** A record the target rejected (its number in the file from 1, and why). */
  onRejected?: (record: number, message: string) => void;
}

/**
 * Imports one file batch by batch. The next batch is read while the target stores the last one
 * (the two use different cores); at most two batches are held at once.
 */
export async function importCurrentsFile(file: CurrentsFile, target: CurrentsTarget, options: FileImportOptions): Promise<ImportSums> {
  const sums = noSums();
  let bytes = 0;
  let pending: { stored: Promise<CurrentsResult>; first: number; records: number } | undefined;
  const settle = async () => {
    if (!pending) return;
    const { stored, first, records } = pending;
    pending = undefined;
    const result = await stored;
    for (const e of result.errors) options.onRejected?.(first + e.index + 1, e.message);
    addSums(sums, { records, stored: result.stored, duplicates: result.duplicates, rejected: result.errors.length });
    options.onProgress?.(bytes, sums);
  };
  let read = 0;
  try {
    for await (const batch of readCurrentsFile(file, options.batchSize, (b) => {
      bytes = b;
      options.onProgress?.(bytes, sums);
    })) {
      const ndjson = batch.map((r) => JSON.stringify(r)).join('\n');
      await settle();
      const stored = target.ingest(ndjson);
      stored.catch(() => undefined); // it is awaited later, by settle()
      pending = { stored, first: read, records: batch.length };
      read += batch.length;
    }
  } finally {
    // A batch handed to the target is waited for even when reading failed: it is being committed.
    const last = pending?.stored;
    if (last) await last.catch(() => undefined);
  }
  await settle();
  return sums;
}

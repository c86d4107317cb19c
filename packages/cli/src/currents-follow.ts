import { setTimeout as sleep } from 'node:timers/promises';
import type { Catalog } from '@brazen/store';
import type { BucketObject, CurrentsBucket } from './currents-bucket.ts';
import { CurrentsFileError } from './currents-files.ts';
import { addSums, importCurrentsFile, noSums, type CurrentsTarget, type ImportSums } from './currents-ingest.ts';

/**
 * Imports the objects of a Currents bucket into a store, each object once. What was imported is
 * entered in the store's import ledger (object URL, ETag, records) only once every record of the
 * object is stored, so an import cut anywhere (kill -9 included) starts that object again, and the
 * records of it already stored are skipped by id: nothing is lost and nothing counted twice.
 */

export interface BucketPass {
  /** Currents files under the prefix. */
  objects: number;
  /** Of them, imported now. */
  imported: number;
  /** Of them, in the ledger already. */
  alreadyImported: number;
  /** Of them, not imported because of an error (kept going: see `keepGoing`). */
  failed: number;
  sums: ImportSums;
}

/** What an import tells as it goes (a progress bar and lines for the command, the log for a server). */
export interface BucketImportReport {
  /** A pass found objects to import (their bytes in all). */
  passStarted?(todo: BucketObject[], alreadyImported: number): void;
  /** Bytes of this pass's objects read so far, and records of them stored so far. */
  progress?(bytes: number, sums: ImportSums): void;
  imported?(url: string, sums: ImportSums): void;
  rejected?(url: string, record: number, message: string): void;
  /** An object (or a listing) failed; with `keepGoing` the next pass tries it again. */
  failed?(url: string, error: Error): void;
}

export interface BucketImportOptions {
  batchSize: number;
  report?: BucketImportReport;
  /** Epoch milliseconds (the ledger's times). */
  now?: () => number;
}

type Ledger = Pick<Catalog, 'importedObjects' | 'recordImportedObject'>;

export class BucketImporter {
  /** Objects whose content cannot be read (not Avro, say): not tried again by this process. */
  private readonly unreadable = new Set<string>();

  constructor(
    readonly bucket: CurrentsBucket,
    private readonly ledger: Ledger,
    private readonly target: CurrentsTarget,
    private readonly options: BucketImportOptions,
  ) {}

  /**
   * Lists the prefix and imports every object not in the ledger, oldest hour first. A failure stops
   * the pass, unless `keepGoing`: then the object is reported and left for the next pass.
   */
  async pass(signal?: AbortSignal, keepGoing = false): Promise<BucketPass> {
    const report = this.options.report ?? {};
    let objects: BucketObject[];
    let done: Set<string>;
    try {
      objects = await this.bucket.list(signal);
      done = new Set((await this.ledger.importedObjects(this.bucket.url())).map((o) => `${o.url}\n${o.etag}`));
    } catch (error) {
      if (!keepGoing || signal?.aborted) throw error;
      // The listing failed (the network, credentials): the next pass tries again.
      report.failed?.(this.bucket.url(), error as Error);
      return { objects: 0, imported: 0, alreadyImported: 0, failed: 1, sums: noSums() };
    }
    const name = (o: BucketObject) => `${this.bucket.url(o.key)}\n${o.etag}`;
    const todo = objects.filter((o) => !done.has(name(o)) && !this.unreadable.has(name(o)));
    const pass: BucketPass = { objects: objects.length, imported: 0, alreadyImported: objects.length - todo.length, failed: 0, sums: noSums() };
    if (todo.length === 0) return pass;
    report.passStarted?.(todo, pass.alreadyImported);
    let before = 0;
    for (const object of todo) {
      if (signal?.aborted) break;
      const url = this.bucket.url(object.key);
      try {
        const sums = await importCurrentsFile(this.bucket.file(object, signal), this.target, {
          batchSize: this.options.batchSize,
          onProgress: (bytes, sofar) => {
            const all = { ...pass.sums };
            addSums(all, sofar);
            report.progress?.(before + bytes, all);
          },
          onRejected: (record, message) => report.rejected?.(url, record, message),
        });
        await this.ledger.recordImportedObject({ url, etag: object.etag, records: sums.records, importedAt: (this.options.now ?? Date.now)() / 1000 });
        addSums(pass.sums, sums);
        pass.imported += 1;
        report.imported?.(url, sums);
      } catch (error) {
        if (signal?.aborted) break;
        if (!keepGoing) throw error;
        pass.failed += 1;
        if (error instanceof CurrentsFileError) this.unreadable.add(name(object));
        report.failed?.(url, error as Error);
      }
      before += object.bytes;
      report.progress?.(before, pass.sums);
    }
    return pass;
  }
}

/**
 * Imports new objects of each bucket every `intervalMs` until `signal` aborts (an object being read
 * then is left for the next start; the batch being stored is committed first).
 */
export async function followBuckets(
  importers: BucketImporter[], intervalMs: number, signal: AbortSignal, onPass?: (importer: BucketImporter, pass: BucketPass) => void,
): Promise<void> {
  while (!signal.aborted) {
    for (const importer of importers) {
      if (signal.aborted) break;
      const pass = await importer.pass(signal, true).catch((error: unknown) => {
        if (signal.aborted) return undefined;
        throw error;
      });
      if (pass) onPass?.(importer, pass);
    }
    await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
  }
}

import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { CurrentsFileError, currentsFormat, type CurrentsFile, type CurrentsFileFormat } from './currents-files.ts';

/**
 * A bucket Braze Currents writes into (Amazon S3, or any store speaking S3: Google Cloud Storage
 * through its XML API, MinIO, ...). Currents lays its files out by integration, event type and
 * hour:
 *
 *   PREFIX/dataexport.CLUSTER.CONNECTION.integration.ID/event_type=TYPE/date=YYYY-MM-DD-HH/SCHEMA/ZONE/
 *     dataexport.CLUSTER.CONNECTION.integration.ID+PARTITION+OFFSET.avro
 *
 * Every object under the prefix that is a Currents file (.avro, or .ndjson/.jsonl/.json) is read;
 * its event type comes from its `event_type=` folder (else from its Avro schema).
 */

export interface BucketLocation {
  bucket: string;
  /** Key prefix: a folder (`currents/`), a file's key, or '' for the whole bucket. */
  prefix: string;
}

export interface BucketOptions {
  /** An S3-compatible endpoint (addressed path-style), e.g. https://storage.googleapis.com. */
  endpoint?: string;
  region?: string;
}

export interface BucketObject {
  key: string;
  /** The ETag as S3 gives it, without its quotes. */
  etag: string;
  bytes: number;
  format: CurrentsFileFormat;
}

export const isBucketUrl = (value: string): boolean => /^s3:\/\//i.test(value);

/** `s3://BUCKET[/PREFIX]`. */
export function parseBucketUrl(url: string): BucketLocation {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/i.exec(url);
  if (!m || !/^[a-z0-9][a-z0-9.\-_]{1,254}$/i.test(m[1])) {
    throw new CurrentsFileError(`${url}: not a bucket URL (expected s3://BUCKET or s3://BUCKET/PREFIX)`);
  }
  return { bucket: m[1], prefix: m[2] ?? '' };
}

/** The hour a Currents object's path names (`date=2024-03-01-10`), '' when none. */
const objectHour = (key: string): string => /(?:^|\/)date=([0-9-]+)\//.exec(key)?.[1] ?? '';

/** Oldest hour first, then by key, with the numbers in names compared as numbers (`+9` before `+10`). */
export function currentsOrder(a: BucketObject, b: BucketObject): number {
  const byHour = objectHour(a.key).localeCompare(objectHour(b.key));
  return byHour !== 0 ? byHour : a.key.localeCompare(b.key, 'en', { numeric: true });
}

export class CurrentsBucket {
  // The AWS SDK is loaded by the first bucket, not with every command (it takes a fifth of a second).
  private client: Promise<S3Client> | undefined;

  constructor(
    readonly location: BucketLocation,
    private readonly options: BucketOptions = {},
  ) {}

  /** `s3://BUCKET/KEY`: how the import ledger names an object. */
  url(key = this.location.prefix): string {
    return `s3://${this.location.bucket}/${key}`;
  }

  private connect(): Promise<S3Client> {
    // The SDK warns on Node 20 that its releases of 2027 will need Node 22: a note for brazen's
    // maintainers (the SDK version is pinned by the lock file), not for someone importing a bucket.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client ??= import('@aws-sdk/client-s3').then(({ S3Client }) => {
      const { endpoint, region } = this.options;
      // Credentials come from the SDK's usual chain (environment, ~/.aws, SSO, instance roles).
      return new S3Client({
        region: region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        // A bucket in another region than the one named is found anyway.
        followRegionRedirects: true,
        ...(endpoint
          ? {
            endpoint,
            forcePathStyle: true,
            // Checksums only where S3 requires them: S3-compatible servers do not all know the newer ones.
            requestChecksumCalculation: 'WHEN_REQUIRED' as const,
            responseChecksumValidation: 'WHEN_REQUIRED' as const,
          }
          : {}),
      });
    });
    return this.client;
  }

  /** The Currents files under the prefix, in the order Currents wrote them (by hour, then key). */
  async list(signal?: AbortSignal): Promise<BucketObject[]> {
    const client = await this.connect();
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const { bucket, prefix } = this.location;
    const out: BucketObject[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        { abortSignal: signal },
      );
      for (const o of page.Contents ?? []) {
        const key = o.Key ?? '';
        // `s3://b/currents` is the folder `currents/` (or the object of that key), not `currents-old/`.
        const inside = prefix === '' || prefix.endsWith('/') || key === prefix || key.startsWith(`${prefix}/`);
        const format = currentsFormat(key);
        if (!inside || !format || key.endsWith('/')) continue;
        out.push({ key, etag: unquote(o.ETag ?? ''), bytes: o.Size ?? 0, format });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort(currentsOrder);
  }

  /** The object as a Currents file, read as a stream of the version listed (`If-Match` its ETag). */
  file(object: BucketObject, signal?: AbortSignal): CurrentsFile {
    return {
      path: this.url(object.key),
      format: object.format,
      bytes: object.bytes,
      open: async () => {
        const client = await this.connect();
        const { GetObjectCommand } = await import('@aws-sdk/client-s3');
        const got = await client.send(
          new GetObjectCommand({ Bucket: this.location.bucket, Key: object.key, ...(object.etag ? { IfMatch: `"${object.etag}"` } : {}) }),
          { abortSignal: signal },
        );
        return got.Body as Readable;
      },
    };
  }

  async close(): Promise<void> {
    if (this.client) (await this.client).destroy();
  }
}

const unquote = (etag: string): string => etag.replace(/^W\//, '').replace(/^"|"$/g, '');

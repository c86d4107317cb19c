import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';

/** Where the files of an export go: a folder of the server (served as one zip by a signed URL)
 * or the workspace's S3 bucket. */
export interface ExportDestination {
  put(name: string, body: Buffer): Promise<void>;
  close(): void;
}

/** Files land under `DIR/JOB_ID/`, each written whole then renamed, so a crash never leaves half a file. */
export class LocalDestination implements ExportDestination {
  constructor(private readonly folder: string) {}

  async put(name: string, body: Buffer): Promise<void> {
    await mkdir(this.folder, { recursive: true });
    const temp = join(this.folder, `.${name}.part`);
    await writeFile(temp, body);
    await rename(temp, join(this.folder, name));
  }

  close(): void {}

  static async remove(folder: string): Promise<void> {
    await rm(folder, { recursive: true, force: true });
  }
}

export interface S3Settings {
  bucket: string;
  region?: string;
  prefix?: string;
  endpoint?: string;
  force_path_style?: boolean;
  access_key_id?: string;
  secret_access_key?: string;
  session_token?: string;
}

/** Objects land at `[PREFIX/]segment-export/SEGMENT_ID/YYYY-MM-dd/OBJECT_PREFIX/FILE` (SPEC §6). */
export class S3Destination implements ExportDestination {
  // The AWS SDK is loaded when a first file goes to S3, not with the server (it takes a fifth of a second).
  private client: S3Client | undefined;
  private sdk: Promise<typeof import('@aws-sdk/client-s3')> | undefined;

  constructor(
    private readonly s3: S3Settings,
    private readonly keyPrefix: string,
  ) {}

  private loadSdk(): Promise<typeof import('@aws-sdk/client-s3')> {
    return (this.sdk ??= import('@aws-sdk/client-s3'));
  }

  private async connect(): Promise<S3Client> {
    const { S3Client } = await this.loadSdk();
    const s3 = this.s3;
    this.client ??= new S3Client({
      region: s3.region ?? 'us-east-1',
      ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
      forcePathStyle: s3.force_path_style === true,
      // Checksums only where S3 requires them: S3-compatible servers do not all know the newer ones.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(s3.access_key_id && s3.secret_access_key
        ? { credentials: { accessKeyId: s3.access_key_id, secretAccessKey: s3.secret_access_key, sessionToken: s3.session_token } }
        : {}),
    });
    return this.client;
  }

  static key(s3: Pick<S3Settings, 'prefix'>, segmentId: string, day: string, objectPrefix: string, name: string): string {
    const base = s3.prefix ? `${s3.prefix.replace(/\/+$/, '')}/` : '';
    return `${base}segment-export/${segmentId}/${day}/${objectPrefix}/${name}`;
  }

  async put(name: string, body: Buffer): Promise<void> {
    const client = await this.connect();
    const { PutObjectCommand } = await this.loadSdk();
    await client.send(new PutObjectCommand({
      Bucket: this.s3.bucket,
      Key: `${this.keyPrefix}/${name}`,
      Body: body,
      ContentType: name.endsWith('.zip') ? 'application/zip' : 'application/gzip',
    }));
  }

  close(): void {
    this.client?.destroy();
  }
}

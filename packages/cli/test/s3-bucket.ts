import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** A real local S3 server (s3rver) on a free port of 127.0.0.1, with one bucket. */
export async function startS3(bucket: string) {
  // The SDK's notice that its releases of 2027 will need Node 22 (see currents-bucket.ts).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dir = mkdtempSync(join(tmpdir(), 'brazen-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    /** The environment a brazen process reads the bucket with: the AWS SDK's usual variables. */
    env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
    put: (key: string, body: Buffer | string) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })),
    close: async () => {
      client.destroy();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where a Currents integration writes the objects of an event type and hour (Braze's documented layout). */
export function currentsKey(
  prefix: string, eventType: string, hour: string, offset: number,
  { integration = '5f0e7f2a6c5b4d3e2f1a0b9c', cluster = 'prod-03', schema = 1, zone = 0, partition = 0 } = {},
): string {
  const name = `dataexport.${cluster}.S3.integration.${integration}`;
  return `${prefix}/${name}/event_type=${eventType}/date=${hour}/${schema}/${zone}/${name}+${partition}+${offset}.avro`;
}

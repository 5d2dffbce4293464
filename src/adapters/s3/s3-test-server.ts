// For tests: the local S3 server (scripts/s3.sh, S3Proxy) and a fresh bucket per suite.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3'
import type { S3ObjectStoreOptions } from './s3-object-store.ts'

const SCRIPT = fileURLToPath(new URL('../../../scripts/s3.sh', import.meta.url))

export interface TestS3Server {
  endpoint: string
  region: string
  accessKeyId: string
  secretAccessKey: string
}

/** Starts the server when it is not running (a no-op when it is); env as scripts/s3.sh reads it. */
export function ensureS3Server(env: NodeJS.ProcessEnv = process.env): TestS3Server {
  const endpoint = execFileSync('bash', [SCRIPT, 'start'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
    .trim()
    .split('\n')
    .pop()!
  return {
    endpoint,
    region: 'us-east-1',
    accessKeyId: env['S3_ACCESS_KEY'] ?? 'streamwatch',
    secretAccessKey: env['S3_SECRET_KEY'] ?? 'streamwatch-secret',
  }
}

export function stopS3Server(env: NodeJS.ProcessEnv): void {
  execFileSync('bash', [SCRIPT, 'stop'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
}

const created: Array<{ server: TestS3Server; url: string }> = []

function adminClient(server: TestS3Server): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  })
}

/**
 * Creates a bucket with a unique name; returns the store options for `s3://{bucket}/{prefix}`.
 * `deleteTestBuckets` deletes it, unless `deleteAfter` is false (a server the test wipes itself).
 */
export async function createTestBucket(
  server: TestS3Server,
  prefix = 'lake',
  { deleteAfter = true } = {},
): Promise<S3ObjectStoreOptions> {
  const bucket = `test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
  const client = adminClient(server)
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }))
    if (deleteAfter) created.push({ server, url: `s3://${bucket}` })
  } finally {
    client.destroy()
  }
  return {
    url: `s3://${bucket}/${prefix}`,
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  }
}

/** Deletes a test bucket with everything in it (uploads in progress too), so test runs do not fill the disk. */
export async function deleteTestBucket(server: TestS3Server, url: string): Promise<void> {
  const Bucket = new URL(url).host
  const client = adminClient(server)
  try {
    let ContinuationToken: string | undefined
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket, ContinuationToken }))
      for (const object of page.Contents ?? []) {
        await client.send(new DeleteObjectCommand({ Bucket, Key: object.Key! }))
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (ContinuationToken)
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket }))
    for (const upload of uploads.Uploads ?? []) {
      await client.send(
        new AbortMultipartUploadCommand({ Bucket, Key: upload.Key!, UploadId: upload.UploadId! }),
      )
    }
    await client.send(new DeleteBucketCommand({ Bucket }))
  } finally {
    client.destroy()
  }
}

/** Deletes every bucket createTestBucket made in this process (on servers still up); failures are reported, not thrown. */
export async function deleteTestBuckets(): Promise<void> {
  for (const { server, url } of created.splice(0)) {
    await deleteTestBucket(server, url).catch((error: unknown) =>
      process.stderr.write(`could not delete test bucket ${url}: ${(error as Error).message}\n`),
    )
  }
}

// Deletes what a benchmark run left behind: its lake objects and its Kafka topics.

import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { Admin } from '@platformatic/kafka'

export async function deleteLakePrefix(
  s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string },
  prefix: string,
): Promise<number> {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  })
  let deleted = 0
  try {
    for (;;) {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/` }))
      const keys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []))
      if (keys.length === 0) return deleted
      // one by one: the local S3 server refuses DeleteObjects' checksum header
      for (let i = 0; i < keys.length; i += 8) {
        await Promise.all(
          keys
            .slice(i, i + 8)
            .map(({ Key }) => client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key }))),
        )
      }
      deleted += keys.length
    }
  } finally {
    client.destroy()
  }
}

/** Deletes the Kafka topics whose names start with `prefix` (a run's own: `bench.<run>.`). */
export async function deleteTopicsWithPrefix(brokers: string, prefix: string): Promise<number> {
  const admin = new Admin({ clientId: 'bench-cleanup', bootstrapBrokers: brokers.split(',') })
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
    return topics.length
  } finally {
    await admin.close()
  }
}

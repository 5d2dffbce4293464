// ObjectStore on S3 or an S3-compatible server, through the AWS SDK v3, as on AWS itself.
//
// A PUT is atomic in S3: the object appears whole once the request succeeds, or not at all.
// Objects above `multipartThresholdBytes` go as a multipart upload, which is atomic too (nothing
// is visible until CompleteMultipartUpload); a failed upload is aborted so its parts do not linger.
// The SDK retries each request (`maxAttempts`, exponential backoff with jitter); errors that are
// left are StreamwatchErrors that say whether another try can help (s3-errors.ts).
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { StreamwatchError } from '../../errors.ts'
import type { ObjectStore, StoredObject } from '../../pipelines/ports.ts'
import { isMissingObject, toStoreError } from './s3-errors.ts'

const MIB = 1024 * 1024

export interface S3ObjectStoreOptions {
  /** `s3://bucket/prefix`: keys are stored under `prefix/` */
  url: string
  /** an S3-compatible server; unset for AWS */
  endpoint?: string
  forcePathStyle?: boolean
  region: string
  /** unset: the SDK's default credential chain (env, profile, instance role) */
  accessKeyId?: string
  secretAccessKey?: string
  /** default 16 MiB */
  multipartThresholdBytes?: number
  /** default 8 MiB (S3's minimum part is 5 MiB) */
  partSizeBytes?: number
  /** keys per ListObjectsV2 page, at most 1000 (default) */
  listPageSize?: number
  /** attempts per request, first included (default 3) */
  maxAttempts?: number
  connectionTimeoutMs?: number
  requestTimeoutMs?: number
}

export interface S3Location {
  bucket: string
  /** '' or ending in '/' */
  prefix: string
}

export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url)
  if (!match)
    throw new StreamwatchError('config_invalid', `s3: ${JSON.stringify(url)} is not s3://bucket/prefix`)
  const path = match[2]!.replace(/^\/+|\/+$/g, '')
  return { bucket: match[1]!, prefix: path === '' ? '' : `${path}/` }
}

export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const { bucket, prefix } = parseS3Url(options.url)
  const multipartThresholdBytes = options.multipartThresholdBytes ?? 16 * MIB
  const partSizeBytes = Math.max(5 * MIB, options.partSizeBytes ?? 8 * MIB)
  const listPageSize = Math.min(1000, options.listPageSize ?? 1000)
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
    maxAttempts: options.maxAttempts ?? 3,
    // Checksums only where S3 requires them: S3-compatible servers disagree on the newer
    // (CRC32 trailer) flavours, and TLS plus Content-Length already guard the bytes.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5_000,
      requestTimeout: options.requestTimeoutMs ?? 120_000,
      throwOnRequestTimeout: true,
    },
  })

  async function putMultipart(Key: string, bytes: Uint8Array): Promise<void> {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }))
    if (!UploadId)
      throw new StreamwatchError('store_unavailable', 's3: CreateMultipartUpload gave no UploadId')
    try {
      const parts: { ETag: string; PartNumber: number }[] = []
      for (let start = 0, PartNumber = 1; start < bytes.byteLength; start += partSizeBytes, PartNumber++) {
        const Body = bytes.subarray(start, Math.min(bytes.byteLength, start + partSizeBytes))
        const { ETag } = await client.send(
          new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber, Body }),
        )
        parts.push({ ETag: ETag ?? '', PartNumber })
      }
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      )
    } catch (error) {
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }))
        .catch(() => undefined)
      throw error
    }
  }

  return {
    url: `s3://${bucket}/${prefix}`,

    async put(key, bytes) {
      try {
        if (bytes.byteLength > multipartThresholdBytes) await putMultipart(prefix + key, bytes)
        else await client.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: bytes }))
      } catch (error) {
        throw toStoreError(`put ${prefix + key}`, error)
      }
    },

    async get(key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + key }))
        return response.Body ? await response.Body.transformToByteArray() : new Uint8Array(0)
      } catch (error) {
        if (isMissingObject(error)) return undefined
        throw toStoreError(`get ${prefix + key}`, error)
      }
    },

    async head(key) {
      try {
        const response = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + key }))
        return { key, sizeBytes: response.ContentLength ?? 0 }
      } catch (error) {
        if (isMissingObject(error)) return undefined
        throw toStoreError(`head ${prefix + key}`, error)
      }
    },

    async *list(listPrefix, listOptions = {}): AsyncGenerator<StoredObject> {
      let ContinuationToken: string | undefined
      const StartAfter = listOptions.startAfter === undefined ? undefined : prefix + listOptions.startAfter
      do {
        let page: ListObjectsV2CommandOutput
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix + listPrefix,
              MaxKeys: listPageSize,
              ...(ContinuationToken ? { ContinuationToken } : StartAfter ? { StartAfter } : {}),
            }),
          )
        } catch (error) {
          throw toStoreError(`list ${prefix + listPrefix}`, error)
        }
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined || object.Key.endsWith('/')) continue
          yield { key: object.Key.slice(prefix.length), sizeBytes: object.Size ?? 0 }
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (ContinuationToken)
    },

    async close() {
      client.destroy()
    },
  }
}

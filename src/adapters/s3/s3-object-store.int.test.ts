// Against a real S3 server: S3Proxy started by scripts/s3.sh (docs/decisions/0003-s3-server.md).
import { afterAll, describe, expect, it } from 'vitest'
import { describeObjectStoreContract } from '../files/object-store-contract.ts'
import { createS3ObjectStore, parseS3Url, type S3ObjectStoreOptions } from './s3-object-store.ts'
import { createTestBucket, deleteTestBuckets, ensureS3Server } from './s3-test-server.ts'

const server = ensureS3Server()
afterAll(deleteTestBuckets)
const specs = new Map<string, S3ObjectStoreOptions>()

describeObjectStoreContract('s3', {
  async create() {
    // Small pages and a 5 MiB multipart threshold, so the suite crosses page and part boundaries.
    const options = {
      ...(await createTestBucket(server)),
      listPageSize: 7,
      multipartThresholdBytes: 5 * 1024 * 1024,
    }
    const store = createS3ObjectStore(options)
    specs.set(store.url, options)
    return store
  },
  childSpec: (store) => ({ kind: 's3', ...specs.get(store.url) }),
})

describe('createS3ObjectStore', () => {
  it.each([
    ['s3://bucket', { bucket: 'bucket', prefix: '' }],
    ['s3://bucket/', { bucket: 'bucket', prefix: '' }],
    ['s3://bucket/lake', { bucket: 'bucket', prefix: 'lake/' }],
    ['s3://bucket//a/b/', { bucket: 'bucket', prefix: 'a/b/' }],
  ])('parses %s', (url, location) => {
    expect(parseS3Url(url)).toEqual(location)
  })

  it('keeps keys under the URL prefix, and two prefixes apart', async () => {
    const options = await createTestBucket(server, 'one')
    const one = createS3ObjectStore(options)
    const two = createS3ObjectStore({ ...options, url: options.url.replace(/one$/, 'two') })
    await one.put('k', new Uint8Array([1]))
    expect(await two.get('k')).toBeUndefined()
    const keys: string[] = []
    for await (const o of one.list('')) keys.push(o.key)
    expect(keys).toEqual(['k'])
    await Promise.all([one.close(), two.close()])
  })

  it('says a server that does not answer is worth retrying', async () => {
    const store = createS3ObjectStore({
      ...(await createTestBucket(server)),
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    })
    await expect(store.put('k', new Uint8Array(1))).rejects.toMatchObject({
      code: 'store_unavailable',
      retriable: true,
    })
    await store.close()
  })

  it.each([
    ['a missing bucket', (o: S3ObjectStoreOptions) => ({ ...o, url: 's3://no-such-bucket-here/lake' })],
    ['a wrong secret', (o: S3ObjectStoreOptions) => ({ ...o, secretAccessKey: 'wrong' })],
  ])('says %s is not worth retrying', async (_, change) => {
    const store = createS3ObjectStore(change(await createTestBucket(server)))
    await expect(store.put('k', new Uint8Array(1))).rejects.toMatchObject({
      code: 'store_unavailable',
      retriable: false,
    })
    await expect(store.get('k')).rejects.toMatchObject({ retriable: false })
    await store.close()
  })
})

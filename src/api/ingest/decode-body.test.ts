import { deflateSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../api-error.ts'
import { decodeBody } from './decode-body.ts'

const MIB = 1024 * 1024

describe('decodeBody', () => {
  const text = Buffer.from('{"a":1}\n'.repeat(100))

  it.each([
    [undefined, text],
    ['identity', text],
    ['gzip', gzipSync(text)],
    ['x-gzip', gzipSync(text)],
    ['GZIP', gzipSync(text)],
    ['deflate', deflateSync(text)],
  ])('%s', async (encoding, body) => {
    expect(await decodeBody(body, encoding, MIB)).toEqual(text)
  })

  it('stops a gzip bomb at the cap with a 413', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MIB))
    expect(bomb.length).toBeLessThan(100 * 1024)
    const started = performance.now()
    const error = await decodeBody(bomb, 'gzip', MIB).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ statusCode: 413, code: 'payload_too_large' })
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('refuses corrupt data with a 400 and unknown encodings with a 415', async () => {
    await expect(decodeBody(Buffer.from('not gzip'), 'gzip', MIB)).rejects.toMatchObject({ statusCode: 400 })
    await expect(decodeBody(text, 'br', MIB)).rejects.toMatchObject({ statusCode: 415 })
  })
})

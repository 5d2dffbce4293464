// Content-Encoding of an ingest body. Decompression is capped: a gzip bomb (a few kilobytes that
// inflate to gigabytes) stops at `maxBytes` of output with a 413, never holding more in memory.
import { promisify } from 'node:util'
import { gunzip, inflate } from 'node:zlib'
import { ApiError } from '../api-error.ts'
import { BODY_LIMIT_HEADER } from '../body-limit.ts'

const gunzipAsync = promisify(gunzip)
const inflateAsync = promisify(inflate)

export async function decodeBody(
  body: Buffer,
  encoding: string | undefined,
  maxBytes: number,
): Promise<Buffer> {
  const name = (encoding ?? 'identity').trim().toLowerCase()
  if (name === 'identity' || name === '') return body
  if (name !== 'gzip' && name !== 'x-gzip' && name !== 'deflate') {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `content-encoding: "${name}" is not gzip, deflate or identity`,
    )
  }
  try {
    const inflateBody = name === 'deflate' ? inflateAsync : gunzipAsync
    return await inflateBody(body, { maxOutputLength: maxBytes })
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new ApiError(
        413,
        'payload_too_large',
        `body: more than ${maxBytes} bytes once decompressed; send it in smaller requests`,
        { [BODY_LIMIT_HEADER]: String(maxBytes) },
      )
    }
    throw new ApiError(400, 'bad_request', `body: not valid ${name} data (${(error as Error).message})`)
  }
}

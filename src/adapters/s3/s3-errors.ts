// Translates AWS SDK errors into StreamwatchErrors at the edge: can a retry help?
import { StreamwatchError } from '../../errors.ts'

interface SdkError {
  name?: string
  code?: string
  message?: string
  $retryable?: unknown
  $metadata?: { httpStatusCode?: number }
}

/** Network failures: the server is down, restarting or unreachable for now. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
])

const RETRIABLE_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
])

export function isRetriableS3Error(error: unknown): boolean {
  const e = error as SdkError
  if (e?.$retryable) return true
  const status = e?.$metadata?.httpStatusCode
  if (status !== undefined && (status >= 500 || status === 429 || status === 408)) return true
  if (e?.name && RETRIABLE_NAMES.has(e.name)) return true
  const code = e?.code ?? (e as { cause?: SdkError })?.cause?.code
  return code !== undefined && NETWORK_CODES.has(code)
}

/** 404s that mean "no such object", as opposed to "no such bucket" (a configuration error). */
export function isMissingObject(error: unknown): boolean {
  const e = error as SdkError
  return (
    e?.name === 'NoSuchKey' ||
    e?.name === 'NotFound' ||
    (e?.$metadata?.httpStatusCode === 404 && e?.name !== 'NoSuchBucket')
  )
}

export function toStoreError(action: string, error: unknown): StreamwatchError {
  if (error instanceof StreamwatchError) return error
  const e = error as SdkError
  const status = e?.$metadata?.httpStatusCode
  const detail = [e?.name, e?.code, status === undefined ? undefined : `HTTP ${status}`]
    .filter(Boolean)
    .join(', ')
  return new StreamwatchError(
    'store_unavailable',
    `s3: ${action}: ${e?.message ?? String(error)} (${detail})`,
    {
      retriable: isRetriableS3Error(error),
      cause: error,
    },
  )
}

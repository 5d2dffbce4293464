// The API's errors: an HTTP status, a code from a closed list (src/contracts/api.ts) and a message
// for people that names the parameter at fault. Nothing else reaches a client: no stack traces.
import type { ApiErrorCode } from '../contracts/api.ts'

export class ApiError extends Error {
  readonly statusCode: number
  readonly code: ApiErrorCode
  /** extra response headers, e.g. Retry-After */
  readonly headers: Record<string, string>
  constructor(statusCode: number, code: ApiErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.name = 'ApiError'
    this.statusCode = statusCode
    this.code = code
    this.headers = headers
  }
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'bad_request', message)
}

export function notFound(message: string): ApiError {
  return new ApiError(404, 'not_found', message)
}

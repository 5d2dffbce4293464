// Every failure as `{ error, message }` with the right status. Messages of our own errors and of
// Fastify's request errors are safe to show; anything else is a 500 whose details go to the log
// only, under the request id the client is given. An answer given before the request's body has
// arrived waits until the client has sent it (body-limit.ts), so that the client can read it.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { ApiErrorCode } from '../contracts/api.ts'
import { StreamwatchError } from '../errors.ts'
import { ApiError } from './api-error.ts'
import { BODY_LIMIT_HEADER, discardRequestBody } from './body-limit.ts'

const CODE_OF_STATUS: Record<number, ApiErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
}

/** Fastify's own request errors, with messages that name the problem. */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'content-type: not accepted by this endpoint',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'body: empty, but content-type is application/json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'body: not valid JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'content-length: does not match the body',
  FST_ERR_CTP_EMPTY_TYPE: 'content-type: empty',
  FST_ERR_CTP_INVALID_TYPE: 'content-type: not a valid media type',
}

export interface ErrorReply {
  statusCode: number
  body: { error: ApiErrorCode; message: string }
  headers: Record<string, string>
}

export function toErrorReply(error: unknown, requestId: string, bodyLimitBytes: number): ErrorReply {
  if ((error as Partial<FastifyError> | undefined)?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      statusCode: 413,
      body: {
        error: 'payload_too_large',
        message: `body: larger than ${bodyLimitBytes} bytes, the limit of this endpoint; send it in smaller requests`,
      },
      headers: { [BODY_LIMIT_HEADER]: String(bodyLimitBytes) },
    }
  }
  if (error instanceof ApiError) {
    return {
      statusCode: error.statusCode,
      body: { error: error.code, message: error.message },
      headers: error.headers,
    }
  }
  if (error instanceof StreamwatchError) return fromStreamwatchError(error, requestId)
  const fastifyError = error as Partial<FastifyError> | undefined
  const status = fastifyError?.statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = CODE_OF_STATUS[status] ?? 'bad_request'
    const known = fastifyError?.code ? FASTIFY_MESSAGES[fastifyError.code] : undefined
    const message =
      known ??
      (error instanceof SyntaxError ? `body: not valid JSON (${error.message})` : safeMessage(fastifyError))
    return { statusCode: status, body: { error: code, message }, headers: {} }
  }
  return internal(requestId)
}

function fromStreamwatchError(error: StreamwatchError, requestId: string): ErrorReply {
  switch (error.code) {
    case 'db_unavailable':
    case 'db_conflict':
    case 'bus_unavailable':
    case 'store_unavailable': {
      const timeout = /\(57014\)/.test(error.message)
      return {
        statusCode: 503,
        body: {
          error: 'unavailable',
          message: timeout
            ? 'the query took too long; narrow the time range or add filters'
            : `${error.code === 'bus_unavailable' ? 'the bus' : 'the database'} is unavailable; retry shortly`,
        },
        headers: { 'retry-after': '2' },
      }
    }
    case 'invalid_input':
      return { statusCode: 400, body: { error: 'bad_request', message: error.message }, headers: {} }
    default:
      return internal(requestId)
  }
}

function safeMessage(error: Partial<FastifyError> | undefined): string {
  const message = typeof error?.message === 'string' ? error.message : 'bad request'
  return message.split('\n', 1)[0]!.slice(0, 300)
}

function internal(requestId: string): ErrorReply {
  return {
    statusCode: 500,
    body: {
      error: 'internal',
      message: `internal error; the server log has the details (request ${requestId})`,
    },
    headers: {},
  }
}

export async function handleError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { statusCode, body, headers } = toErrorReply(error, request.id, request.routeOptions.bodyLimit)
  if (statusCode >= 500) {
    request.log.error({ err: error, route: request.routeOptions.url, statusCode }, 'request failed')
  } else {
    request.log.debug(
      { route: request.routeOptions.url, statusCode, message: body.message },
      'request refused',
    )
  }
  // past the discard bound the client is still writing: answer now and close the connection
  if (!(await discardRequestBody(request))) reply.header('connection', 'close')
  return reply.code(statusCode).headers(headers).type('application/json; charset=utf-8').send(body)
}

// Bodies over a route's limit get a 413 that every client can read.
//
// A server that answers 413 and closes while the client is still writing makes the client's next
// write fail (EPIPE, ECONNRESET): `fetch`, axios and curl then report a network error, never the
// 413, and a retrying client sends the same body again. So the refusal is made readable two ways:
//
// - `Expect: 100-continue` (curl sends it for bodies over 1 MiB): the 100 is sent only once the
//   route, the auth check and the declared Content-Length allow the body; otherwise the final
//   answer (413, 401, 429…) goes before a byte of the body is sent.
// - Otherwise the rest of a refused body is read and thrown away before the answer, up to
//   `discardLimitBytes` (4 times the route's limit, at least 8 MiB) and `DISCARD_TIMEOUT_MS`; only a
//   client past either bound gets the answer while still writing, and the connection closed.
//   Discarding holds no data: memory per connection stays one socket read.
import type { IncomingMessage, Server } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'

export const DISCARD_TIMEOUT_MS = 10_000
const MIN_DISCARD_BYTES = 8 * 1024 * 1024
/** the response header that states the route's body limit in bytes, on every 413 */
export const BODY_LIMIT_HEADER = 'x-max-body-bytes'

/** How much of a refused body is read and discarded so that its client can read the answer. */
export function discardLimitBytes(bodyLimitBytes: number): number {
  return Math.max(4 * bodyLimitBytes, MIN_DISCARD_BYTES)
}

/** requests to which a 100 Continue was sent: their clients send the body */
const continued = new WeakSet<IncomingMessage>()

/**
 * Sends `100 Continue` only to requests whose declared body fits the route; register after every
 * check that may refuse a request before its body is read (auth).
 */
export function registerExpectContinue(app: FastifyInstance): void {
  const server = app.server as Server
  // with a listener, Node no longer answers 100 by itself: the preParsing hook below decides
  server.on('checkContinue', (request, response) => server.emit('request', request, response))
  app.addHook('preParsing', async (request, reply, payload) => {
    if (!expectsContinue(request.raw)) return payload
    const declared = Number(request.headers['content-length'])
    if (Number.isFinite(declared) && declared > request.routeOptions.bodyLimit) return payload
    reply.raw.writeContinue()
    continued.add(request.raw)
    return payload
  })
}

/**
 * Before an error answer: reads and discards what is left of the request's body, within the
 * bounds above. Resolves true when the whole body has arrived (the client will read the answer),
 * false when it stopped at a bound (the answer goes now and the connection closes).
 */
export function discardRequestBody(request: FastifyRequest): Promise<boolean> {
  const raw = request.raw
  if (raw.complete || raw.readableEnded || raw.destroyed) return Promise.resolve(true)
  // asked to wait for our 100 and never got it: the client sends nothing until it has the answer
  if (expectsContinue(raw) && !continued.has(raw)) return Promise.resolve(true)
  const maxBytes = discardLimitBytes(request.routeOptions.bodyLimit)
  return new Promise((resolve) => {
    let received = 0
    const finish = (whole: boolean) => {
      clearTimeout(timer)
      raw.off('data', onData)
      raw.off('end', onEnd)
      raw.off('error', onError)
      raw.off('close', onError)
      resolve(whole)
    }
    const onData = (chunk: Buffer) => {
      received += chunk.length
      if (received > maxBytes) finish(false)
    }
    const onEnd = () => finish(true)
    const onError = () => finish(raw.complete)
    const timer = setTimeout(() => finish(false), DISCARD_TIMEOUT_MS)
    timer.unref()
    raw.on('data', onData)
    raw.on('end', onEnd)
    raw.on('error', onError)
    raw.on('close', onError)
    raw.resume()
  })
}

function expectsContinue(raw: IncomingMessage): boolean {
  return (raw.headers.expect ?? '').toLowerCase() === '100-continue'
}

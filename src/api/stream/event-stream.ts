// One Server-Sent Events response. Writes are bounded: a client that does not read (its socket
// buffer holds more than maxBufferedBytes) is disconnected rather than buffered for without end;
// it reconnects with Last-Event-ID and catches up from the database.
import type { FastifyReply, FastifyRequest } from 'fastify'

export interface EventStreamOptions {
  /** advised reconnection delay (`retry:`) */
  retryMs: number
  maxBufferedBytes: number
}

export interface EventStream {
  /** `id` must not contain a line break */
  send(event: string, data: unknown, id?: string): void
  /** a comment line: ignored by clients, keeps proxies from closing an idle connection */
  comment(text: string): void
  close(): void
  readonly closed: boolean
  onClose(listener: () => void): void
}

export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  options: EventStreamOptions,
): EventStream {
  reply.hijack()
  const raw = reply.raw
  const listeners: Array<() => void> = []
  let closed = false
  // headers set on the reply by hooks (CORS, rate limit) are not sent by a hijacked reply: copy them
  const hookHeaders = Object.fromEntries(
    Object.entries(reply.getHeaders()).filter(([, v]) => v !== undefined) as Array<[string, string | number]>,
  )
  raw.writeHead(200, {
    ...hookHeaders,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx and similar proxies otherwise buffer the stream
    'x-accel-buffering': 'no',
  })
  raw.write(`retry: ${options.retryMs}\n\n`)

  function close() {
    if (closed) return
    closed = true
    for (const listener of listeners.splice(0)) listener()
    if (!raw.writableEnded) raw.end()
  }
  request.raw.on('close', close)
  raw.on('close', close)
  raw.on('error', close)

  function write(chunk: string) {
    if (closed) return
    if (raw.writableLength > options.maxBufferedBytes) {
      request.log.warn({ bufferedBytes: raw.writableLength }, 'stream: client too slow, disconnecting it')
      close()
      return
    }
    raw.write(chunk)
  }

  return {
    send(event, data, id) {
      write(`event: ${event}\n${id ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`)
    },
    comment(text) {
      write(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`)
    },
    close,
    get closed() {
      return closed
    },
    onClose(listener) {
      if (closed) listener()
      else listeners.push(listener)
    },
  }
}

// A local stand-in for Slack's incoming webhook whose behaviour a scenario switches in phases:
// answering (ok), down (the server closed: connection refused), slow (the answer held back),
// rate limited (429 with Retry-After) or failing (a 5xx). Unlike test/support/slack-receiver.ts it
// keeps one port across a down phase, so the alerter's configured URL stays valid, and it records
// whether the client was still there when the answer went out.
//
// A message counts as delivered when the receiver decides to answer it 2xx, whether or not the
// client stays to read the answer: Slack posts a message before it answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { readWebhookRequest } from '../../support/slack-receiver.ts'

export type ReceiverMode =
  | { kind: 'ok' }
  | { kind: 'down' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  | { kind: 'failing'; status: number }

export interface FaultyRequest {
  /** 0, 1, 2... in arrival order */
  index: number
  /** wall time the request's body was complete */
  atMs: number
  mode: ReceiverMode['kind']
  status: number
  delivered: boolean
  /** Block Kit limits the message breaks (empty: valid) */
  problems: string[]
  /** ids in the firing message's `anomaly-ids-N` blocks */
  firingIds: string[]
  /** ids in the resolved message's `resolved-ids-N` blocks */
  resolvedIds: string[]
  /** the client closed the connection before the answer was written (it died, or timed out) */
  abandoned: boolean
}

export interface FaultyReceiver {
  url: string
  requests: FaultyRequest[]
  mode(): ReceiverMode['kind']
  /** Switches behaviour; entering `down` closes the server, leaving it listens again on the same port. */
  setMode(mode: ReceiverMode): Promise<void>
  close(): Promise<void>
}

export async function startFaultyReceiver(): Promise<FaultyReceiver> {
  let mode: ReceiverMode = { kind: 'ok' }
  const requests: FaultyRequest[] = []
  const sockets = new Set<Socket>()

  function handle(req: IncomingMessage, res: ServerResponse): void {
    readWebhookRequest(req, ({ problems, firingIds, resolvedIds }) => {
      const answer = answerFor(mode, problems)
      const request: FaultyRequest = {
        index: requests.length,
        atMs: Date.now(),
        mode: mode.kind,
        status: answer.status,
        delivered: answer.status >= 200 && answer.status < 300,
        problems,
        firingIds,
        resolvedIds,
        abandoned: false,
      }
      requests.push(request)
      res.on('close', () => {
        if (!res.writableFinished) request.abandoned = true
      })
      const send = () => {
        if (res.destroyed) return
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers })
        res.end(answer.body)
      }
      if (answer.delayMs > 0) setTimeout(send, answer.delayMs)
      else send()
    })
  }

  async function listen(port: number): Promise<Server> {
    const server = createServer(handle)
    server.on('connection', (socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    // the port was ours a moment ago; a socket of the old server may still hold it briefly
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen(port, '127.0.0.1', () => {
            server.off('error', reject)
            resolve()
          })
        })
        return server
      } catch (error) {
        if (attempt >= 20) throw error
        await sleep(250)
      }
    }
  }

  async function shut(server: Server): Promise<void> {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  let server: Server | undefined = await listen(0)
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/FAULTS`,
    requests,
    mode: () => mode.kind,
    async setMode(next) {
      if (next.kind === 'down' && server) {
        const closing = server
        server = undefined
        mode = next
        await shut(closing)
        return
      }
      mode = next
      if (next.kind !== 'down' && !server) server = await listen(port)
    },
    async close() {
      if (server) await shut(server)
      server = undefined
    },
  }
}

interface Answer {
  status: number
  body: string
  headers: Record<string, string>
  delayMs: number
}

function answerFor(mode: ReceiverMode, problems: string[]): Answer {
  if (problems.length > 0) return { status: 400, body: 'invalid_blocks', headers: {}, delayMs: 0 }
  switch (mode.kind) {
    case 'ok':
    case 'down': // a request that arrived on a connection opened just before the server closed
      return { status: 200, body: 'ok', headers: {}, delayMs: 0 }
    case 'slow':
      return { status: 200, body: 'ok', headers: {}, delayMs: mode.delayMs }
    case 'rate-limited':
      return {
        status: 429,
        body: 'rate_limited',
        headers: { 'retry-after': String(mode.retryAfterSeconds) },
        delayMs: 0,
      }
    case 'failing':
      return { status: mode.status, body: 'internal_error', headers: {}, delayMs: 0 }
  }
}

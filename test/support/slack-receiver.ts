// A local HTTP server in place of Slack's incoming webhook, for tests. It checks every message
// against Block Kit's limits (answering 400 invalid_blocks, as Slack does, when one breaks them),
// records what arrived and when, and answers as the test scripts it: 200, 429 with Retry-After,
// 5xx, any 4xx, a hang past the client's timeout, or a reset connection.
//
// A message counts as delivered when the receiver decides to answer it 2xx, whether or not the
// client is still there to read the answer: Slack posts a message before it answers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { type SlackMessage, validateSlackMessage } from '../../src/core/alerting/index.ts'
import { idsInMessage } from '../../src/core/alerting/test-builders.ts'

export type ReceiverAnswer =
  | { status: number; body?: string; headers?: Record<string, string>; delayMs?: number }
  /** never answer (until the receiver closes) */
  | { hang: true }
  /** destroy the connection without an answer */
  | { reset: true }

export interface ReceivedRequest {
  /** 0, 1, 2... in arrival order */
  index: number
  /** wall time the request's body was complete */
  atMs: number
  message: SlackMessage | undefined
  /** Block Kit limits the message breaks (empty: valid) */
  problems: string[]
  answer: ReceiverAnswer
  delivered: boolean
  /** ids in the firing message's `anomaly-ids-N` blocks */
  firingIds: string[]
  /** ids in the resolved message's `resolved-ids-N` blocks */
  resolvedIds: string[]
}

/** Decides each answer; by default 200 "ok". Called once per request, in arrival order. */
export type Responder = (request: Omit<ReceivedRequest, 'answer' | 'delivered'>) => ReceiverAnswer

export interface SlackReceiver {
  url: string
  requests: ReceivedRequest[]
  delivered(): ReceivedRequest[]
  respondWith(responder: Responder): void
  /** Resolves once `count` messages were delivered (rejects after `timeoutMs`). */
  waitForDelivered(count: number, timeoutMs: number): Promise<void>
  close(): Promise<void>
}

export const OK: Responder = () => ({ status: 200, body: 'ok' })

/** What a webhook request carried: the message (when JSON), the Block Kit limits it breaks, its ids. */
export interface WebhookRequestBody {
  message: SlackMessage | undefined
  /** Block Kit limits the message breaks (empty: valid) */
  problems: string[]
  /** ids in the firing message's `anomaly-ids-N` blocks */
  firingIds: string[]
  /** ids in the resolved message's `resolved-ids-N` blocks */
  resolvedIds: string[]
}

/** Reads a webhook request's whole body and checks it as Slack would; `onRead` runs once it is complete. */
export function readWebhookRequest(req: IncomingMessage, onRead: (body: WebhookRequestBody) => void): void {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    let message: SlackMessage | undefined
    let problems: string[]
    try {
      message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SlackMessage
      problems = validateSlackMessage(message)
    } catch (error) {
      problems = [`not JSON: ${(error as Error).message}`]
    }
    onRead({
      message,
      problems,
      firingIds: message ? idsInMessage(message.blocks, 'anomaly-ids-') : [],
      resolvedIds: message ? idsInMessage(message.blocks, 'resolved-ids-') : [],
    })
  })
}

export async function startSlackReceiver(responder: Responder = OK): Promise<SlackReceiver> {
  let respond = responder
  const requests: ReceivedRequest[] = []
  const sockets = new Set<Socket>()
  const waiters = new Set<() => void>()

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    readWebhookRequest(req, (read) => {
      const seen = { index: requests.length, atMs: Date.now(), ...read }
      const answer: ReceiverAnswer =
        seen.problems.length > 0 ? { status: 400, body: 'invalid_blocks' } : respond(seen)
      const delivered = 'status' in answer && answer.status >= 200 && answer.status < 300
      requests.push({ ...seen, answer, delivered })
      if (delivered) for (const wake of waiters) wake()
      if ('hang' in answer) return
      if ('reset' in answer) {
        req.socket.destroy()
        return
      }
      const send = () => {
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers })
        res.end(answer.body ?? '')
      }
      if (answer.delayMs) setTimeout(send, answer.delayMs)
      else send()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const delivered = () => requests.filter((r) => r.delivered)
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`,
    requests,
    delivered,
    respondWith(next) {
      respond = next
    },
    waitForDelivered(count, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (delivered().length < count) return
          cleanup()
          resolve()
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(
            new Error(`receiver: ${delivered().length} of ${count} messages delivered after ${timeoutMs} ms`),
          )
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The most messages delivered within any span of `windowMs` (inclusive of both ends). */
export function maxInWindow(requests: readonly ReceivedRequest[], windowMs: number): number {
  const times = requests.map((r) => r.atMs).sort((a, b) => a - b)
  let most = 0
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! > windowMs) j++
    most = Math.max(most, i - j + 1)
  }
  return most
}

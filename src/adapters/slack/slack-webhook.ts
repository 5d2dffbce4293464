// A Slack incoming webhook (https://api.slack.com/messaging/webhooks): one POST of the message's
// JSON per delivery, answered 200 "ok", or an error status with a word (`invalid_token`,
// `no_service`, `invalid_payload`...) that decideDelivery turns into retry-or-not.
import { createHash } from 'node:crypto'
import type { DeliveryOutcome } from '../../core/alerting/index.ts'
import type { Notifier } from './notifier.ts'

export interface SlackWebhookOptions {
  url: string
  /** per delivery, from connecting to the last byte of the answer (default 10 s) */
  timeoutMs?: number
}

/** How much of an answer's body is kept: Slack's are a word; an HTML error page is not worth more. */
const MAX_BODY_CHARS = 1_000

export function createSlackWebhook(options: SlackWebhookOptions): Notifier {
  const { url } = options
  const timeoutMs = options.timeoutMs ?? 10_000
  return {
    webhookConfigured: true,
    gate: `slack:${createHash('sha256').update(url).digest('hex').slice(0, 32)}`,
    timeoutMs,
    async send(notification): Promise<DeliveryOutcome> {
      const timeout = AbortSignal.timeout(timeoutMs)
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(notification.message),
          // a redirect is not Slack's way: report it (it is refused, set aside) rather than follow
          redirect: 'manual',
          signal: timeout,
        })
        const body = await response.text()
        return {
          kind: 'response',
          status: response.status,
          body: body.slice(0, MAX_BODY_CHARS),
          retryAfter: response.headers.get('retry-after'),
        }
      } catch (error) {
        if (timeout.aborted) return { kind: 'timeout', timeoutMs }
        return networkOutcome(error)
      }
    },
  }
}

/** fetch wraps the socket's error (ECONNRESET, ECONNREFUSED, undici's UND_ERR_*) in its cause. */
function networkOutcome(error: unknown): DeliveryOutcome {
  const cause = (error as { cause?: unknown }).cause
  const source = cause instanceof Error ? cause : error instanceof Error ? error : undefined
  const code = (source as { code?: unknown } | undefined)?.code
  return {
    kind: 'network',
    message: source?.message ?? String(error),
    ...(typeof code === 'string' ? { code } : {}),
  }
}

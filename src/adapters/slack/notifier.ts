// Where notifications go: a Slack incoming webhook, or the log when none is configured. The
// pipeline builds the messages and decides what an outcome means (core/alerting); a notifier only
// delivers one message and reports what happened, without throwing.
import type { DeliveryOutcome, Notification } from '../../core/alerting/index.ts'

export interface Notifier {
  /** false: notifications are only logged (SLACK_WEBHOOK_URL unset) */
  readonly webhookConfigured: boolean
  /**
   * Names the webhook's rate-limit state, shared by every alerter process that posts to it: a hash
   * of the URL, never the URL itself (a secret). Undefined: no rate limit (logging only).
   */
  readonly gate: string | undefined
  /** the longest one delivery may take before it counts as a timeout */
  readonly timeoutMs: number
  /**
   * Delivers one message. Never rejects: an answer, a timeout or a network failure is an outcome
   * (see decideDelivery). A request once sent runs to its end or its timeout.
   */
  send(notification: Notification): Promise<DeliveryOutcome>
}

// With no SLACK_WEBHOOK_URL: each notification is logged (info) and counts as delivered, so its
// anomalies are marked notified and the dashboard shows them as such.
import type { DeliveryOutcome } from '../../core/alerting/index.ts'
import type { Logger } from '../../observability/logger.ts'
import type { Notifier } from './notifier.ts'

export function createLogNotifier(logger: Logger): Notifier {
  return {
    webhookConfigured: false,
    gate: undefined,
    timeoutMs: 0,
    async send(notification): Promise<DeliveryOutcome> {
      logger.info(
        {
          kind: notification.kind,
          rule: notification.rule,
          anomalyIds: notification.anomalyIds,
          text: notification.message.text,
        },
        'notification (SLACK_WEBHOOK_URL unset: logged only)',
      )
      return { kind: 'response', status: 200, body: 'logged', retryAfter: null }
    },
  }
}

// `streamwatch alerter`: the anomalies outbox -> Slack (or the log, without SLACK_WEBHOOK_URL).

import { createAlertStore } from '../../adapters/postgres/alert-store.ts'
import type { Database } from '../../adapters/postgres/database.ts'
import { createLogNotifier, createSlackWebhook } from '../../adapters/slack/index.ts'
import type { Config } from '../../config/load.ts'
import type { Logger } from '../../observability/logger.ts'
import { createMetrics, type Metrics } from '../../observability/metrics.ts'
import { type Alerter, createAlerter } from '../../pipelines/alert.ts'
import type { Command } from '../command.ts'
import { openDatabase, withMetricsServed } from '../platform.ts'

/** The longest a webhook request may take; kept well inside the lease, so a claim outlives it. */
const MAX_REQUEST_TIMEOUT_MS = 10_000

/** The alerter the settings describe, on an open database (also for `streamwatch start`). */
export function createAlerterFromConfig(
  config: Config,
  db: Database,
  logger: Logger,
  metrics?: Metrics,
): Alerter {
  const timeoutMs = Math.min(MAX_REQUEST_TIMEOUT_MS, Math.floor((config.ALERT_LEASE - 1_000) / 2))
  return createAlerter({
    store: createAlertStore(db),
    notifier: config.SLACK_WEBHOOK_URL
      ? createSlackWebhook({ url: config.SLACK_WEBHOOK_URL, timeoutMs })
      : createLogNotifier(logger),
    logger,
    metrics,
    publicUrl: config.publicUrl,
    silences: config.ALERT_SILENCES,
    groupIntervalMs: config.ALERT_GROUP_INTERVAL,
    leaseMs: config.ALERT_LEASE,
  })
}

export const alerterCommand: Command = {
  name: 'alerter',
  summary: 'send anomalies to Slack: grouped, rate-limited, retried, each once',
  usage: `streamwatch alerter

  Sends the anomalies the etl stored to SLACK_WEBHOOK_URL as Block Kit messages: grouped into one
  digest per rule per ALERT_GROUP_INTERVAL, at most one message per second per webhook, 429s and
  server errors retried, each anomaly marked notified once Slack accepted it. Without
  SLACK_WEBHOOK_URL the messages are logged and the anomalies marked. Silences: ALERT_SILENCES
  and the database's. Several alerters may run at once: each anomaly is claimed by one. With
  METRICS_PORT set, serves /metrics and /healthz there.
  Stops cleanly on SIGINT/SIGTERM (the request in flight finishes, the rest is handed back).`,
  async run(_argv, { config, logger, signal }) {
    const metrics = createMetrics()
    return withMetricsServed(config, { metrics, logger, part: 'alerter' }, async () => {
      const db = await openDatabase(config, logger, { applicationName: 'streamwatch-alerter' })
      try {
        await createAlerterFromConfig(config, db, logger, metrics).run(signal)
        return 0
      } finally {
        await db.close()
      }
    })
  },
}

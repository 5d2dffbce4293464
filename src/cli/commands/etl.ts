import { ALL_TOPICS, createTopicNames } from '../../contracts/topics.ts'
import { createMetrics } from '../../observability/metrics.ts'
import { runEtl } from '../../pipelines/etl.ts'
import { createBusFromConfig } from '../build-bus.ts'
import type { Command } from '../command.ts'
import { etlDepsFrom, loadRules, openDatabase, withMetricsServed } from '../platform.ts'

export const etlCommand: Command = {
  name: 'etl',
  summary: 'consumer B: clean, detect anomalies, store in PostgreSQL (group "etl")',
  usage: `streamwatch etl

  Consumes logs, metrics and transactions in consumer group "etl", cleans every record, detects
  anomalies with the rules (RULES_FILE or the built-in ones), and stores each batch's rows,
  anomalies, dead letters, detector state and offsets in one PostgreSQL transaction.
  Run several on a Kafka cluster to share the partitions. With METRICS_PORT set, serves /metrics
  and /healthz there. Stops cleanly on SIGINT/SIGTERM.`,
  async run(_argv, { config, logger, signal }) {
    const rules = loadRules(config)
    const names = createTopicNames(config.TOPIC_PREFIX)
    const metrics = createMetrics()
    return withMetricsServed(config, { metrics, logger, part: 'etl' }, async () => {
      const db = await openDatabase(config, logger, { applicationName: 'streamwatch-etl' })
      const bus = createBusFromConfig(config, logger)
      try {
        await bus.ensureTopics(ALL_TOPICS.map(names.full), config.KAFKA_PARTITIONS)
        const summary = await runEtl(etlDepsFrom(config, { bus, db, logger, metrics, rules }), signal)
        logger.info(summary, 'etl stopped')
        return 0
      } finally {
        await bus.close()
        await db.close()
      }
    })
  },
}

// streamwatch_consumer_lag_records from what the bus reports with each batch: per partition, the
// records its consumer has not been handed yet. Set after the batch is processed, so it reads as
// "left to do"; a revoked partition's series is removed, its new owner reports it.
import type { Metrics } from '../observability/metrics.ts'
import type { PartitionLag, TopicPartition } from './ports.ts'

export function recordLag(metrics: Metrics, group: string, lag: readonly PartitionLag[]): void {
  for (const { topic, partition, records } of lag) {
    metrics.consumerLag.set({ group, topic, partition: String(partition) }, records)
  }
}

export function forgetLag(metrics: Metrics, group: string, partitions: readonly TopicPartition[]): void {
  for (const { topic, partition } of partitions) {
    metrics.consumerLag.remove({ group, topic, partition: String(partition) })
  }
}

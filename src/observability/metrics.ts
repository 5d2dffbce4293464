// The same metric names on every stage (docs/conventions.md, "Metrics and logs"): what came in, what was written, what was
// rejected and why, what failed. One registry per process, served by the API at /metrics.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

export type Stage = 'produce' | 'etl' | 'lake' | 'alert' | 'api' | 'ingest' | 'replay'

export interface Metrics {
  registry: Registry
  eventsReceived: Counter<'stage' | 'topic'>
  eventsWritten: Counter<'stage' | 'topic'>
  eventsRejected: Counter<'stage' | 'topic' | 'reason'>
  errors: Counter<'stage' | 'code'>
  batchSeconds: Histogram<'stage'>
  batchRecords: Histogram<'stage'>
  lateEvents: Counter<'topic' | 'rule'>
  lateEventsBehind: Histogram<'topic' | 'rule'>
  anomalyChanges: Counter<'rule' | 'change'>
  consumerLag: Gauge<'group' | 'topic' | 'partition'>
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry()
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'streamwatch_' })
  const registers = [registry]
  return {
    registry,
    eventsReceived: new Counter({
      name: 'streamwatch_events_received_total',
      help: 'Records read by a stage, before cleaning',
      labelNames: ['stage', 'topic'],
      registers,
    }),
    eventsWritten: new Counter({
      name: 'streamwatch_events_written_total',
      help: 'Events a stage made durable (rows committed, objects stored, records published)',
      labelNames: ['stage', 'topic'],
      registers,
    }),
    eventsRejected: new Counter({
      name: 'streamwatch_events_rejected_total',
      help: 'Records rejected to dead-letters, by reason',
      labelNames: ['stage', 'topic', 'reason'],
      registers,
    }),
    errors: new Counter({
      name: 'streamwatch_errors_total',
      help: 'Failures of a stage (each retried or surfaced), by error code',
      labelNames: ['stage', 'code'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'streamwatch_batch_duration_seconds',
      help: 'Time to process and commit one batch',
      labelNames: ['stage'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchRecords: new Histogram({
      name: 'streamwatch_batch_records',
      help: 'Records per batch',
      labelNames: ['stage'],
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    lateEvents: new Counter({
      name: 'streamwatch_late_events_total',
      help: "Events older than their rule key's newest event time minus the allowed lateness: stored, not counted by that rule (an event counts once per rule it is late for)",
      labelNames: ['topic', 'rule'],
      registers,
    }),
    lateEventsBehind: new Histogram({
      name: 'streamwatch_late_events_behind_seconds',
      help: "How far behind its rule key's newest event time each late event was",
      labelNames: ['topic', 'rule'],
      buckets: [1, 5, 30, 60, 300, 900, 3600, 21600, 86400],
      registers,
    }),
    anomalyChanges: new Counter({
      name: 'streamwatch_anomaly_changes_total',
      help: 'Anomaly episodes opened, updated and resolved',
      labelNames: ['rule', 'change'],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'streamwatch_consumer_lag_records',
      help: 'Records of the partition its consumer has not read yet (high watermark minus position), after each batch',
      labelNames: ['group', 'topic', 'partition'],
      registers,
    }),
  }
}

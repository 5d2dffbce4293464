// The API's read queries (and its few writes: acknowledgements, silences), over either driver.
// Parameterised SQL only: values are `$n` parameters; only fixed column names are spliced.
export { acknowledgeAnomaly, type EventCondition, getAnomaly, readEventsAround } from './anomaly-detail.ts'
export { DEFAULT_COUNT_CAP, type Total } from './count-matches.ts'
export type { Keyset, PageRequest, PageRows } from './keyset-page.ts'
export { type AnomalyFilters, listAnomalies } from './list-anomalies.ts'
export {
  type LogFilters,
  listLogs,
  listMetrics,
  listTransactions,
  type MetricFilters,
  type TimeBounds,
  type TransactionFilters,
} from './list-events.ts'
export { type AnomalyChangeRow, readAnomalyChanges, readDatabaseNow } from './read-anomaly-changes.ts'
export { type LiveCounts, readLiveCounts } from './read-live-counters.ts'
export { readStoredPositions, type StoredPosition } from './read-positions.ts'
export { MAX_STATS_SERVICES, readStats, type StatsRange } from './read-stats.ts'
export { readTimeseries, type TimeseriesQuery } from './read-timeseries.ts'
export { createSilence, expireSilence, listSilences, type NewSilence, type SilenceState } from './silences.ts'

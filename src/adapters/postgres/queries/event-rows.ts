// Event rows as the API returns them (src/contracts/api.ts): the select lists and the mappers.
import type { EventItem, LogItem, MetricItem, TransactionItem } from '../../../contracts/api.ts'
import type { LogLevel } from '../../../contracts/events.ts'
import type { EventTopic } from '../../../contracts/topics.ts'

interface EventRowBase {
  event_id: string
  ts: Date
  ingested_at: Date
  attributes: Record<string, unknown> | null
  topic: string
  partition: number
  offset: number
}
export interface LogRow extends EventRowBase {
  service: string
  level: string
  message: string
  user_id: string | null
}
export interface MetricRow extends EventRowBase {
  service: string
  cpu: number
  latency_ms: number
}
export interface TransactionRow extends EventRowBase {
  transaction_id: string
  user_id: string
  amount: number
  currency: string
  merchant: string | null
  status: string | null
}

const BASE = 'event_id, ts, ingested_at, attributes, topic, partition, "offset"'

export const EVENT_COLUMNS: Record<EventTopic, string> = {
  logs: `${BASE}, service, level, message, user_id`,
  metrics: `${BASE}, service, cpu, latency_ms`,
  transactions: `${BASE}, transaction_id, user_id, amount, currency, merchant, status`,
}

function base(row: EventRowBase) {
  return {
    event_id: row.event_id,
    timestamp: row.ts.toISOString(),
    attributes: row.attributes ?? {},
    source: { topic: row.topic, partition: row.partition, offset: row.offset },
    ingested_at: row.ingested_at.toISOString(),
  }
}

export function toLogItem(row: LogRow): LogItem {
  return {
    kind: 'log',
    ...base(row),
    service: row.service,
    level: row.level as LogLevel,
    message: row.message,
    user_id: row.user_id,
  }
}

export function toMetricItem(row: MetricRow): MetricItem {
  return { kind: 'metric', ...base(row), service: row.service, cpu: row.cpu, latency_ms: row.latency_ms }
}

export function toTransactionItem(row: TransactionRow): TransactionItem {
  return {
    kind: 'transaction',
    ...base(row),
    transaction_id: row.transaction_id,
    user_id: row.user_id,
    amount: row.amount,
    currency: row.currency,
    merchant: row.merchant,
    status: row.status,
  }
}

export function toEventItem(topic: EventTopic, row: EventRowBase): EventItem {
  switch (topic) {
    case 'logs':
      return toLogItem(row as LogRow)
    case 'metrics':
      return toMetricItem(row as MetricRow)
    case 'transactions':
      return toTransactionItem(row as TransactionRow)
  }
}

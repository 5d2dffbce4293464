// The event listings: logs, metrics and transactions in a time range, filtered, newest first, a
// keyset page at a time (see keyset-page.ts).
import type { LogItem, MetricItem, TransactionItem } from '../../../contracts/api.ts'
import type { Queryable } from '../database.ts'
import {
  EVENT_COLUMNS,
  type LogRow,
  type MetricRow,
  type TransactionRow,
  toLogItem,
  toMetricItem,
  toTransactionItem,
} from './event-rows.ts'
import { type PageRequest, type PageRows, readPage } from './keyset-page.ts'
import { containsPattern, createSqlParams, isoOf, type SqlParams } from './sql-params.ts'

export interface TimeBounds {
  /** inclusive, epoch ms */
  fromMs: number
  /** exclusive, epoch ms; null: no upper bound */
  toMs: number | null
}

export interface LogFilters {
  service?: readonly string[]
  level?: readonly string[]
  userId?: string
  /** case-insensitive substring of the message */
  text?: string
}

export interface MetricFilters {
  service?: readonly string[]
  minCpu?: number
  minLatencyMs?: number
}

export interface TransactionFilters {
  userId?: string
  transactionId?: string
  currency?: readonly string[]
  status?: readonly string[]
  minAmount?: number
  maxAmount?: number
}

function timeWhere(params: SqlParams, bounds: TimeBounds): string[] {
  const where = [`ts >= ${params.add(isoOf(bounds.fromMs))}::timestamptz`]
  if (bounds.toMs !== null) where.push(`ts < ${params.add(isoOf(bounds.toMs))}::timestamptz`)
  return where
}

/** `column = ANY($n)` for a list of values; nothing for an absent or empty list. */
function anyOf(params: SqlParams, column: string, values: readonly string[] | undefined): string[] {
  if (!values || values.length === 0) return []
  return values.length === 1
    ? [`${column} = ${params.add(values[0])}`]
    : [`${column} = ANY(${params.add(values)}::text[])`]
}

export function listLogs(
  db: Queryable,
  bounds: TimeBounds,
  filters: LogFilters,
  page: PageRequest,
): Promise<PageRows<LogItem>> {
  const params = createSqlParams()
  const where = [
    ...timeWhere(params, bounds),
    ...anyOf(params, 'service', filters.service),
    ...anyOf(params, 'level', filters.level),
  ]
  if (filters.userId !== undefined) where.push(`user_id = ${params.add(filters.userId)}`)
  if (filters.text !== undefined) where.push(`message ILIKE ${params.add(containsPattern(filters.text))}`)
  return readPage<LogRow, LogItem>(
    db,
    { table: 'logs', columns: EVENT_COLUMNS.logs, timeColumn: 'ts', idColumn: 'event_id', where, params },
    page,
    toLogItem,
  )
}

export function listMetrics(
  db: Queryable,
  bounds: TimeBounds,
  filters: MetricFilters,
  page: PageRequest,
): Promise<PageRows<MetricItem>> {
  const params = createSqlParams()
  const where = [...timeWhere(params, bounds), ...anyOf(params, 'service', filters.service)]
  if (filters.minCpu !== undefined) where.push(`cpu >= ${params.add(filters.minCpu)}`)
  if (filters.minLatencyMs !== undefined) where.push(`latency_ms >= ${params.add(filters.minLatencyMs)}`)
  return readPage<MetricRow, MetricItem>(
    db,
    {
      table: 'metrics',
      columns: EVENT_COLUMNS.metrics,
      timeColumn: 'ts',
      idColumn: 'event_id',
      where,
      params,
    },
    page,
    toMetricItem,
  )
}

export function listTransactions(
  db: Queryable,
  bounds: TimeBounds,
  filters: TransactionFilters,
  page: PageRequest,
): Promise<PageRows<TransactionItem>> {
  const params = createSqlParams()
  const where = [
    ...timeWhere(params, bounds),
    ...anyOf(params, 'currency', filters.currency),
    ...anyOf(params, 'status', filters.status),
  ]
  if (filters.userId !== undefined) where.push(`user_id = ${params.add(filters.userId)}`)
  if (filters.transactionId !== undefined) {
    where.push(`transaction_id = ${params.add(filters.transactionId)}`)
  }
  // amounts are numeric: the parameter is sent as decimal text and compared exactly
  if (filters.minAmount !== undefined) where.push(`amount >= ${params.add(filters.minAmount)}::numeric`)
  if (filters.maxAmount !== undefined) where.push(`amount <= ${params.add(filters.maxAmount)}::numeric`)
  return readPage<TransactionRow, TransactionItem>(
    db,
    {
      table: 'transactions',
      columns: EVENT_COLUMNS.transactions,
      timeColumn: 'ts',
      idColumn: 'event_id',
      where,
      params,
    },
    page,
    toTransactionItem,
  )
}

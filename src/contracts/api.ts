// The HTTP API's responses, shared with the dashboard (web/ imports only src/contracts). The API
// validates what it sends against these schemas in tests, and the OpenAPI document at
// /openapi.json is generated from them. Field names are snake_case, like the events' wire format
// (docs/contract.md): `user_id`, `latency_ms`. Times are ISO 8601 strings in UTC ("…Z"), durations are
// milliseconds in fields named `…_ms`.
import { z } from 'zod'
import { LOG_LEVELS, REJECT_REASONS } from './events.ts'
import { EVENT_TOPICS } from './topics.ts'

export const ANOMALY_STATUSES = ['open', 'resolved', 'acknowledged'] as const
export type AnomalyStatus = (typeof ANOMALY_STATUSES)[number]

export const SEVERITIES = ['info', 'warning', 'critical'] as const

export const TIMESERIES_SERIES = ['events', 'errors', 'cpu', 'latency', 'amount', 'anomalies'] as const
export type TimeseriesSeries = (typeof TIMESERIES_SERIES)[number]

/** Log levels counted as errors by stats, timeseries and live counters. */
export const ERROR_LEVELS = ['ERROR', 'FATAL'] as const

/** `error` is a code from this list; `message` is for people and names the parameter at fault. */
export const API_ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'unavailable',
  'internal',
] as const
export type ApiErrorCode = (typeof API_ERROR_CODES)[number]

export const apiErrorSchema = z
  .object({ error: z.enum(API_ERROR_CODES), message: z.string() })
  .meta({ id: 'Error', description: 'Every error: a code from a closed list and a message for people.' })
export type ApiError = z.infer<typeof apiErrorSchema>

const timestamp = z.string().describe('ISO 8601, UTC')
const nullableTimestamp = timestamp.nullable()

const sourceSchema = z
  .object({
    topic: z.string().describe('full topic name, as on the broker'),
    partition: z.number().int(),
    offset: z.number().int(),
  })
  .describe('where the event was read')

const eventBase = {
  event_id: z.string(),
  timestamp: timestamp.describe('event time'),
  attributes: z.record(z.string(), z.unknown()).describe('fields of the message outside the schema'),
  source: sourceSchema,
  ingested_at: timestamp.describe('when the row was stored'),
}

export const logItemSchema = z
  .object({
    kind: z.literal('log'),
    ...eventBase,
    service: z.string(),
    level: z.enum(LOG_LEVELS),
    message: z.string(),
    user_id: z.string().nullable(),
  })
  .meta({ id: 'Log' })
export type LogItem = z.infer<typeof logItemSchema>

export const metricItemSchema = z
  .object({
    kind: z.literal('metric'),
    ...eventBase,
    service: z.string(),
    cpu: z.number().describe('percent, 0..100'),
    latency_ms: z.number(),
  })
  .meta({ id: 'Metric' })
export type MetricItem = z.infer<typeof metricItemSchema>

export const transactionItemSchema = z
  .object({
    kind: z.literal('transaction'),
    ...eventBase,
    transaction_id: z.string(),
    user_id: z.string(),
    amount: z.number(),
    currency: z.string(),
    merchant: z.string().nullable(),
    status: z.string().nullable(),
  })
  .meta({ id: 'Transaction' })
export type TransactionItem = z.infer<typeof transactionItemSchema>

export const eventItemSchema = z.discriminatedUnion('kind', [
  logItemSchema,
  metricItemSchema,
  transactionItemSchema,
])
export type EventItem = z.infer<typeof eventItemSchema>

export const anomalySchema = z
  .object({
    id: z.string(),
    rule: z.string(),
    key: z.string().describe('the service, user or transaction the anomaly is about'),
    topic: z.string(),
    status: z.enum(ANOMALY_STATUSES),
    severity: z.string(),
    first_seen: timestamp.describe('event time at which the rule fired'),
    last_seen: timestamp.describe('event time of the last evaluation at which the condition held'),
    resolved_at: nullableTimestamp,
    value: z.number().describe('the peak'),
    threshold: z.number(),
    comparator: z.string(),
    event_count: z.number().int(),
    window_ms: z.number().int().nullable(),
    details: z.record(z.string(), z.unknown()),
    created_at: timestamp,
    updated_at: timestamp,
    notified_at: nullableTimestamp,
    silenced_by: z.string().nullable(),
    acknowledged_by: z.string().nullable(),
    acknowledged_at: nullableTimestamp,
    ack_note: z.string().nullable(),
  })
  .meta({ id: 'Anomaly' })
export type Anomaly = z.infer<typeof anomalySchema>

const totalSchema = z
  .object({
    count: z.number().int(),
    exact: z.boolean().describe('false: more than the counting cap matched and `count` is an estimate'),
  })
  .describe('rows matching the filters over the whole range, not only this page')

const rangeSchema = z.object({
  from: timestamp,
  to: nullableTimestamp.describe('null: no upper bound'),
})

function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item).describe('newest first'),
      next_cursor: z
        .string()
        .nullable()
        .describe('pass as `cursor` for the next page; null on the last page'),
      total: totalSchema,
      range: rangeSchema.describe('the range as resolved on the first page; later pages keep it'),
    })
    .meta({ id })
}

export const logPageSchema = pageOf(logItemSchema, 'LogPage')
export const metricPageSchema = pageOf(metricItemSchema, 'MetricPage')
export const transactionPageSchema = pageOf(transactionItemSchema, 'TransactionPage')
export const anomalyPageSchema = pageOf(anomalySchema, 'AnomalyPage')
export type Page<T> = { items: T[]; next_cursor: string | null; total: z.infer<typeof totalSchema> } & {
  range: z.infer<typeof rangeSchema>
}

export const anomalyDetailSchema = z
  .object({
    anomaly: anomalySchema,
    events: z.array(eventItemSchema).describe("the key's events around the episode, oldest first"),
    events_window: rangeSchema.describe('the span of event time `events` was taken from'),
    events_truncated: z.boolean().describe('true: more events matched than were returned'),
  })
  .meta({ id: 'AnomalyDetail' })
export type AnomalyDetail = z.infer<typeof anomalyDetailSchema>

export const silenceSchema = z
  .object({
    id: z.string(),
    rule: z.string().nullable().describe('null: any rule'),
    key: z.string().nullable().describe('null: any key'),
    expires_at: timestamp,
    comment: z.string(),
    created_by: z.string(),
    created_at: timestamp,
    active: z.boolean(),
  })
  .meta({ id: 'Silence' })
export type Silence = z.infer<typeof silenceSchema>

export const silenceListSchema = z.object({ items: z.array(silenceSchema) }).meta({ id: 'SilenceList' })

export const statsSchema = z
  .object({
    range: z.object({ from: timestamp, to: timestamp, seconds: z.number() }),
    topics: z.array(
      z.object({
        topic: z.enum(EVENT_TOPICS),
        events: z.number().int(),
        per_second: z.number(),
        newest_event_at: nullableTimestamp.describe('newest event time stored, whatever the range'),
      }),
    ),
    services: z
      .array(
        z.object({
          service: z.string(),
          events: z.number().int(),
          per_second: z.number(),
          logs: z.number().int(),
          errors: z.number().int(),
          error_ratio: z.number().nullable().describe('errors / logs; null without logs'),
          metrics: z.number().int(),
          avg_cpu: z.number().nullable(),
          max_cpu: z.number().nullable(),
          avg_latency_ms: z.number().nullable(),
          max_latency_ms: z.number().nullable(),
        }),
      )
      .describe('the busiest services first, at most 100'),
    errors: z.object({
      logs: z.number().int(),
      errors: z
        .number()
        .int()
        .describe(`logs at level ${ERROR_LEVELS.join(' or ')}`),
      ratio: z.number().nullable(),
    }),
    anomalies: z.object({
      by_rule_status: z.array(
        z.object({ rule: z.string(), status: z.enum(ANOMALY_STATUSES), count: z.number().int() }),
      ),
      open: z.number().int().describe('open or acknowledged now, whatever the range'),
    }),
    dead_letters: z.array(z.object({ reason: z.string(), topic: z.string(), count: z.number().int() })),
    pipeline: z
      .array(
        z.object({
          group: z.string(),
          partitions: z.number().int(),
          last_commit_at: nullableTimestamp,
          seconds_since_commit: z.number().nullable(),
          lag_records: z
            .number()
            .nullable()
            .describe('records not yet consumed, when the bus reports it to this process; else null'),
        }),
      )
      .describe('per consumer group that stores its offsets in PostgreSQL'),
  })
  .meta({ id: 'Stats' })
export type Stats = z.infer<typeof statsSchema>

export const timeseriesPointSchema = z.object({
  t: timestamp.describe('start of the bucket'),
  count: z.number().int(),
  avg: z.number().nullable(),
  p95: z.number().nullable(),
  max: z.number().nullable(),
})
export type TimeseriesPoint = z.infer<typeof timeseriesPointSchema>

export const timeseriesSchema = z
  .object({
    series: z.enum(TIMESERIES_SERIES),
    service: z.string().nullable(),
    bucket_ms: z.number().int(),
    from: timestamp,
    to: timestamp,
    points: z
      .array(timeseriesPointSchema)
      .describe('one per bucket, empty buckets included; avg/p95/max for cpu, latency and amount'),
  })
  .meta({ id: 'Timeseries' })
export type Timeseries = z.infer<typeof timeseriesSchema>

const ruleConditionSchema = z.object({
  field: z.string(),
  op: z.string(),
  value: z.union([z.string(), z.number()]).optional(),
  values: z.array(z.union([z.string(), z.number()])).optional(),
})

export const ruleSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['count', 'threshold', 'event']),
    topic: z.enum(EVENT_TOPICS),
    key_by: z.string(),
    severity: z.string(),
    filter: z.array(ruleConditionSchema),
    quiet_period_ms: z.number().nullable(),
    window_ms: z.number().nullable(),
    threshold: z.number().nullable().describe('count rules'),
    field: z.string().nullable().describe('threshold and event rules'),
    value: z.number().nullable().describe('threshold and event rules'),
    comparator: z.string(),
    for_ms: z.number().nullable(),
    recovery: z.number().nullable(),
  })
  .meta({ id: 'Rule' })
export type RuleItem = z.infer<typeof ruleSchema>
export const ruleListSchema = z.object({ rules: z.array(ruleSchema) }).meta({ id: 'RuleList' })

export const ingestResultSchema = z.discriminatedUnion('status', [
  z.object({ index: z.number().int(), status: z.literal('accepted') }),
  z.object({
    index: z.number().int(),
    status: z.literal('rejected'),
    reason: z.enum(REJECT_REASONS),
    message: z.string(),
  }),
])
export const ingestResponseSchema = z
  .object({
    accepted: z.number().int().describe('events published to the bus'),
    rejected: z.number().int().describe('events refused; they were not published'),
    results: z.array(ingestResultSchema).describe('one per event, in the order sent'),
  })
  .meta({ id: 'IngestResponse' })
export type IngestResponse = z.infer<typeof ingestResponseSchema>

export const healthSchema = z.object({ status: z.literal('ok') })
export const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.record(
      z.string(),
      z.object({ ok: z.boolean(), reason: z.string().optional(), elapsed_ms: z.number() }),
    ),
  })
  .meta({ id: 'Readiness' })
export type Readiness = z.infer<typeof readinessSchema>

// Server-Sent Events of GET /api/stream: `event:` names and their `data:` payloads (JSON).

export const ANOMALY_CHANGES = ['opened', 'updated', 'resolved', 'acknowledged'] as const
export type AnomalyChangeKind = (typeof ANOMALY_CHANGES)[number]

/** `event: anomaly`: the anomaly's state after a change. `id:` is set: resume with Last-Event-ID. */
export const anomalyEventSchema = z.object({ change: z.enum(ANOMALY_CHANGES), anomaly: anomalySchema })
export type AnomalyEvent = z.infer<typeof anomalyEventSchema>

/** `event: counters`, every second: stored events per second by event time, over a short window. */
export const countersEventSchema = z.object({
  t: timestamp.describe('end of the window'),
  window_ms: z.number().int(),
  per_second: z.object({ logs: z.number(), metrics: z.number(), transactions: z.number() }),
  errors_per_second: z.number(),
  open_anomalies: z.number().int(),
})
export type CountersEvent = z.infer<typeof countersEventSchema>

/** `event: reset`: changes were missed (too many to replay): reload the anomalies list. */
export const resetEventSchema = z.object({ reason: z.string() })
export type ResetEvent = z.infer<typeof resetEventSchema>

// The one place where the field names of rules (the wire names producers send: latency_ms,
// transaction_id, user_id, ...) meet the properties of cleaned events (latencyMs, transactionId,
// userId, ...). Rules, filters and keys read events only through this table.
import type { Event, LogEvent, MetricEvent, TransactionEvent } from '../../contracts/events.ts'
import { LOG_LEVELS } from '../../contracts/events.ts'
import type { EventTopic } from '../../contracts/topics.ts'

export const RULE_FIELD_NAMES = [
  'service',
  'level',
  'user_id',
  'cpu',
  'latency_ms',
  'transaction_id',
  'amount',
  'currency',
  'merchant',
  'status',
] as const
export type RuleField = (typeof RULE_FIELD_NAMES)[number]

export type FieldValue = string | number | null

export interface FieldSpec<E extends Event> {
  type: 'string' | 'number'
  read: (event: E) => FieldValue
  /** the closed list of values the field can take, when there is one */
  values?: readonly string[]
  /** the form the cleaner gives the values, when it normalises them */
  format?: { pattern: RegExp; description: string }
}

interface TopicFields {
  logs: Partial<Record<RuleField, FieldSpec<LogEvent>>>
  metrics: Partial<Record<RuleField, FieldSpec<MetricEvent>>>
  transactions: Partial<Record<RuleField, FieldSpec<TransactionEvent>>>
}

export const TOPIC_FIELDS: TopicFields = {
  logs: {
    service: { type: 'string', read: (e) => e.service },
    level: { type: 'string', read: (e) => e.level, values: LOG_LEVELS },
    user_id: { type: 'string', read: (e) => e.userId },
  },
  metrics: {
    service: { type: 'string', read: (e) => e.service },
    cpu: { type: 'number', read: (e) => e.cpu },
    latency_ms: { type: 'number', read: (e) => e.latencyMs },
  },
  transactions: {
    transaction_id: { type: 'string', read: (e) => e.transactionId },
    user_id: { type: 'string', read: (e) => e.userId },
    amount: { type: 'number', read: (e) => e.amount },
    currency: {
      type: 'string',
      read: (e) => e.currency,
      format: { pattern: /^[A-Z]{3}$/, description: 'an upper-case ISO 4217 code like USD' },
    },
    merchant: { type: 'string', read: (e) => e.merchant },
    status: { type: 'string', read: (e) => e.status },
  },
}

/**
 * Fields a rule may key by: the message key of the topic (docs/contract.md: service for logs and
 * metrics, user_id for transactions) or a field it determines (a transaction has one user).
 * All events of one such key land in one partition, so the per-partition detector sees them all.
 */
export const KEY_FIELDS: Record<EventTopic, readonly RuleField[]> = {
  logs: ['service'],
  metrics: ['service'],
  transactions: ['user_id', 'transaction_id'],
}

export function fieldNamesOf(topic: EventTopic): RuleField[] {
  return Object.keys(TOPIC_FIELDS[topic]) as RuleField[]
}

export function fieldSpecOf(topic: EventTopic, field: string): FieldSpec<Event> | undefined {
  const spec = (TOPIC_FIELDS[topic] as Record<string, FieldSpec<never> | undefined>)[field]
  return spec as FieldSpec<Event> | undefined
}

// Tiny builders shared by the clean tests: wire messages as producers send them (the seed's
// examples), the events they clean to, and records around them. Test support only.
import type { Event } from '../../contracts/events.ts'
import type { EventKind } from '../../contracts/topics.ts'
import { createCleanPolicy } from './clean-policy.ts'
import type { CleanInput } from './clean-record.ts'

export const NOW_MS = Date.parse('2025-01-01T10:21:00Z')
export const T0_MS = Date.parse('2025-01-01T10:20:30Z')
export const policy = createCleanPolicy()
const encoder = new TextEncoder()
const TOPIC_OF: Record<string, string> = { log: 'logs', metric: 'metrics', transaction: 'transactions' }

export function bytes(value: unknown): Uint8Array {
  return encoder.encode(typeof value === 'string' ? value : JSON.stringify(value))
}

export function aRecord(kind: EventKind | string, value: Uint8Array | null, offset = 42): CleanInput {
  return { topic: TOPIC_OF[kind] ?? kind, partition: 0, offset, key: bytes('k'), value }
}

export const aLog = (fields: Record<string, unknown> = {}) => ({
  timestamp: '2025-01-01T10:20:30Z',
  service: 'auth-service',
  level: 'ERROR',
  message: 'User login failed',
  user_id: 123,
  ...fields,
})
export const aMetric = (fields: Record<string, unknown> = {}) => ({
  timestamp: '2025-01-01T10:20:32Z',
  service: 'inventory-api',
  cpu: 88.2,
  latency_ms: 420,
  ...fields,
})
export const aTransaction = (fields: Record<string, unknown> = {}) => ({
  timestamp: '2025-01-01T10:20:30Z',
  transaction_id: 'tx-1',
  user_id: 'u-7',
  amount: 12.5,
  currency: 'usd',
  ...fields,
})

export const logEvent = (fields: Partial<Extract<Event, { kind: 'log' }>> = {}): Event => ({
  kind: 'log',
  eventId: 'logs/0/42',
  tsMs: T0_MS,
  source: { topic: 'logs', partition: 0, offset: 42 },
  attributes: {},
  service: 'auth-service',
  level: 'ERROR',
  message: 'User login failed',
  userId: '123',
  ...fields,
})
export const metricEvent = (fields: Partial<Extract<Event, { kind: 'metric' }>> = {}): Event => ({
  kind: 'metric',
  eventId: 'metrics/0/42',
  tsMs: T0_MS + 2000,
  source: { topic: 'metrics', partition: 0, offset: 42 },
  attributes: {},
  service: 'inventory-api',
  cpu: 88.2,
  latencyMs: 420,
  ...fields,
})
export const transactionEvent = (fields: Partial<Extract<Event, { kind: 'transaction' }>> = {}): Event => ({
  kind: 'transaction',
  eventId: 'transactions/0/42',
  tsMs: T0_MS,
  source: { topic: 'transactions', partition: 0, offset: 42 },
  attributes: {},
  transactionId: 'tx-1',
  userId: 'u-7',
  amount: 12.5,
  currency: 'USD',
  merchant: null,
  status: null,
  ...fields,
})

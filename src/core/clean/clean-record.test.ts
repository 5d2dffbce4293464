import { describe, expect, it } from 'vitest'
import type { Event } from '../../contracts/events.ts'
import type { EventKind } from '../../contracts/topics.ts'
import { createCleanPolicy } from './clean-policy.ts'
import { cleanRecord, cleanRecords } from './clean-record.ts'
import {
  aLog,
  aMetric,
  aRecord,
  aTransaction,
  bytes,
  logEvent,
  metricEvent,
  NOW_MS,
  policy,
  T0_MS,
  transactionEvent,
} from './test-builders.ts'

describe('cleanRecord accepts and normalises', () => {
  it.each<[string, EventKind, unknown, Event]>([
    ['the seed log', 'log', aLog(), logEvent()],
    ['an offset +02:00', 'log', aLog({ timestamp: '2025-01-01T12:20:30+02:00' }), logEvent()],
    ['an offset -0530', 'log', aLog({ timestamp: '2025-01-01T04:50:30-0530' }), logEvent()],
    ['an offset +02', 'log', aLog({ timestamp: '2025-01-01T12:20:30+02' }), logEvent()],
    ['no offset, as UTC', 'log', aLog({ timestamp: '2025-01-01T10:20:30' }), logEvent()],
    ['a space and a lower-case z', 'log', aLog({ timestamp: '2025-01-01 10:20:30z' }), logEvent()],
    ['no seconds', 'log', aLog({ timestamp: '2025-01-01T10:20Z' }), logEvent({ tsMs: T0_MS - 30_000 })],
    [
      'microseconds, truncated',
      'log',
      aLog({ timestamp: '2025-01-01T10:20:30.123999Z' }),
      logEvent({ tsMs: T0_MS + 123 }),
    ],
    [
      'a comma before the fraction',
      'log',
      aLog({ timestamp: '2025-01-01T10:20:30,5Z' }),
      logEvent({ tsMs: T0_MS + 500 }),
    ],
    [
      'a date alone',
      'log',
      aLog({ timestamp: '2025-01-01' }),
      logEvent({ tsMs: Date.parse('2025-01-01T00:00:00Z') }),
    ],
    ['epoch ms as a number', 'log', aLog({ timestamp: T0_MS }), logEvent()],
    ['epoch ms as a string', 'log', aLog({ timestamp: ` ${T0_MS} ` }), logEvent()],
    ['fractional epoch ms, truncated', 'log', aLog({ timestamp: T0_MS + 0.9 }), logEvent()],
    [
      'exactly maxFutureSkewMs ahead',
      'log',
      aLog({ timestamp: NOW_MS + 300_000 }),
      logEvent({ tsMs: NOW_MS + 300_000 }),
    ],
    [
      'exactly maxEventAgeMs old',
      'log',
      aLog({ timestamp: NOW_MS - 604_800_000 }),
      logEvent({ tsMs: NOW_MS - 604_800_000 }),
    ],
    ['a service trimmed and lower-cased', 'log', aLog({ service: ' Auth-Service ' }), logEvent()],
    [
      'a service with . _ / :',
      'log',
      aLog({ service: 'k8s/prod:api_v2.1' }),
      logEvent({ service: 'k8s/prod:api_v2.1' }),
    ],
    ['level warn', 'log', aLog({ level: 'warn' }), logEvent({ level: 'WARN' })],
    ['level Warning', 'log', aLog({ level: 'Warning' }), logEvent({ level: 'WARN' })],
    ['level err', 'log', aLog({ level: 'err' }), logEvent({ level: 'ERROR' })],
    ['level critical', 'log', aLog({ level: 'critical' }), logEvent({ level: 'FATAL' })],
    ['level panic', 'log', aLog({ level: 'PANIC' }), logEvent({ level: 'FATAL' })],
    ['level emerg', 'log', aLog({ level: 'emerg' }), logEvent({ level: 'FATAL' })],
    ['level crit', 'log', aLog({ level: 'crit' }), logEvent({ level: 'FATAL' })],
    ['level notice', 'log', aLog({ level: 'notice' }), logEvent({ level: 'INFO' })],
    ['level information', 'log', aLog({ level: 'information' }), logEvent({ level: 'INFO' })],
    ['level " info "', 'log', aLog({ level: ' info ' }), logEvent({ level: 'INFO' })],
    ['level debug', 'log', aLog({ level: 'debug' }), logEvent({ level: 'DEBUG' })],
    ['level verbose', 'log', aLog({ level: 'verbose' }), logEvent({ level: 'TRACE' })],
    ['a string user_id', 'log', aLog({ user_id: 'u-9' }), logEvent({ userId: 'u-9' })],
    ['no user_id', 'log', aLog({ user_id: undefined }), logEvent({ userId: null })],
    ['a null user_id', 'log', aLog({ user_id: null }), logEvent({ userId: null })],
    ['an empty message', 'log', aLog({ message: '' }), logEvent({ message: '' })],
    ['a message kept as sent', 'log', aLog({ message: '  é 🚀\n' }), logEvent({ message: '  é 🚀\n' })],
    ['an event_id', 'log', aLog({ event_id: 'evt-1' }), logEvent({ eventId: 'evt-1' })],
    ['a null event_id, derived', 'log', aLog({ event_id: null }), logEvent()],
    [
      'unknown fields kept in attributes',
      'log',
      aLog({ host: 'web-1', tags: ['a'], trace: { span: { id: 1 } } }),
      logEvent({ attributes: { host: 'web-1', tags: ['a'], trace: { span: { id: 1 } } } }),
    ],
    ['a UTF-8 byte order mark', 'log', `\uFEFF${JSON.stringify(aLog())}`, logEvent()],
    [
      'duplicate keys: the last wins',
      'log',
      '{"timestamp":"2025-01-01T10:20:30Z","service":"auth-service","level":"INFO","level":"ERROR","message":"User login failed","user_id":123}',
      logEvent(),
    ],
    ['the seed metric', 'metric', aMetric(), metricEvent()],
    ['numeric strings', 'metric', aMetric({ cpu: '88.2', latency_ms: ' 420 ' }), metricEvent()],
    ['exponents', 'metric', aMetric({ cpu: '8.82e1', latency_ms: 4.2e2 }), metricEvent()],
    ['the lower bounds', 'metric', aMetric({ cpu: 0, latency_ms: 0 }), metricEvent({ cpu: 0, latencyMs: 0 })],
    [
      '-0 as 0',
      'metric',
      '{"timestamp":"2025-01-01T10:20:32Z","service":"inventory-api","cpu":-0,"latency_ms":"-0"}',
      metricEvent({ cpu: 0, latencyMs: 0 }),
    ],
    [
      'the upper bounds',
      'metric',
      aMetric({ cpu: 100, latency_ms: 3_600_000 }),
      metricEvent({ cpu: 100, latencyMs: 3_600_000 }),
    ],
    ['a transaction', 'transaction', aTransaction(), transactionEvent()],
    [
      'merchant trimmed, status lower-cased',
      'transaction',
      aTransaction({ merchant: ' Acme Ltd ', status: 'APPROVED' }),
      transactionEvent({ merchant: 'Acme Ltd', status: 'approved' }),
    ],
    [
      'blank merchant and status as null',
      'transaction',
      aTransaction({ merchant: '  ', status: null }),
      transactionEvent(),
    ],
    ['a zero amount', 'transaction', aTransaction({ amount: 0 }), transactionEvent({ amount: 0 })],
    ['maxAmount', 'transaction', aTransaction({ amount: '1000000000' }), transactionEvent({ amount: 1e9 })],
    [
      'integer ids as strings',
      'transaction',
      aTransaction({ transaction_id: 98765, user_id: 9007199254740991 }),
      transactionEvent({ transactionId: '98765', userId: '9007199254740991' }),
    ],
  ])('%s', (_, kind, wire, expected) => {
    expect(cleanRecord(kind, aRecord(kind, bytes(wire)), policy, NOW_MS)).toEqual(expected)
  })
})

describe('cleanRecord', () => {
  it('never changes a prototype for a __proto__ field, and keeps it as an attribute', () => {
    const wire = `{"timestamp":"2025-01-01T10:20:30Z","service":"a","level":"INFO","message":"m","__proto__":{"polluted":true}}`
    const event = cleanRecord('log', aRecord('log', bytes(wire)), policy, NOW_MS)
    expect(event.kind).toBe('log')
    const attributes = (event as Event).attributes
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype)
    expect(Object.hasOwn(attributes, '__proto__')).toBe(true)
    expect(JSON.stringify(attributes)).toBe('{"__proto__":{"polluted":true}}')
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })

  it('honours a policy with other limits', () => {
    const strict = createCleanPolicy({ maxMessageBytes: 50, maxAmount: 100 })
    expect(cleanRecord('log', aRecord('log', bytes(aLog())), strict, NOW_MS)).toMatchObject({
      reason: 'oversized',
    })
    const big = cleanRecord(
      'transaction',
      aRecord('transaction', bytes({ ...aTransaction(), amount: 101 })),
      strict,
      NOW_MS,
    )
    expect(big).toMatchObject({ reason: 'oversized' })
    const small = createCleanPolicy({ maxAmount: 100 })
    expect(
      cleanRecord('transaction', aRecord('transaction', bytes(aTransaction({ amount: 101 }))), small, NOW_MS),
    ).toMatchObject({
      reason: 'out_of_range',
      message: 'amount: 101 is outside 0..100',
    })
  })

  it('derives the event id from the source, so a redelivered record is the same event', () => {
    const value = bytes(aLog())
    const first = cleanRecord('log', aRecord('log', value, 7), policy, NOW_MS)
    const again = cleanRecord('log', aRecord('log', value, 7), policy, NOW_MS)
    const next = cleanRecord('log', aRecord('log', value, 8), policy, NOW_MS)
    expect(first).toEqual(again)
    expect((first as Event).eventId).toBe('logs/0/7')
    expect((next as Event).eventId).toBe('logs/0/8')
  })

  it('does not keep the record in the event', () => {
    const record = aRecord('log', bytes(aLog()))
    const event = cleanRecord('log', record, policy, NOW_MS) as Event
    expect(event.source).not.toBe(record)
    expect(Object.keys(event.source)).toEqual(['topic', 'partition', 'offset'])
  })
})

describe('cleanRecords', () => {
  it('splits a batch into events and rejections, each in record order', () => {
    const records = [
      aRecord('metric', bytes(aMetric()), 1),
      aRecord('metric', bytes(aMetric({ cpu: 120 })), 2),
      aRecord('metric', bytes(aMetric({ cpu: 1 })), 3),
      aRecord('metric', null, 4),
    ]
    const { events, rejections } = cleanRecords('metric', records, policy, NOW_MS)
    expect(events.map((e) => [e.source.offset, e.cpu])).toEqual([
      [1, 88.2],
      [3, 1],
    ])
    expect(rejections.map((r) => [r.source.offset, r.reason])).toEqual([
      [2, 'out_of_range'],
      [4, 'empty'],
    ])
  })

  it('returns empty arrays for an empty batch', () => {
    expect(cleanRecords('log', [], policy, NOW_MS)).toEqual({ events: [], rejections: [] })
  })
})

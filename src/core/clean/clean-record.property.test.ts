import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { deriveEventId, type Event, LOG_LEVELS, REJECT_REASONS } from '../../contracts/events.ts'
import { EVENT_TOPICS, type EventKind, KIND_OF_TOPIC, TOPIC_OF_KIND } from '../../contracts/topics.ts'
import { createCleanPolicy } from './clean-policy.ts'
import { type CleanInput, cleanRecord } from './clean-record.ts'

const NOW_MS = Date.parse('2025-01-01T10:21:00Z')
const policy = createCleanPolicy()
const encoder = new TextEncoder()
const KNOWN_FIELDS: Record<EventKind, readonly string[]> = {
  log: ['timestamp', 'service', 'level', 'message', 'user_id', 'event_id'],
  metric: ['timestamp', 'service', 'cpu', 'latency_ms', 'event_id'],
  transaction: [
    'timestamp',
    'transaction_id',
    'user_id',
    'amount',
    'currency',
    'merchant',
    'status',
    'event_id',
  ],
}
const EVENT_KEYS: Record<EventKind, readonly string[]> = {
  log: ['kind', 'eventId', 'tsMs', 'source', 'attributes', 'service', 'level', 'message', 'userId'],
  metric: ['kind', 'eventId', 'tsMs', 'source', 'attributes', 'service', 'cpu', 'latencyMs'],
  transaction: [
    'kind',
    'eventId',
    'tsMs',
    'source',
    'attributes',
    'transactionId',
    'userId',
    'amount',
    'currency',
    'merchant',
    'status',
  ],
}

function aRecord(kind: EventKind, value: Uint8Array | null, offset = 42): CleanInput {
  return { topic: TOPIC_OF_KIND[kind], partition: 3, offset, key: null, value }
}

const encode = (value: unknown) => encoder.encode(JSON.stringify(value))

/** What every accepted event promises its consumers. */
function expectValidEvent(event: Event, kind: EventKind, record: CleanInput): void {
  expect(event.kind).toBe(kind)
  expect(Object.keys(event).sort()).toEqual([...EVENT_KEYS[kind]].sort())
  expect(event.source).toEqual({ topic: record.topic, partition: record.partition, offset: record.offset })
  expect(event.eventId.length).toBeGreaterThan(0)
  expect(event.eventId.length).toBeLessThanOrEqual(Math.max(policy.maxIdChars, deriveEventId(record).length))
  expect(Number.isSafeInteger(event.tsMs)).toBe(true)
  expect(event.tsMs).toBeGreaterThanOrEqual(NOW_MS - policy.maxEventAgeMs)
  expect(event.tsMs).toBeLessThanOrEqual(NOW_MS + policy.maxFutureSkewMs)
  expect(Object.getPrototypeOf(event.attributes)).toBe(Object.prototype)
  for (const field of KNOWN_FIELDS[kind]) expect(Object.hasOwn(event.attributes, field)).toBe(false)
  const noNul = (s: string | null) => s === null || !s.includes('\u0000')
  switch (event.kind) {
    case 'log':
      expect(event.service).toMatch(/^[a-z0-9._\-/:]{1,128}$/)
      expect(LOG_LEVELS).toContain(event.level)
      expect(event.message.length).toBeLessThanOrEqual(policy.maxMessageChars)
      expect(noNul(event.message) && noNul(event.userId)).toBe(true)
      break
    case 'metric':
      expect(event.service).toMatch(/^[a-z0-9._\-/:]{1,128}$/)
      expect(event.cpu >= 0 && event.cpu <= 100 && !Object.is(event.cpu, -0)).toBe(true)
      expect(event.latencyMs >= 0 && event.latencyMs <= policy.maxLatencyMs).toBe(true)
      break
    case 'transaction':
      expect(event.amount >= 0 && event.amount <= policy.maxAmount).toBe(true)
      expect(event.currency).toMatch(/^[A-Z]{3}$/)
      expect(event.transactionId.length).toBeGreaterThan(0)
      expect(event.userId.length).toBeGreaterThan(0)
      expect(noNul(event.merchant) && noNul(event.status)).toBe(true)
      break
  }
  expect(() => JSON.stringify(event)).not.toThrow()
}

/** Every result is a valid event or a rejection with a known reason and a short message. */
function expectWellFormed(kind: EventKind, record: CleanInput): Event | null {
  const result = cleanRecord(kind, record, policy, NOW_MS)
  if (result.kind !== 'rejection') {
    expectValidEvent(result, kind, record)
    return result
  }
  expect(REJECT_REASONS).toContain(result.reason)
  expect(result.message).toMatch(/^[^:]+: \S/)
  expect(result.message).not.toContain('cleaner failed')
  expect(result.message.length).toBeLessThanOrEqual(800)
  expect(result.raw).toBe(record.value)
  return null
}

const anyKind = fc.constantFrom<EventKind>(...EVENT_TOPICS.map((topic) => KIND_OF_TOPIC[topic]))

/** Values that are sometimes right for a field and often wrong in every way we can think of. */
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ maxLength: 20 }),
  fc.double(),
  fc.integer(),
  fc.double().map(String),
  fc.constantFrom(
    '',
    ' ',
    '0x10',
    '1e400',
    'NaN',
    'info',
    'Warning',
    'usd',
    'auth-service',
    'a\u0000b',
    '__proto__',
  ),
  fc.integer({ min: NOW_MS - 8 * 86_400_000, max: NOW_MS + 600_000 }),
  fc.integer({ min: NOW_MS - 8 * 86_400_000, max: NOW_MS + 600_000 }).map((ms) => new Date(ms).toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '+05:30')),
)

const pad = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(fc.constantFrom('', ' ', '\t'), text, fc.constantFrom('', ' ', '\n'))
    .map((parts) => parts.join(''))
const anyCase = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(text, fc.constantFrom('lower', 'upper', 'as is'))
    .map(([t, c]) => (c === 'lower' ? t.toLowerCase() : c === 'upper' ? t.toUpperCase() : t))
const inWindowMs = fc.integer({ min: NOW_MS - 7 * 86_400_000, max: NOW_MS + 300_000 })
const numberOrString = (min: number, max: number) =>
  fc.double({ min, max, noNaN: true }).chain((n) => fc.constantFrom<unknown>(n, String(n), ` ${n} `))
const idOrInteger = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && !s.includes('\u0000')),
  fc.nat(),
)

/** Each known field spelled in one of the ways the cleaner accepts. */
const SLOPPY_VALID: Record<string, fc.Arbitrary<unknown>> = {
  timestamp: fc.oneof(
    inWindowMs,
    inWindowMs.map(String),
    inWindowMs.map((ms) => new Date(ms).toISOString()),
    inWindowMs.map((ms) => new Date(ms).toISOString().replace('Z', '')),
    inWindowMs.map((ms) => `${new Date(ms + 19_800_000).toISOString().slice(0, -1)}+05:30`),
  ),
  service: pad(anyCase(fc.stringMatching(/^[a-z0-9._\-/:]{1,30}$/))),
  level: pad(
    anyCase(
      fc.constantFrom(
        'trace',
        'verbose',
        'debug',
        'info',
        'notice',
        'warn',
        'warning',
        'err',
        'error',
        'crit',
        'fatal',
        'panic',
      ),
    ),
  ),
  message: fc.string({ maxLength: 50 }),
  user_id: fc.option(idOrInteger, { nil: null }),
  cpu: numberOrString(0, 100),
  latency_ms: numberOrString(0, 3_600_000),
  transaction_id: idOrInteger,
  amount: numberOrString(0, 1e9),
  currency: pad(anyCase(fc.stringMatching(/^[a-z]{3}$/))),
  merchant: fc.option(pad(fc.string({ maxLength: 20 })), { nil: null }),
  status: fc.option(pad(anyCase(fc.constantFrom('approved', 'declined', 'pending'))), { nil: null }),
  event_id: fc.option(
    fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && !s.includes('\u0000')),
    {
      nil: undefined,
    },
  ),
}

/** A message of `kind` whose fields are mostly right, in many spellings, and sometimes anything. */
function wireish(kind: EventKind) {
  const fields = Object.fromEntries(
    KNOWN_FIELDS[kind].map((field) => [
      field,
      fc.oneof(
        { weight: 12, arbitrary: SLOPPY_VALID[field]! },
        { weight: 1, arbitrary: fieldValue },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
    ]),
  )
  const extras = fc.dictionary(
    fc.oneof(fc.string({ maxLength: 8 }), fc.constant('__proto__')),
    fc.jsonValue({ maxDepth: 3 }),
    {
      maxKeys: 3,
    },
  )
  return fc.tuple(fc.record(fields), extras).map(([known, extra]) => ({ ...extra, ...known }))
}

describe('cleanRecord, for any input', () => {
  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(anyKind, fc.uint8Array({ maxLength: 300 }), (kind, bytes) => {
        expectWellFormed(kind, aRecord(kind, bytes))
      }),
      { numRuns: 2000 },
    )
  })

  it('never throws on any JSON value', () => {
    fc.assert(
      fc.property(anyKind, fc.jsonValue(), (kind, value) => {
        expectWellFormed(kind, aRecord(kind, encode(value)))
      }),
      { numRuns: 1000 },
    )
  })

  it('gives a valid event or a known reason for any mix of right and wrong fields', () => {
    let accepted = 0
    fc.assert(
      fc.property(
        anyKind.chain((kind) => fc.tuple(fc.constant(kind), wireish(kind))),
        ([kind, wire]) => {
          if (expectWellFormed(kind, aRecord(kind, encode(wire))) !== null) accepted++
        },
      ),
      { numRuns: 3000 },
    )
    // both paths are exercised, not only the rejections
    expect(accepted).toBeGreaterThan(300)
    expect(accepted).toBeLessThan(2700)
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })

  it('gives the same result for the same record', () => {
    fc.assert(
      fc.property(
        anyKind.chain((kind) => fc.tuple(fc.constant(kind), wireish(kind))),
        ([kind, wire]) => {
          const value = encode(wire)
          expect(cleanRecord(kind, aRecord(kind, value), policy, NOW_MS)).toEqual(
            cleanRecord(kind, aRecord(kind, value.slice()), policy, NOW_MS),
          )
        },
      ),
    )
  })
})

/** The wire form of an event, as a producer would send it. */
function toWire(event: Event): Record<string, unknown> {
  const common = {
    ...event.attributes,
    timestamp: new Date(event.tsMs).toISOString(),
    event_id: event.eventId === deriveEventId(event.source) ? undefined : event.eventId,
  }
  switch (event.kind) {
    case 'log':
      return {
        ...common,
        service: event.service,
        level: event.level,
        message: event.message,
        user_id: event.userId,
      }
    case 'metric':
      return { ...common, service: event.service, cpu: event.cpu, latency_ms: event.latencyMs }
    case 'transaction':
      return {
        ...common,
        transaction_id: event.transactionId,
        user_id: event.userId,
        amount: event.amount,
        currency: event.currency,
        merchant: event.merchant,
        status: event.status,
      }
  }
}

const noNul = (s: string) => !s.includes('\u0000')
const anId = fc.string({ minLength: 1, maxLength: 128 }).filter((s) => s.trim() === s && noNul(s))
const aService = fc.stringMatching(/^[a-z0-9._\-/:]{1,40}$/)
const aText = (maxLength: number) =>
  fc.string({ minLength: 1, maxLength, unit: 'binary' }).filter((s) => s.trim() === s && noNul(s))
const source = fc.record({
  topic: fc.constant(''),
  partition: fc.nat(64),
  offset: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
})
const base = fc.record({
  eventId: fc.option(anId, { nil: undefined }),
  tsMs: fc.integer({ min: NOW_MS - policy.maxEventAgeMs, max: NOW_MS + policy.maxFutureSkewMs }),
  source,
  attributes: fc
    .dictionary(
      fc.string({ maxLength: 10 }).filter((k) => !Object.values(KNOWN_FIELDS).flat().includes(k)),
      fc.jsonValue({ maxDepth: 3 }),
      { maxKeys: 3 },
    )
    .filter((a) => !JSON.stringify(a).includes('\\u0000'))
    // as JSON carries them: -0 is sent as 0
    .map((a) => JSON.parse(JSON.stringify(a)) as Record<string, unknown>),
})
const validEvent: fc.Arbitrary<Event> = fc
  .oneof(
    fc.record({
      base,
      service: aService,
      level: fc.constantFrom(...LOG_LEVELS),
      message: fc.string({ maxLength: 200, unit: 'binary' }).filter(noNul),
      userId: fc.option(anId, { nil: null }),
    }),
    fc.record({
      base,
      service: aService,
      cpu: fc.double({ min: 0, max: 100, noNaN: true }),
      latencyMs: fc.double({ min: 0, max: policy.maxLatencyMs, noNaN: true }),
    }),
    fc.record({
      base,
      transactionId: anId,
      userId: anId,
      amount: fc.double({ min: 0, max: policy.maxAmount, noNaN: true }),
      currency: fc.stringMatching(/^[A-Z]{3}$/),
      merchant: fc.option(aText(256), { nil: null }),
      status: fc.option(
        aText(32).filter((s) => s.toLowerCase() === s),
        { nil: null },
      ),
    }),
  )
  .map(({ base: { eventId, source: where, ...rest }, ...fields }) => {
    const kind: EventKind = 'level' in fields ? 'log' : 'cpu' in fields ? 'metric' : 'transaction'
    const src = { ...where, topic: TOPIC_OF_KIND[kind] }
    for (const [name, value] of Object.entries(fields)) {
      if (typeof value === 'number') (fields as Record<string, unknown>)[name] = value + 0
    }
    return { kind, eventId: eventId ?? deriveEventId(src), source: src, ...rest, ...fields } as Event
  })

describe('cleanRecord round trip', () => {
  it('cleans a valid event, serialised, back to the same event', () => {
    fc.assert(
      fc.property(validEvent, (event) => {
        const record = { ...event.source, key: null, value: encode(toWire(event)) }
        expect(cleanRecord(event.kind, record, policy, NOW_MS)).toEqual(event)
      }),
      { numRuns: 1000 },
    )
  })

  it('cleans an accepted event, serialised, to itself', () => {
    fc.assert(
      fc.property(
        anyKind.chain((kind) => fc.tuple(fc.constant(kind), wireish(kind))),
        ([kind, wire]) => {
          const first = cleanRecord(kind, aRecord(kind, encode(wire)), policy, NOW_MS)
          fc.pre(first.kind !== 'rejection')
          const event = first as Event
          const again = cleanRecord(kind, aRecord(kind, encode(toWire(event))), policy, NOW_MS)
          expect(again).toEqual(event)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('derives the same id for the same source, and different ids for different sources', () => {
    fc.assert(
      fc.property(anyKind, source, source, (kind, a, b) => {
        const value = encode({
          timestamp: NOW_MS,
          service: 's',
          level: 'INFO',
          message: '',
          cpu: 1,
          latency_ms: 1,
          transaction_id: 't',
          user_id: 'u',
          amount: 1,
          currency: 'EUR',
        })
        const clean = (where: typeof a) =>
          cleanRecord(kind, { ...where, key: null, value }, policy, NOW_MS) as Event
        expect(clean(a).eventId).toBe(deriveEventId(a))
        expect(clean(a).eventId).toBe(clean({ ...a }).eventId)
        expect(clean(a).eventId === clean(b).eventId).toBe(
          a.partition === b.partition && a.offset === b.offset,
        )
      }),
    )
  })
})

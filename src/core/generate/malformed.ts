// Messages the cleaner must reject, one kind per tag, each a realistic event with one thing wrong.
// Every tag names the reason the cleaner gives (src/core/clean/clean-record.ts), so a test can
// check not only that each is rejected but that it is rejected for what was broken.
import type { RejectReason } from '../../contracts/events.ts'
import type { EventTopic } from '../../contracts/topics.ts'
import { CURRENCIES, MERCHANTS, pickUserId, SERVICES } from './catalog.ts'
import type { Prng } from './prng.ts'
import { formatTimestamp } from './wire.ts'

export const MALFORMED_TAGS = [
  'truncated_json',
  'not_an_object',
  'missing_field',
  'wrong_type',
  'invalid_number',
  'invalid_timestamp',
  'cpu_out_of_range',
  'negative_latency',
  'negative_amount',
  'absurd_amount',
  'timestamp_in_future',
  'timestamp_too_old',
  'invalid_utf8',
  'oversized',
  'empty',
  'unknown_level',
  'bad_currency',
] as const
export type MalformedTag = (typeof MALFORMED_TAGS)[number]

const ALL: readonly EventTopic[] = ['logs', 'metrics', 'transactions']

/** The topics a tag can be produced on (a bad currency only makes sense for a transaction). */
export const TOPICS_OF_TAG: Record<MalformedTag, readonly EventTopic[]> = {
  truncated_json: ALL,
  not_an_object: ALL,
  missing_field: ALL,
  wrong_type: ALL,
  invalid_number: ['metrics', 'transactions'],
  invalid_timestamp: ALL,
  cpu_out_of_range: ['metrics'],
  negative_latency: ['metrics'],
  negative_amount: ['transactions'],
  absurd_amount: ['transactions'],
  timestamp_in_future: ALL,
  timestamp_too_old: ALL,
  invalid_utf8: ALL,
  oversized: ALL,
  empty: ALL,
  unknown_level: ['logs'],
  bad_currency: ['transactions'],
}

/** The reason the cleaner (with its default policy) gives for each tag. */
export const EXPECTED_REJECT_REASON: Record<MalformedTag, RejectReason> = {
  truncated_json: 'invalid_json',
  not_an_object: 'not_an_object',
  missing_field: 'missing_field',
  wrong_type: 'wrong_type',
  invalid_number: 'invalid_value',
  invalid_timestamp: 'invalid_value',
  cpu_out_of_range: 'out_of_range',
  negative_latency: 'out_of_range',
  negative_amount: 'out_of_range',
  absurd_amount: 'out_of_range',
  timestamp_in_future: 'timestamp_in_future',
  timestamp_too_old: 'timestamp_too_old',
  invalid_utf8: 'invalid_utf8',
  oversized: 'oversized',
  empty: 'empty',
  unknown_level: 'invalid_value',
  bad_currency: 'invalid_value',
}

/** Over the cleaner's default limit of 256 KiB. */
export const OVERSIZED_BYTES = 256 * 1024 + 1024

export interface MalformedMessage {
  key: string
  value: string | Uint8Array
}

type Fields = Record<string, unknown>

const REQUIRED: Record<EventTopic, readonly string[]> = {
  logs: ['timestamp', 'service', 'level', 'message'],
  metrics: ['timestamp', 'service', 'cpu', 'latency_ms'],
  transactions: ['timestamp', 'transaction_id', 'user_id', 'amount', 'currency'],
}

/** A value of a JSON type the field can never have. */
const WRONG_TYPES: Record<EventTopic, readonly [string, unknown][]> = {
  logs: [
    ['message', 42],
    ['level', 3],
    ['service', ['gateway']],
    ['timestamp', true],
  ],
  metrics: [
    ['cpu', true],
    ['latency_ms', { ms: 12 }],
    ['service', 7],
  ],
  transactions: [
    ['amount', [12.5]],
    ['currency', 840],
    ['user_id', { id: 'u-0001' }],
  ],
}

const INVALID_NUMBERS = ['NaN', 'Infinity', '12,5', '0x1F', 'fast', '', '1e400']
const INVALID_TIMESTAMPS = ['yesterday', '2025-02-30T10:00:00Z', '2025-13-01T00:00:00Z', '10:20:30']
const UNKNOWN_LEVELS = ['LOUD', 'critical!', 'E', 'Information please', 'ok']
const BAD_CURRENCIES = ['US', 'DOLLAR', 'U$D', '€', '123', 'usd1']

export function createMalformedMessage(
  tag: MalformedTag,
  topic: EventTopic,
  tsMs: number,
  prng: Prng,
): MalformedMessage {
  const fields = baseFields(topic, tsMs, prng)
  const key = String(topic === 'transactions' ? fields['user_id'] : fields['service'])
  const json = (value: unknown): MalformedMessage => ({ key, value: JSON.stringify(value) })
  switch (tag) {
    case 'truncated_json': {
      const text = JSON.stringify(fields)
      return { key, value: text.slice(0, prng.int(1, text.length - 2)) }
    }
    case 'not_an_object':
      return json(prng.pick([[fields], 'hello', 42, null, true, []]))
    case 'missing_field': {
      const field = prng.pick(REQUIRED[topic])
      const { [field]: _dropped, ...rest } = fields
      return json(prng.chance(0.5) ? rest : { ...fields, [field]: null })
    }
    case 'wrong_type': {
      const [field, value] = prng.pick(WRONG_TYPES[topic])
      return json({ ...fields, [field]: value })
    }
    case 'invalid_number': {
      const field = topic === 'metrics' ? prng.pick(['cpu', 'latency_ms']) : 'amount'
      return json({ ...fields, [field]: prng.pick(INVALID_NUMBERS) })
    }
    case 'invalid_timestamp':
      return json({ ...fields, timestamp: prng.pick(INVALID_TIMESTAMPS) })
    case 'cpu_out_of_range':
      return json({ ...fields, cpu: prng.chance(0.5) ? prng.int(101, 400) : -prng.int(1, 50) })
    case 'negative_latency':
      return json({ ...fields, latency_ms: -prng.int(1, 500) })
    case 'negative_amount':
      return json({ ...fields, amount: -Math.round(prng.uniform(0.01, 5_000) * 100) / 100 })
    case 'absurd_amount':
      return json({ ...fields, amount: Math.round(prng.uniform(1.5e9, 1e13)) })
    case 'timestamp_in_future':
      return json({ ...fields, timestamp: formatTimestamp(Date.UTC(9999, 0, 1) + (tsMs % 86_400_000)) })
    case 'timestamp_too_old':
      return json({ ...fields, timestamp: formatTimestamp(tsMs % 86_400_000) })
    case 'invalid_utf8':
      return { key, value: withInvalidUtf8(JSON.stringify(fields), prng) }
    case 'oversized':
      return json({ ...fields, padding: 'x'.repeat(OVERSIZED_BYTES) })
    case 'empty':
      return { key, value: '' }
    case 'unknown_level':
      return json({ ...fields, level: prng.pick(UNKNOWN_LEVELS) })
    case 'bad_currency':
      return json({ ...fields, currency: prng.pick(BAD_CURRENCIES) })
  }
}

function baseFields(topic: EventTopic, tsMs: number, prng: Prng): Fields {
  const timestamp = formatTimestamp(tsMs)
  switch (topic) {
    case 'logs':
      return { timestamp, service: prng.pick(SERVICES), level: 'INFO', message: 'Request served' }
    case 'metrics':
      return { timestamp, service: prng.pick(SERVICES), cpu: 42.5, latency_ms: 120 }
    case 'transactions':
      return {
        timestamp,
        transaction_id: `t-${prng.hex(16)}`,
        user_id: pickUserId(prng),
        amount: 25.5,
        currency: prng.pick(CURRENCIES),
        merchant: prng.pick(MERCHANTS),
        status: 'approved',
      }
  }
}

/** The JSON's bytes with a byte sequence that is never UTF-8 spliced into a string value. */
function withInvalidUtf8(text: string, prng: Prng): Uint8Array {
  const bytes = new TextEncoder().encode(text)
  const at = text.lastIndexOf('"', text.length - 2)
  const bad = prng.pick([[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80]])
  const out = new Uint8Array(bytes.length + bad.length)
  out.set(bytes.subarray(0, at))
  out.set(bad, at)
  out.set(bytes.subarray(at), at + bad.length)
  return out
}

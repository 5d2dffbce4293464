// Hand-made bad records for the bad-input scenario, one per way a producer can go wrong, each
// with the dead-letter reason the cleaner must give (src/core/clean/clean-record.ts), or null
// for a record that is odd but valid and must be stored as it is.
import type { RejectReason } from '../../../src/contracts/events.ts'
import type { EventTopic } from '../../../src/contracts/topics.ts'

export interface BadRecord {
  name: string
  topic: EventTopic
  /** null: a valid record that must be stored */
  reason: RejectReason | null
  value(nowIso: string): string | Uint8Array
}

const log = (ts: string, extra = '') =>
  `{"timestamp":"${ts}","service":"checkout","level":"INFO","message":"order placed"${extra}}`
const metric = (ts: string, cpu = '42.5', latency = '120', extra = '') =>
  `{"timestamp":"${ts}","service":"checkout","cpu":${cpu},"latency_ms":${latency}${extra}}`
const transaction = (ts: string, amount = '12.5', extra = '') =>
  `{"timestamp":"${ts}","transaction_id":"t-fault","user_id":"u-1","amount":${amount},"currency":"EUR","merchant":"Shop","status":"approved"${extra}}`
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))))

export const BAD_RECORDS: readonly BadRecord[] = [
  { name: 'truncated JSON', topic: 'logs', reason: 'invalid_json', value: (ts) => log(ts).slice(0, 40) },
  {
    name: 'truncated mid-escape',
    topic: 'logs',
    reason: 'invalid_json',
    value: (ts) => `${log(ts).slice(0, -3)}\\u00`,
  },
  { name: 'wrong type: cpu true', topic: 'metrics', reason: 'wrong_type', value: (ts) => metric(ts, 'true') },
  {
    name: 'wrong type: message 42',
    topic: 'logs',
    reason: 'wrong_type',
    value: (ts) => `{"timestamp":"${ts}","service":"checkout","level":"INFO","message":42}`,
  },
  {
    name: 'wrong type: amount object',
    topic: 'transactions',
    reason: 'wrong_type',
    value: (ts) => transaction(ts, '{"value":1}'),
  },
  {
    name: 'missing field: message',
    topic: 'logs',
    reason: 'missing_field',
    value: (ts) => `{"timestamp":"${ts}","service":"checkout","level":"INFO"}`,
  },
  {
    name: 'missing field: timestamp',
    topic: 'metrics',
    reason: 'missing_field',
    value: () => '{"service":"checkout","cpu":1,"latency_ms":2}',
  },
  {
    name: 'null field: amount',
    topic: 'transactions',
    reason: 'missing_field',
    value: (ts) => transaction(ts, 'null'),
  },
  {
    name: 'huge string: 20,000-char message',
    topic: 'logs',
    reason: 'invalid_value',
    value: (ts) =>
      `{"timestamp":"${ts}","service":"checkout","level":"INFO","message":"${'x'.repeat(20_000)}"}`,
  },
  {
    name: 'huge record: 300 KB',
    topic: 'logs',
    reason: 'oversized',
    value: (ts) => log(ts, `,"pad":"${'y'.repeat(300_000)}"`),
  },
  {
    name: 'deep nesting: 40 levels in an unknown field',
    topic: 'logs',
    reason: 'invalid_value',
    value: (ts) => log(ts, `,"extra":${nested(40)}`),
  },
  {
    name: 'deep nesting: 5,000 levels',
    topic: 'metrics',
    reason: 'invalid_value',
    value: (ts) => metric(ts, '1', '2', `,"extra":${nested(5_000)}`),
  },
  { name: 'NaN literal', topic: 'metrics', reason: 'invalid_json', value: (ts) => metric(ts, 'NaN') },
  { name: 'NaN as a string', topic: 'metrics', reason: 'invalid_value', value: (ts) => metric(ts, '"NaN"') },
  {
    name: 'Infinity: 1e400',
    topic: 'metrics',
    reason: 'invalid_value',
    value: (ts) => metric(ts, '1', '1e400'),
  },
  {
    name: 'number past 2^53: amount',
    topic: 'transactions',
    reason: 'out_of_range',
    value: (ts) => transaction(ts, '9007199254740993'),
  },
  {
    name: 'number past 2^53: event_id',
    topic: 'logs',
    reason: 'wrong_type',
    value: (ts) => log(ts, ',"event_id":9007199254740993'),
  },
  {
    name: 'invalid UTF-8: 0xff in a string',
    topic: 'logs',
    reason: 'invalid_utf8',
    value: (ts) => bytes(log(ts).slice(0, -2), [0xff, 0xfe], '"}'),
  },
  {
    name: 'invalid UTF-8: overlong "/"',
    topic: 'transactions',
    reason: 'invalid_utf8',
    value: (ts) => bytes(transaction(ts).slice(0, -1), ',"x":"', [0xc0, 0xaf], '"}'),
  },
  {
    name: 'invalid UTF-8: encoded surrogate',
    topic: 'metrics',
    reason: 'invalid_utf8',
    value: (ts) => bytes(metric(ts).slice(0, -1), ',"x":"', [0xed, 0xa0, 0x80], '"}'),
  },
  {
    name: 'duplicate keys, last one bad',
    topic: 'metrics',
    reason: 'wrong_type',
    value: (ts) => metric(ts, '50', '10', ',"cpu":false'),
  },
  {
    name: 'duplicate keys, last level unknown',
    topic: 'logs',
    reason: 'invalid_value',
    value: (ts) => log(ts, ',"level":"LOUD"'),
  },
  {
    name: 'lone surrogate "\\ud800" in message',
    topic: 'logs',
    reason: 'invalid_value',
    value: (ts) => `{"timestamp":"${ts}","service":"checkout","level":"INFO","message":"bad \\ud800 half"}`,
  },
  {
    name: 'lone surrogate "\\udfff" in a key',
    topic: 'transactions',
    reason: 'invalid_value',
    value: (ts) => transaction(ts, '1', ',"\\udfff":1'),
  },
  {
    name: 'U+0000 in message',
    topic: 'logs',
    reason: 'invalid_value',
    value: (ts) => `{"timestamp":"${ts}","service":"checkout","level":"INFO","message":"nul \\u0000 here"}`,
  },
  {
    name: 'timestamp in year 9999',
    topic: 'logs',
    reason: 'timestamp_in_future',
    value: () => log('9999-12-31T23:59:59.999Z'),
  },
  {
    name: 'timestamp in 1970',
    topic: 'metrics',
    reason: 'timestamp_too_old',
    value: () => metric('1970-01-01T00:00:00.000Z'),
  },
  {
    name: 'timestamp not a date',
    topic: 'transactions',
    reason: 'invalid_value',
    value: () => transaction('2025-13-45T99:00:00Z'),
  },
  {
    name: 'negative amount',
    topic: 'transactions',
    reason: 'out_of_range',
    value: (ts) => transaction(ts, '-12.5'),
  },
  {
    name: 'negative latency',
    topic: 'metrics',
    reason: 'out_of_range',
    value: (ts) => metric(ts, '10', '-1'),
  },
  { name: 'cpu 1e308', topic: 'metrics', reason: 'out_of_range', value: (ts) => metric(ts, '1e308') },
  { name: 'empty value', topic: 'logs', reason: 'empty', value: () => '' },
  { name: 'JSON array', topic: 'metrics', reason: 'not_an_object', value: () => '[1,2,3]' },
  { name: 'JSON null', topic: 'transactions', reason: 'not_an_object', value: () => 'null' },
  {
    name: 'SQL in the service name',
    topic: 'logs',
    reason: 'invalid_value',
    value: (ts) => `{"timestamp":"${ts}","service":"x'); DROP TABLE logs;--","level":"INFO","message":"m"}`,
  },
  // odd but valid: must be stored, unchanged
  {
    name: 'unknown fields (kept as attributes)',
    topic: 'logs',
    reason: null,
    value: (ts) => log(ts, ',"region":"eu-west-1","retry":{"n":2}'),
  },
  {
    name: 'Slack markup in a message',
    topic: 'logs',
    reason: null,
    value: (ts) =>
      `{"timestamp":"${ts}","service":"checkout","level":"INFO","message":"<!channel> <@U123> *bold* <https://evil.example|click> &amp; \`code\`"}`,
  },
  {
    name: 'SQL in a message',
    topic: 'logs',
    reason: null,
    value: (ts) =>
      `{"timestamp":"${ts}","service":"checkout","level":"INFO","message":"'); DROP TABLE logs; --"}`,
  },
  {
    name: 'byte order mark before the JSON',
    topic: 'metrics',
    reason: null,
    value: (ts) => bytes([0xef, 0xbb, 0xbf], metric(ts)),
  },
  {
    name: 'duplicate keys, last one good',
    topic: 'metrics',
    reason: null,
    value: (ts) => metric(ts, '"high"', '10', ',"cpu":55'),
  },
]

import { describe, expect, it } from 'vitest'
import { VERDICT_HEADER, VERDICT_MESSAGE_HEADER, verdictHeaders, verdictOf } from './ingest-verdict.ts'

const bytes = (text: string) => new TextEncoder().encode(text)
const record = (headers: [string, string][]) => ({
  topic: 'transactions',
  partition: 2,
  offset: 41,
  key: null,
  value: bytes('{"amount": -3}'),
  headers: headers.map(([name, value]) => [name, bytes(value)] as const),
})

describe('ingest verdict', () => {
  it('is the rejection its headers carry, with the record as its source and raw bytes', () => {
    const headers = Object.entries(verdictHeaders('out_of_range', 'amount: -3 is outside 0..1000000'))
    expect(verdictOf('transaction', record(headers))).toEqual({
      kind: 'rejection',
      expected: 'transaction',
      reason: 'out_of_range',
      message: 'at ingest: amount: -3 is outside 0..1000000',
      source: { topic: 'transactions', partition: 2, offset: 41 },
      key: null,
      raw: bytes('{"amount": -3}'),
    })
  })

  it.each([
    ['no headers', []],
    ['other headers', [['trace-id', 'abc']]],
    ['a reason we do not know', [[VERDICT_HEADER, 'looked_wrong']]],
    ['a message without a reason', [[VERDICT_MESSAGE_HEADER, 'x']]],
  ] as [string, [string, string][]][])('is none with %s: the record is cleaned as usual', (_, headers) => {
    expect(verdictOf('transaction', record(headers))).toBeUndefined()
  })
})

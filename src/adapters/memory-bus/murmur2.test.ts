import { murmur2 as referenceMurmur2 } from '@platformatic/kafka'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { murmur2, partitionForKey } from './murmur2.ts'

const bytes = (s: string) => new TextEncoder().encode(s)

describe('murmur2', () => {
  // the vectors of Kafka's own UtilsTest.testMurmur2
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j as Java does', (input, expected) => {
    expect(murmur2(bytes(input))).toBe(expected)
  })

  it('agrees with the BigInt port in @platformatic/kafka on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        expect(murmur2(data)).toBe(referenceMurmur2(Buffer.from(data)))
      }),
    )
  })

  it('picks a partition in range, the same for equal keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), fc.integer({ min: 1, max: 64 }), (key, partitions) => {
        const partition = partitionForKey(key, partitions)
        expect(partition).toBeGreaterThanOrEqual(0)
        expect(partition).toBeLessThan(partitions)
        expect(partitionForKey(Uint8Array.from(key), partitions)).toBe(partition)
      }),
    )
  })
})

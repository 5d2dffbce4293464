import { describe, expect, it } from 'vitest'
import { measureThroughput } from './measure-throughput.ts'

describe('measureThroughput', () => {
  it('publishes and consumes every record, with one consumer and with two', async () => {
    for (const consumers of [1, 2]) {
      const result = await measureThroughput({
        records: 100_000,
        consumers,
        bus: { retentionRecords: 5_000 },
      })
      expect(result.consumedRecords).toBe(100_000)
      expect(result.recordsPerSecond).toBeGreaterThan(0)
    }
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createPrng } from './prng.ts'

describe('createPrng', () => {
  it('is mulberry32: these values are pinned, so that a seed reproduces old streams', () => {
    const prng = createPrng(42)
    expect(Array.from({ length: 3 }, () => Math.round(prng.next() * 4_294_967_296))).toEqual([
      2_581_720_956, 1_925_393_290, 3_661_312_704,
    ])
  })

  it('stays within its bounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: -50, max: 50 }),
        (seed, min) => {
          const prng = createPrng(seed)
          for (let i = 0; i < 50; i++) {
            const n = prng.next()
            expect(n).toBeGreaterThanOrEqual(0)
            expect(n).toBeLessThan(1)
            const k = prng.int(min, min + 3)
            expect(Number.isInteger(k) && k >= min && k <= min + 3).toBe(true)
            expect(prng.hex(7)).toMatch(/^[0-9a-f]{7}$/)
            expect(prng.weighted(['a', 'b', 'c'], [0, 1, 0])).toBe('b')
          }
        },
      ),
    )
  })

  it('draws roughly uniformly and normally', () => {
    const prng = createPrng(7)
    const counts = [0, 0, 0, 0]
    let sum = 0
    let squares = 0
    for (let i = 0; i < 40_000; i++) {
      counts[prng.int(0, 3)]! += 1
      const z = prng.normal()
      sum += z
      squares += z * z
    }
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(400)
    expect(Math.abs(sum / 40_000)).toBeLessThan(0.03)
    expect(Math.abs(squares / 40_000 - 1)).toBeLessThan(0.05)
  })
})

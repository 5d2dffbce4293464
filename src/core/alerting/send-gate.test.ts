import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type GateState, pauseSends, reserveSendSlot } from './send-gate.ts'

const NOW = 1_000_000
const policy = { ratePerSecond: 1, burst: 3 }

function reserveAll(times: readonly number[], start?: GateState): number[] {
  let state = start
  return times.map((t) => {
    const r = reserveSendSlot(state, t, policy)
    state = r.state
    return r.sendAtMs
  })
}

describe('reserveSendSlot', () => {
  it.each<[string, number[], number[]]>([
    ['a burst of 3 goes at once', [NOW, NOW, NOW], [NOW, NOW, NOW]],
    [
      'the 4th and 5th wait their second',
      [NOW, NOW, NOW, NOW, NOW],
      [NOW, NOW, NOW, NOW + 1_000, NOW + 2_000],
    ],
    [
      'a quiet second earns one slot back',
      [NOW, NOW, NOW, NOW + 1_000, NOW + 1_000],
      [NOW, NOW, NOW, NOW + 1_000, NOW + 2_000],
    ],
    [
      'a long quiet spell earns no more than the burst',
      [NOW, NOW + 60_000, NOW + 60_000, NOW + 60_000, NOW + 60_000],
      [NOW, NOW + 60_000, NOW + 60_000, NOW + 60_000, NOW + 61_000],
    ],
  ])('%s', (_, times, expected) => {
    expect(reserveAll(times)).toEqual(expected)
  })

  it('hands out at most burst + W * rate slots in any span of W ms', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 20_000 }),
        (gaps, windowMs) => {
          let t = NOW
          const times = gaps.map((gap) => {
            t += gap
            return t
          })
          const granted = reserveAll(times)
          granted.forEach((sendAtMs, i) => {
            expect(sendAtMs).toBeGreaterThanOrEqual(times[i]!)
          })
          const sends = [...granted].sort((a, b) => a - b)
          for (let i = 0; i < sends.length; i++) {
            const inWindow = sends.filter((s) => s >= sends[i]! && s <= sends[i]! + windowMs).length
            expect(inWindow).toBeLessThanOrEqual(
              policy.burst + Math.floor((windowMs * policy.ratePerSecond) / 1_000),
            )
          }
        },
      ),
    )
  })
})

describe('pauseSends', () => {
  it('holds every slot until the pause ends, then one at once and the rest one per second', () => {
    const paused = pauseSends(undefined, NOW, 2_000, policy)
    expect(reserveAll([NOW, NOW + 500, NOW + 500], paused)).toEqual([NOW + 2_000, NOW + 3_000, NOW + 4_000])
  })

  it('keeps a longer pause already set', () => {
    const long = pauseSends(undefined, NOW, 10_000, policy)
    expect(pauseSends(long, NOW + 1_000, 2_000, policy).pausedUntilMs).toBe(NOW + 10_000)
  })

  it('gives no slot sooner than the bucket would after a short pause', () => {
    let drained: GateState | undefined
    for (let i = 0; i < policy.burst; i++) drained = reserveSendSlot(drained, NOW, policy).state
    const paused = pauseSends(drained, NOW, 200, policy)
    expect(reserveSendSlot(paused, NOW + 200, policy).sendAtMs).toBe(NOW + 1_000)
  })
})

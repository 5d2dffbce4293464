// A small, fast, seeded pseudo-random generator (mulberry32): the same seed gives the same
// sequence on every machine and Node version, which is what makes a generated stream reproducible.
// Not for anything secret.

export interface Prng {
  /** uniform in [0, 1) */
  next(): number
  /** uniform integer in [min, max], both inclusive */
  int(min: number, max: number): number
  /** uniform in [min, max) */
  uniform(min: number, max: number): number
  /** true with probability `p` */
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
  /** `items[i]` with probability `weights[i] / sum(weights)` */
  weighted<T>(items: readonly T[], weights: readonly number[]): T
  /** standard normal (mean 0, deviation 1) */
  normal(): number
  /** `digits` lower-case hex digits */
  hex(digits: number): string
}

export function createPrng(seed: number): Prng {
  let state = seed >>> 0
  let spareNormal: number | undefined

  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }

  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    uniform: (min, max) => min + next() * (max - min),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted: (items, weights) => {
      let total = 0
      for (const w of weights) total += w
      let r = next() * total
      for (let i = 0; i < items.length; i++) {
        r -= weights[i]!
        if (r < 0) return items[i]!
      }
      return items[items.length - 1]!
    },
    normal: () => {
      if (spareNormal !== undefined) {
        const z = spareNormal
        spareNormal = undefined
        return z
      }
      // Box-Muller: two uniforms give two independent normals; keep the second for the next call.
      const u = 1 - next()
      const v = next()
      const r = Math.sqrt(-2 * Math.log(u))
      spareNormal = r * Math.sin(2 * Math.PI * v)
      return r * Math.cos(2 * Math.PI * v)
    },
    hex: (digits) => {
      let out = ''
      while (out.length < digits)
        out += Math.floor(next() * 0x10000)
          .toString(16)
          .padStart(4, '0')
      return out.slice(0, digits)
    },
  }
}

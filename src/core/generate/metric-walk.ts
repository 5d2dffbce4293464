// Natural CPU and latency of one service: a mean-reverting random walk with small, decaying spikes.
// Latency follows CPU (a busy service answers slower). Values never reach NATURAL_LIMITS, which
// stay below the detection thresholds, so only injected readings can fire high_cpu / high_latency.
import { NATURAL_LIMITS } from './anomaly-spec.ts'
import type { Prng } from './prng.ts'
import { roundTo } from './wire.ts'

export interface MetricReading {
  /** percent, one decimal, 0 < cpu <= NATURAL_LIMITS.cpuPercent */
  cpu: number
  /** whole milliseconds, 0 < latency <= NATURAL_LIMITS.latencyMs */
  latencyMs: number
}

export interface MetricWalk {
  /** the next reading, one metric interval after the previous */
  step(): MetricReading
}

const REVERSION = 0.08
const CPU_NOISE = 1.8
const SPIKE_CHANCE = 0.01
const SPIKE_DECAY = 0.6

export function createMetricWalk(prng: Prng): MetricWalk {
  const cpuMean = prng.uniform(20, 50)
  const latencyBaseMs = prng.uniform(30, 110)
  const latencyPerCpuMs = prng.uniform(1.5, 3)
  let cpu = cpuMean
  let cpuSpike = 0
  let latencySpikeMs = 0

  return {
    step() {
      cpu += REVERSION * (cpuMean - cpu) + CPU_NOISE * prng.normal()
      cpu = clamp(cpu, 2, NATURAL_LIMITS.cpuPercent - 5)
      cpuSpike = prng.chance(SPIKE_CHANCE) ? prng.uniform(5, 15) : cpuSpike * SPIKE_DECAY
      latencySpikeMs = prng.chance(SPIKE_CHANCE) ? prng.uniform(20, 90) : latencySpikeMs * SPIKE_DECAY
      const shownCpu = roundTo(clamp(cpu + cpuSpike, 0.1, NATURAL_LIMITS.cpuPercent), 1)
      const latency = latencyBaseMs + latencyPerCpuMs * shownCpu + latencySpikeMs + 4 * prng.normal()
      return { cpu: shownCpu, latencyMs: Math.round(clamp(latency, 3, NATURAL_LIMITS.latencyMs)) }
    },
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max)
}

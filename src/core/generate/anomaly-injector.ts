// Decides when anomalies are injected and records each as the detector will see it: one episode per
// injection, with its first/last event time, the events that held the rule, and the peak value.
// Spacing per (rule, key) keeps every injection its own episode; an injection spacing forbids is
// skipped (and counted), never delayed.
import {
  type AnomalyRule,
  BURST_BLACKOUT_MS,
  INJECTION_SPACING_MS,
  NATURAL_LIMITS,
  THRESHOLDS,
} from './anomaly-spec.ts'
import { SERVICES } from './catalog.ts'
import type { ErrorBudget } from './error-budget.ts'
import type { MetricReading } from './metric-walk.ts'
import type { Prng } from './prng.ts'
import { roundTo } from './wire.ts'

export const INJECTION_KINDS = ['error_burst', 'cpu_spike', 'latency_spike', 'large_transaction'] as const
export type InjectionKind = (typeof INJECTION_KINDS)[number]

export const RULE_OF_KIND: Record<InjectionKind, AnomalyRule> = {
  error_burst: 'error_burst',
  cpu_spike: 'high_cpu',
  latency_spike: 'high_latency',
  large_transaction: 'large_transaction',
}

/** One injected anomaly as the detector must report it. */
export interface AnomalyEpisode {
  /** the injection's id, also on each of its events (`GeneratedEvent.injected`) */
  id: string
  rule: AnomalyRule
  /** the service (error_burst, high_cpu, high_latency) or the transaction_id (large_transaction) */
  key: string
  /** event time of the event that made the rule fire */
  firstSeenMs: number
  /** event time of the last event for which the rule held */
  lastSeenMs: number
  /**
   * events behind the episode: readings that held, or for error_burst the ERROR logs counted in a
   * window that held (so a burst of 30 errors within one window is 30), as the detector counts them
   */
  eventCount: number
  /** error_burst: most ERROR logs in one window; high_cpu: cpu; high_latency: latency_ms; large_transaction: amount */
  peak: number
}

/** An injected log or transaction whose time has come: the stream turns it into a message. */
export type DueEvent =
  | { kind: 'burst_error'; injectionId: string; service: string }
  | { kind: 'large_transaction'; injectionId: string; transactionId: string; amount: number }

export interface AnomalyInjector {
  /** after each emitted event at `tsMs`: with probability `ratio`, starts an injection if spacing allows */
  maybeStart(tsMs: number): void
  /** takes the injected log or transaction due at `tsMs`, if any, as emitted at `tsMs` */
  takeDue(tsMs: number): DueEvent | undefined
  /** replaces the natural reading of `service` at `tsMs` when a spike is under way */
  overrideMetric(
    service: string,
    tsMs: number,
    natural: MetricReading,
  ): { reading: MetricReading; injectionId: string } | undefined
  episodes(): AnomalyEpisode[]
  /** injections that spacing (or a full queue) forbade, by kind */
  skipped(): Record<InjectionKind, number>
}

export interface AnomalyInjectorOptions {
  prng: Prng
  /** probability per emitted event that an injection starts */
  ratio: number
  /** kinds whose topic is produced */
  kinds: readonly InjectionKind[]
  errorBudget: ErrorBudget
  newTransactionId: () => string
}

interface Burst {
  id: string
  service: string
  /** planned event times of its ERROR logs */
  planMs: number[]
  /** event times of those emitted so far */
  emittedMs: number[]
  /** the emitted ones before this index are counted in the episode, or left the window before it held */
  counted: number
}

interface Spike {
  id: string
  kind: 'cpu_spike' | 'latency_spike'
  remaining: number
}

const MAX_QUEUED_TRANSACTIONS = 100
const MIN_LARGE_AMOUNT = THRESHOLDS.amount + 0.01
const MAX_LARGE_AMOUNT = 500_000

export function createAnomalyInjector(options: AnomalyInjectorOptions): AnomalyInjector {
  const { prng, ratio, kinds, errorBudget } = options
  const episodes: AnomalyEpisode[] = []
  const openEpisodes = new Map<string, AnomalyEpisode>()
  const skipped = Object.fromEntries(INJECTION_KINDS.map((k) => [k, 0])) as Record<InjectionKind, number>
  // per `${rule}/${key}`: event time of the last event of the last finished injection
  const lastEndMs = new Map<string, number>()
  const busyKeys = new Set<string>()
  const bursts: Burst[] = []
  const spikes = new Map<string, Spike>()
  const largeTransactions: DueEvent[] = []
  let nextId = 1

  const spacingAllows = (rule: AnomalyRule, key: string, tsMs: number) =>
    !busyKeys.has(`${rule}/${key}`) &&
    tsMs >= (lastEndMs.get(`${rule}/${key}`) ?? Number.NEGATIVE_INFINITY) + INJECTION_SPACING_MS

  /** the rule held at `tsMs` with measure `value`; `newEvents`: events it brings into the episode */
  const holdRule = (
    id: string,
    rule: AnomalyRule,
    key: string,
    tsMs: number,
    value: number,
    newEvents = 1,
  ) => {
    let episode = openEpisodes.get(id)
    if (!episode) {
      episode = { id, rule, key, firstSeenMs: tsMs, lastSeenMs: tsMs, eventCount: 0, peak: value }
      openEpisodes.set(id, episode)
      episodes.push(episode)
    }
    episode.lastSeenMs = tsMs
    episode.eventCount += newEvents
    if (value > episode.peak) episode.peak = value
  }

  const finish = (id: string, rule: AnomalyRule, key: string, endMs: number) => {
    openEpisodes.delete(id)
    busyKeys.delete(`${rule}/${key}`)
    lastEndMs.set(`${rule}/${key}`, endMs)
  }

  const start = (kind: InjectionKind, tsMs: number) => {
    const rule = RULE_OF_KIND[kind]
    const id = `inj-${nextId}`
    switch (kind) {
      case 'error_burst': {
        const service = prng.pick(SERVICES)
        if (!spacingAllows(rule, service, tsMs)) return false
        // no natural ERROR of the service in the window before the burst, nor during it
        const startMs = Math.max(tsMs + 1_000, errorBudget.lastErrorMs(service) + BURST_BLACKOUT_MS)
        errorBudget.blackout(service, tsMs, Number.POSITIVE_INFINITY)
        const count = prng.int(THRESHOLDS.errorBurst.count + 1, 2 * THRESHOLDS.errorBurst.count)
        const durationMs = prng.int(4_000, 10_000)
        const planMs = Array.from(
          { length: count },
          (_, i) => startMs + Math.floor((i * durationMs) / (count - 1)),
        )
        bursts.push({ id, service, planMs, emittedMs: [], counted: 0 })
        busyKeys.add(`${rule}/${service}`)
        break
      }
      case 'cpu_spike':
      case 'latency_spike': {
        const service = prng.pick(SERVICES)
        // one spike at a time per service: a cpu spike keeps latency low and the reverse
        if (spikes.has(service) || !spacingAllows(rule, service, tsMs)) return false
        spikes.set(service, { id, kind, remaining: prng.int(3, 10) })
        busyKeys.add(`${rule}/${service}`)
        break
      }
      case 'large_transaction': {
        if (largeTransactions.length >= MAX_QUEUED_TRANSACTIONS) return false
        const amount = roundTo(
          Math.exp(prng.uniform(Math.log(MIN_LARGE_AMOUNT), Math.log(MAX_LARGE_AMOUNT))),
          2,
        )
        largeTransactions.push({
          kind: 'large_transaction',
          injectionId: id,
          transactionId: options.newTransactionId(),
          amount: Math.min(MAX_LARGE_AMOUNT, Math.max(MIN_LARGE_AMOUNT, amount)),
        })
        break
      }
    }
    nextId += 1
    return true
  }

  return {
    maybeStart(tsMs) {
      if (ratio <= 0 || kinds.length === 0 || !prng.chance(ratio)) return
      const kind = prng.pick(kinds)
      if (!start(kind, tsMs)) skipped[kind] += 1
    },

    takeDue(tsMs) {
      const transaction = largeTransactions.shift()
      if (transaction?.kind === 'large_transaction') {
        const { injectionId, transactionId, amount } = transaction
        holdRule(injectionId, 'large_transaction', transactionId, tsMs, amount)
        finish(injectionId, 'large_transaction', transactionId, tsMs)
        return transaction
      }
      const burst = bursts.find((b) => b.planMs[b.emittedMs.length]! <= tsMs)
      if (!burst) return undefined
      burst.emittedMs.push(tsMs)
      // the rule's window is (t - windowMs, t]; natural errors are blacked out, so only these count
      const firstInWindow = burst.emittedMs.findIndex((t) => t > tsMs - THRESHOLDS.errorBurst.windowMs)
      const inWindow = burst.emittedMs.length - firstInWindow
      if (inWindow > THRESHOLDS.errorBurst.count) {
        const newEvents = burst.emittedMs.length - Math.max(burst.counted, firstInWindow)
        holdRule(burst.id, 'error_burst', burst.service, tsMs, inWindow, newEvents)
        burst.counted = burst.emittedMs.length
      }
      if (burst.emittedMs.length === burst.planMs.length) {
        bursts.splice(bursts.indexOf(burst), 1)
        finish(burst.id, 'error_burst', burst.service, tsMs)
        errorBudget.blackout(burst.service, burst.planMs[0]! - BURST_BLACKOUT_MS, tsMs + BURST_BLACKOUT_MS)
      }
      return { kind: 'burst_error', injectionId: burst.id, service: burst.service }
    },

    overrideMetric(service, tsMs, natural) {
      const spike = spikes.get(service)
      if (!spike) return undefined
      const reading: MetricReading =
        spike.kind === 'cpu_spike'
          ? {
              cpu: roundTo(prng.uniform(THRESHOLDS.cpuPercent + 1, 99), 1),
              latencyMs: Math.min(natural.latencyMs, NATURAL_LIMITS.latencyMs),
            }
          : {
              cpu: Math.min(natural.cpu, NATURAL_LIMITS.cpuPercent),
              latencyMs: prng.int(THRESHOLDS.latencyMs + 1, 1_500),
            }
      const rule = RULE_OF_KIND[spike.kind]
      holdRule(spike.id, rule, service, tsMs, spike.kind === 'cpu_spike' ? reading.cpu : reading.latencyMs)
      spike.remaining -= 1
      if (spike.remaining === 0) {
        spikes.delete(service)
        finish(spike.id, rule, service, tsMs)
      }
      return { reading, injectionId: spike.id }
    },

    episodes: () => episodes.map((e) => ({ ...e })),
    skipped: () => ({ ...skipped }),
  }
}

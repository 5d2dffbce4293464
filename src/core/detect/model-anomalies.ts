// The detector's semantics written out directly, for tests to compare the detector with: every
// event before the watermark, sorted and without copies; per key, each matching event's measure
// (its window recounted from scratch); holds grouped into episodes by gaps shorter than the quiet
// period. Quadratic and only for rules without `for` and `recovery`, with `equals` filters.
import type { Event } from '../../contracts/events.ts'
import { type Anomaly, anomalyId } from './anomaly.ts'
import { compareValues, DEFAULT_QUIET_PERIOD_MS, moreExtreme, type Rule, ruleLimit } from './rule.ts'

export const byEventTime = (a: Event, b: Event): number =>
  a.tsMs - b.tsMs || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0)

const FIELDS: Record<string, (e: Event) => string | number | null> = {
  service: (e) => ('service' in e ? e.service : null),
  level: (e) => ('level' in e ? e.level : null),
  cpu: (e) => ('cpu' in e ? e.cpu : null),
  latency_ms: (e) => ('latencyMs' in e ? e.latencyMs : null),
  amount: (e) => ('amount' in e ? e.amount : null),
  transaction_id: (e) => ('transactionId' in e ? e.transactionId : null),
  user_id: (e) => (e.kind !== 'metric' ? e.userId : null),
}
const KINDS = { logs: 'log', metrics: 'metric', transactions: 'transaction' } as const

export function modelAnomalies(events: Event[], rules: Rule[], watermarkMs: number): Anomaly[] {
  const evaluated = [...events]
    .sort(byEventTime)
    .filter(
      (e, i, all) =>
        e.tsMs < watermarkMs && (i === 0 || all[i - 1]!.eventId !== e.eventId || all[i - 1]!.tsMs !== e.tsMs),
    )
  const anomalies: Anomaly[] = []
  for (const rule of rules) {
    const { comparator, limit } = ruleLimit(rule)
    const quietMs = rule.quietPeriodMs ?? DEFAULT_QUIET_PERIOD_MS
    const matching = evaluated.filter(
      (e) =>
        e.kind === KINDS[rule.topic] &&
        (rule.filter ?? []).every((c) => c.op === 'equals' && FIELDS[c.field]!(e) === c.value),
    )
    const keys = [...new Set(matching.map((e) => String(FIELDS[rule.keyBy]!(e))))]
    for (const key of keys) {
      const series = matching.filter((e) => String(FIELDS[rule.keyBy]!(e)) === key)
      let episode: { anomaly: Anomaly; counted: Set<Event> } | undefined
      const close = () => {
        if (!episode) return
        const a = episode.anomaly
        if (rule.kind === 'count') a.eventCount = episode.counted.size
        if (a.lastSeenMs + quietMs <= watermarkMs)
          Object.assign(a, { status: 'resolved', resolvedAtMs: a.lastSeenMs + quietMs })
        anomalies.push(a)
      }
      series.forEach((event, i) => {
        const inWindow =
          rule.kind === 'count'
            ? series.slice(0, i + 1).filter((e) => e.tsMs > event.tsMs - rule.windowMs)
            : []
        const measure = rule.kind === 'count' ? inWindow.length : (FIELDS[rule.field]!(event) as number)
        if (!compareValues(measure, comparator, limit)) return
        if (episode && event.tsMs < episode.anomaly.lastSeenMs + quietMs) {
          const a = episode.anomaly
          Object.assign(a, {
            lastSeenMs: event.tsMs,
            value: moreExtreme(comparator, a.value, measure),
            eventCount: a.eventCount + 1,
          })
        } else {
          close()
          episode = {
            counted: new Set(),
            anomaly: {
              id: anomalyId(rule.name, key, event.tsMs),
              rule: rule.name,
              key,
              topic: rule.topic,
              status: 'open',
              firstSeenMs: event.tsMs,
              lastSeenMs: event.tsMs,
              value: measure,
              threshold: limit,
              comparator,
              eventCount: 1,
              severity: rule.severity,
              ...(rule.kind === 'count' ? { windowMs: rule.windowMs } : {}),
            },
          }
        }
        for (const e of inWindow) episode.counted.add(e)
      })
      close()
    }
  }
  return anomalies.sort(
    (a, b) => a.firstSeenMs - b.firstSeenMs || a.rule.localeCompare(b.rule) || a.key.localeCompare(b.key),
  )
}

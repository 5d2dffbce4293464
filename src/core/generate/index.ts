// Seeded mock event streams with anomaly injection: see event-stream.ts.
export type { AnomalyEpisode, InjectionKind } from './anomaly-injector.ts'
export { ANOMALY_RULES, type AnomalyRule, NATURAL_LIMITS, THRESHOLDS } from './anomaly-spec.ts'
export { SERVICES } from './catalog.ts'
export {
  createEventStream,
  type EventStream,
  type EventStreamOptions,
  type GeneratedEvent,
  type GenerationManifest,
} from './event-stream.ts'
export { EXPECTED_REJECT_REASON, MALFORMED_TAGS, type MalformedTag } from './malformed.ts'

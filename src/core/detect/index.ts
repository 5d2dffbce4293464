// The anomaly detector: rules over event-time windows -> anomaly episodes. Semantics: detect.ts
// and docs/detection.md. Pure: no clock, no I/O.
export {
  type Anomaly,
  type AnomalyChange,
  type AnomalyChangeType,
  type AnomalyStatus,
  anomalyId,
} from './anomaly.ts'
export { DEFAULT_RULES } from './default-rules.ts'
export {
  type AdvanceTimeOptions,
  advanceTime,
  DEFAULT_ALLOWED_LATENESS_MS,
  DEFAULT_IDLE_GRACE_MS,
  type DetectOptions,
  type DetectResult,
  detect,
  type LateEvents,
  passTime,
} from './detect.ts'
export { createDetectorState, type PartitionDetectorState } from './detector-state.ts'
export { type ParseRulesResult, parseRules, type RulesFormat } from './parse-rules.ts'
export {
  COMPARATORS,
  type Comparator,
  type CountRule,
  DEFAULT_QUIET_PERIOD_MS,
  type EventRule,
  type FieldCondition,
  type Rule,
  type RuleKind,
  SEVERITIES,
  type Severity,
  type ThresholdRule,
} from './rule.ts'
export { KEY_FIELDS, RULE_FIELD_NAMES, type RuleField } from './rule-fields.ts'
export { restoreState, type SerializedDetectorState, serializeState } from './serialize-state.ts'

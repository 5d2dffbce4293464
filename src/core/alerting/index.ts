// Anomalies -> notifications: grouping, Slack Block Kit messages within Slack's limits, escaping,
// silences, the rate limit and what to do after each delivery attempt. Pure: no I/O, no clock.
export type { AlertAnomaly, NotificationKind, PendingNotification } from './alert-anomaly.ts'
export {
  type AlerterHealth,
  type AlerterStatus,
  createAlerterHealth,
  recordDelivery,
  recordSilenced,
  recordStoreError,
  recordStoreRecovered,
} from './alerter-health.ts'
export {
  type BuildResult,
  buildNotification,
  type Notification,
  type NotificationOptions,
} from './build-notification.ts'
export {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  type DeliveryDecision,
  type DeliveryOutcome,
  decideDelivery,
  parseRetryAfterMs,
  type RetryPolicy,
} from './delivery-decision.ts'
export { escapeMrkdwn, untrustedLine } from './escape-mrkdwn.ts'
export {
  addPending,
  createGroupingState,
  dropHeld,
  type GroupingPolicy,
  type GroupingState,
  type NextGroup,
  type NotificationGroup,
  nextDueGroup,
  returnToGroup,
  takeFromGroup,
} from './group-notifications.ts'
export { type GateState, pauseSends, type RatePolicy, reserveSendSlot, SLACK_RATE } from './send-gate.ts'
export { findSilence, type Silence } from './silences.ts'
export { SLACK_LIMITS, type SlackBlock, type SlackMessage, validateSlackMessage } from './slack-message.ts'

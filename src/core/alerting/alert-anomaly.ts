// What the alerting core sees of an anomaly row: the detector's columns plus when its firing
// notification was delivered. Times are UTC epoch milliseconds. Everything textual that came from
// events (the key, details) is untrusted: it is escaped wherever it reaches Slack's markup.

/** A firing notification announces an anomaly; a resolved one says that its episode ended. */
export type NotificationKind = 'firing' | 'resolved'

export interface AlertAnomaly {
  id: string
  rule: string
  /** the service, user or transaction the anomaly is about: untrusted text */
  key: string
  topic: string
  /** open | resolved | acknowledged */
  status: string
  /** info | warning | critical (others are shown as they are) */
  severity: string
  firstSeenMs: number
  lastSeenMs: number
  resolvedAtMs: number | null
  /** the peak observed value */
  value: number
  threshold: number
  /** > >= < <= */
  comparator: string
  eventCount: number
  /** count rules: the window the count is over */
  windowMs: number | null
  /** free-form context (e.g. a log message): untrusted */
  details: Readonly<Record<string, unknown>>
  /** when the firing notification was delivered; null until it was */
  notifiedAtMs: number | null
}

/** An anomaly that is due a notification of one kind. */
export interface PendingNotification {
  kind: NotificationKind
  anomaly: AlertAnomaly
}

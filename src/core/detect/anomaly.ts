// An Anomaly is a rule held for a key over an episode (see detect.ts for when episodes open and
// resolve). Its id is a pure function of (rule, key, firstSeenMs), so reprocessing the same events
// yields the same ids and the etl's upserts are idempotent.
import { createHash } from 'node:crypto'
import type { EventTopic } from '../../contracts/topics.ts'
import type { Comparator, Severity } from './rule.ts'

export type AnomalyStatus = 'open' | 'resolved'

export interface Anomaly {
  /** UUID-shaped (version 8, RFC 9562) digest of (rule, key, firstSeenMs): see anomalyId */
  id: string
  rule: string
  /** the value of the rule's keyBy field: a service, a user, a transaction */
  key: string
  topic: EventTopic
  status: AnomalyStatus
  /** event time at which the rule fired for this episode, UTC epoch ms */
  firstSeenMs: number
  /** event time of the last evaluation at which the condition held */
  lastSeenMs: number
  /** set once resolved: lastSeenMs + the rule's quiet period */
  resolvedAtMs?: number
  /** the peak: the largest count (count rules) or the most extreme value (max, or min for < and <=) */
  value: number
  threshold: number
  comparator: Comparator
  /** events behind the episode: readings that held, or for count rules the events counted in a window that held */
  eventCount: number
  severity: Severity
  /** count rules only */
  windowMs?: number
}

export type AnomalyChangeType = 'opened' | 'updated' | 'resolved'

/**
 * What one `detect` call did to one anomaly, carrying its state at the end of the call. At most
 * one change per anomaly per call: `opened` when the episode began in this call (its status may
 * already be `resolved`), else `resolved` when it ended in this call, else `updated`.
 */
export interface AnomalyChange {
  type: AnomalyChangeType
  anomaly: Anomaly
}

/**
 * A deterministic id: SHA-256 of the JSON array [rule, key, firstSeenMs], first 128 bits, with the
 * version (8) and variant bits of RFC 9562 set, so it fits a PostgreSQL `uuid` column. node:crypto's
 * createHash is synchronous and side-effect free, which keeps this a pure function.
 */
export function anomalyId(rule: string, key: string, firstSeenMs: number): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([rule, key, firstSeenMs]))
    .digest()
  digest[6] = (digest[6]! & 0x0f) | 0x80
  digest[8] = (digest[8]! & 0x3f) | 0x80
  const hex = digest.toString('hex', 0, 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

// The wire formats producers send (docs/contract.md, "Message values"): one JSON object per message.
// Field order is fixed so that the same inputs always give the same bytes.

export interface WireLog {
  event_id?: string
  timestamp: string
  service: string
  level: string
  message: string
  user_id?: string
}

export interface WireMetric {
  event_id?: string
  timestamp: string
  service: string
  /** percent, one decimal */
  cpu: number
  /** whole milliseconds */
  latency_ms: number
}

export interface WireTransaction {
  event_id?: string
  timestamp: string
  transaction_id: string
  user_id: string
  /** two decimals */
  amount: number
  currency: string
  merchant: string
  status: string
}

/** ISO 8601, UTC, with milliseconds: 2025-01-01T10:20:30.123Z */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString()
}

/**
 * `formatTimestamp` for a stream whose times mostly repeat or move forward a little: it reuses the
 * text of the last second (Date's own formatting is the costliest step of generating an event).
 */
export function createTimestampFormatter(): (ms: number) => string {
  let secondMs = Number.NaN
  let prefix = ''
  return (ms) => {
    const second = Math.floor(ms / 1000) * 1000
    if (second !== secondMs) {
      secondMs = second
      prefix = new Date(second).toISOString().slice(0, -4)
      if (prefix.length !== 20) {
        secondMs = Number.NaN // a year outside 0000..9999 is written differently
        return formatTimestamp(ms)
      }
    }
    const millis = ms - second
    return `${prefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`
  }
}

// Hand-built rather than JSON.stringify of an object: several times faster, same bytes. Strings
// go through JSON.stringify (quoting and escaping); numbers are finite, so String() is their JSON.

export function encodeLog(log: WireLog): string {
  return (
    '{' +
    (log.event_id === undefined ? '' : `"event_id":${JSON.stringify(log.event_id)},`) +
    `"timestamp":"${log.timestamp}","service":${JSON.stringify(log.service)},` +
    `"level":${JSON.stringify(log.level)},"message":${JSON.stringify(log.message)}` +
    (log.user_id === undefined ? '' : `,"user_id":${JSON.stringify(log.user_id)}`) +
    '}'
  )
}

export function encodeMetric(metric: WireMetric): string {
  return (
    '{' +
    (metric.event_id === undefined ? '' : `"event_id":${JSON.stringify(metric.event_id)},`) +
    `"timestamp":"${metric.timestamp}","service":${JSON.stringify(metric.service)},` +
    `"cpu":${metric.cpu},"latency_ms":${metric.latency_ms}}`
  )
}

export function encodeTransaction(tx: WireTransaction): string {
  return (
    '{' +
    (tx.event_id === undefined ? '' : `"event_id":${JSON.stringify(tx.event_id)},`) +
    `"timestamp":"${tx.timestamp}","transaction_id":${JSON.stringify(tx.transaction_id)},` +
    `"user_id":${JSON.stringify(tx.user_id)},"amount":${tx.amount},` +
    `"currency":${JSON.stringify(tx.currency)},"merchant":${JSON.stringify(tx.merchant)},` +
    `"status":${JSON.stringify(tx.status)}}`
  )
}

export function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals
  return Math.round(value * scale) / scale
}

// The limits `cleanRecord` enforces. Lengths are in UTF-16 code units (`string.length`), which is
// never less than the number of characters, so a string within a limit also fits a column sized in
// characters.
import { StreamwatchError } from '../../errors.ts'

export interface CleanPolicy {
  /** larger values are rejected as `oversized` before they are decoded */
  readonly maxMessageBytes: number
  /** events timestamped further ahead of `nowMs` are rejected as `timestamp_in_future` */
  readonly maxFutureSkewMs: number
  /** events timestamped further behind `nowMs` are rejected as `timestamp_too_old` */
  readonly maxEventAgeMs: number
  readonly maxServiceChars: number
  readonly maxMessageChars: number
  /** `event_id`, `transaction_id`, `user_id` */
  readonly maxIdChars: number
  readonly maxMerchantChars: number
  readonly maxStatusChars: number
  /** `latency_ms` must be within 0..maxLatencyMs */
  readonly maxLatencyMs: number
  /** `amount` must be within 0..maxAmount: beyond it an amount is a unit or encoding bug, not money */
  readonly maxAmount: number
  /**
   * Deepest nesting of an unknown field kept in `attributes` (a scalar is 0, `{"a":1}` is 1).
   * Deeper values parse but later overflow the stack of `JSON.stringify` in the writers.
   */
  readonly maxAttributeDepth: number
}

export const DEFAULT_CLEAN_POLICY: CleanPolicy = Object.freeze({
  maxMessageBytes: 256 * 1024,
  maxFutureSkewMs: 5 * 60_000,
  maxEventAgeMs: 7 * 86_400_000,
  maxServiceChars: 128,
  maxMessageChars: 16 * 1024,
  maxIdChars: 128,
  maxMerchantChars: 256,
  maxStatusChars: 32,
  maxLatencyMs: 3_600_000,
  maxAmount: 1e9,
  maxAttributeDepth: 32,
})

/**
 * The defaults with `partial` laid over them (undefined entries keep the default). Throws a
 * `config_invalid` StreamwatchError for a limit that is not a non-negative number: a policy is
 * configuration, checked once at start, unlike the data it is applied to.
 */
export function createCleanPolicy(partial: Partial<CleanPolicy> = {}): CleanPolicy {
  const policy: Record<string, number> = { ...DEFAULT_CLEAN_POLICY }
  for (const name of Object.keys(DEFAULT_CLEAN_POLICY)) {
    const value = (partial as Record<string, unknown>)[name]
    if (value === undefined) continue
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new StreamwatchError(
        'config_invalid',
        `clean policy: ${name}=${String(value)}: expected a number ≥ 0`,
      )
    }
    policy[name] = value
  }
  return Object.freeze(policy) as unknown as CleanPolicy
}

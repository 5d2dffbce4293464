// Tiny builders for the alerting core's tests: fixed times, an ordinary large transaction.
import type { AlertAnomaly } from './alert-anomaly.ts'

export const T0 = Date.UTC(2025, 0, 1, 10, 0, 0)

let serial = 0

/** A UUID-shaped id, unique within a test run. */
export function anId(): string {
  serial += 1
  return `00000000-0000-8000-8000-${String(serial).padStart(12, '0')}`
}

export function anAnomaly(fields: Partial<AlertAnomaly> = {}): AlertAnomaly {
  return {
    id: anId(),
    rule: 'large_transaction',
    key: 'tx-1001',
    topic: 'transactions',
    status: 'open',
    severity: 'warning',
    firstSeenMs: T0,
    lastSeenMs: T0,
    resolvedAtMs: null,
    value: 15_000,
    threshold: 10_000,
    comparator: '>',
    eventCount: 1,
    windowMs: null,
    details: {},
    notifiedAtMs: null,
    ...fields,
  }
}

/** Every anomaly id in a message's id context blocks (`anomaly-ids-N` or `resolved-ids-N`). */
export function idsInMessage(
  blocks: ReadonlyArray<{ type: string; block_id?: string; elements?: ReadonlyArray<{ text: string }> }>,
  prefix = 'anomaly-ids-',
): string[] {
  return blocks
    .filter((b) => b.type === 'context' && b.block_id?.startsWith(prefix))
    .flatMap((b) => (b.elements ?? []).flatMap((e) => e.text.split(' ')))
    .filter((token) => token !== '' && token !== 'ids:')
}

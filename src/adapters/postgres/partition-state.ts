// Where a consumer group stands in each partition (consumer_offsets) and the detector's window
// state for it (detector_state): stored with the rows, read back on partition assignment.
import { StreamwatchError } from '../../errors.ts'
import type { TopicPartition } from '../../pipelines/ports.ts'
import type { Queryable } from './database.ts'
import { toJsonParam } from './json-param.ts'

export interface OffsetAdvance extends TopicPartition {
  /** the next offset to read once this batch is stored (last processed + 1) */
  offset: number
  /**
   * Where this consumer believes the partition stands in the store: the `nextOffset` it loaded,
   * or the `offset` of its previous commit. null/undefined: it believes nothing is stored yet.
   */
  expectedOffset?: number | null
}

export interface DetectorStateWrite extends TopicPartition {
  /** any JSON value; stored as jsonb */
  state: unknown
}

export interface PartitionState extends TopicPartition {
  /** absent when this group never committed the partition */
  nextOffset?: number
  /** absent when no state was stored */
  detectorState?: unknown
}

/**
 * Fencing: moves each partition from `expectedOffset` to `offset`, and throws a non-retriable
 * 'db_conflict' naming the partition when the stored offset is not the expected one (another
 * consumer moved it on, e.g. after a rebalance, or this very batch was committed already).
 * Each check is one statement that locks the row (UPDATE ... WHERE next_offset = expected; or
 * INSERT ... ON CONFLICT DO NOTHING when nothing is expected), so of two concurrent commits of a
 * partition the second waits for the first and then sees the moved offset. Partitions go in
 * (topic, partition) order so that two transactions lock them in the same order.
 */
export async function advanceOffsets(
  tx: Queryable,
  groupId: string,
  offsets: readonly OffsetAdvance[],
): Promise<void> {
  const sorted = [...offsets].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  )
  for (const advance of sorted) {
    const { topic, partition, offset } = advance
    const expected = advance.expectedOffset ?? null
    const { rowCount } =
      expected === null
        ? await tx.query(
            `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)
             VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, topic, partition) DO NOTHING`,
            [groupId, topic, partition, offset],
          )
        : await tx.query(
            `UPDATE consumer_offsets SET next_offset = $4, updated_at = now()
             WHERE group_id = $1 AND topic = $2 AND partition = $3 AND next_offset = $5`,
            [groupId, topic, partition, offset, expected],
          )
    if (rowCount === 1) continue
    const { rows } = await tx.query<{ next_offset: number }>(
      'SELECT next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3',
      [groupId, topic, partition],
    )
    const stored = rows[0] ? `stands at ${rows[0].next_offset}` : 'has no stored offset'
    throw new StreamwatchError(
      'db_conflict',
      `${topic}[${partition}] of group ${groupId} ${stored}, expected ${expected ?? 'none'}: ` +
        'another consumer moved it on (or this batch was stored already); reload the partition',
    )
  }
}

/** Replaces the stored detector state of each partition (the last write per partition wins). */
export async function saveDetectorStates(
  tx: Queryable,
  groupId: string,
  states: readonly DetectorStateWrite[],
): Promise<void> {
  if (states.length === 0) return
  const latest = new Map<string, DetectorStateWrite>()
  for (const s of states) latest.set(`${s.topic}\u0000${s.partition}`, s)
  const rows = [...latest.values()].map((s) => ({ topic: s.topic, partition: s.partition, state: s.state }))
  await tx.query(
    `INSERT INTO detector_state (group_id, topic, partition, state)
     SELECT $1, topic, partition, state FROM json_to_recordset($2::json) AS r(topic text, partition int, state jsonb)
     ON CONFLICT (group_id, topic, partition) DO UPDATE SET state = excluded.state, updated_at = now()`,
    [groupId, toJsonParam(rows)],
  )
}

/** What is stored for each partition, in the order asked. */
export async function loadPartitionStates(
  db: Queryable,
  groupId: string,
  partitions: readonly TopicPartition[],
): Promise<PartitionState[]> {
  if (partitions.length === 0) return []
  const input = partitions.map((p) => ({ topic: p.topic, partition: p.partition }))
  const { rows } = await db.query<{
    topic: string
    partition: number
    next_offset: number | null
    state: unknown
    has_state: boolean
  }>(
    `SELECT p.topic, p.partition, o.next_offset, s.state, s.group_id IS NOT NULL AS has_state
     FROM json_to_recordset($2::json) AS p(topic text, partition int)
     LEFT JOIN consumer_offsets o ON o.group_id = $1 AND o.topic = p.topic AND o.partition = p.partition
     LEFT JOIN detector_state s ON s.group_id = $1 AND s.topic = p.topic AND s.partition = p.partition`,
    [groupId, toJsonParam(input)],
  )
  const byKey = new Map(rows.map((row) => [`${row.topic}\u0000${row.partition}`, row]))
  return partitions.map(({ topic, partition }) => {
    const row = byKey.get(`${topic}\u0000${partition}`)
    const result: PartitionState = { topic, partition }
    if (row?.next_offset !== null && row?.next_offset !== undefined) result.nextOffset = row.next_offset
    if (row?.has_state) result.detectorState = row.state
    return result
  })
}

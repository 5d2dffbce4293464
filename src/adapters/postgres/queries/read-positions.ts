// Where each consumer group stands, as the etl stores it with its data (consumer_offsets): the
// next offset it will read per partition. PostgreSQL, not Kafka, holds the etl's positions.
import type { Queryable } from '../database.ts'

export interface StoredPosition {
  group: string
  topic: string
  partition: number
  nextOffset: number
}

export async function readStoredPositions(db: Queryable): Promise<StoredPosition[]> {
  const { rows } = await db.query<{
    group_id: string
    topic: string
    partition: number
    next_offset: string
  }>(
    'SELECT group_id, topic, partition, next_offset FROM consumer_offsets ORDER BY group_id, topic, partition',
  )
  return rows.map((row) => ({
    group: row.group_id,
    topic: row.topic,
    partition: Number(row.partition),
    nextOffset: Number(row.next_offset),
  }))
}

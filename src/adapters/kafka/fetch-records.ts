// One fetch round for the consumer: a Fetch request per partition leader for the partitions it
// owns, from their positions, converted to RawRecords. Nothing is fetched ahead: the caller asks
// for the next round only when its buffer is empty.
import type { ConnectionPool, Consumer } from '@platformatic/kafka'
import type { PartitionOffset, RawRecord, TopicPartition } from '../../pipelines/ports.ts'
import { hasKafkaApiId } from './kafka-errors.ts'
import { appendRawRecords } from './kafka-records.ts'
import { unlessAborted } from './wake-signal.ts'

export interface FetchPosition extends TopicPartition {
  nextFetch: number
}

export interface FetchOutcome {
  /** in offset order within each partition, partitions one after another */
  records: RawRecord[]
  /** by `topic:partition`: where the following fetch starts */
  nextFetch: Map<string, number>
  /** partitions whose position is outside the log, with the log's start offset */
  outOfRange: PartitionOffset[]
  /**
   * by `topic:partition`: the log's end (high watermark) as the broker answered, for lag; within a
   * fetch session the broker leaves out the partitions nothing changed about
   */
  logEnds: Map<string, number>
}

export interface FetchRequest {
  client: Consumer
  pool: ConnectionPool
  topics: string[]
  positions: ReadonlyMap<string, FetchPosition>
  /** per partition and per response; the broker still returns at least one record batch */
  maxBytes: number
  signal: AbortSignal
}

const OFFSET_OUT_OF_RANGE = 1

type FetchRequestPartition = Parameters<Consumer['fetch']>[0]['topics'][number]['partitions'][number]

/** Undefined when aborted. Rejects with the client's error, except for offsets out of range. */
export async function fetchRecords(request: FetchRequest): Promise<FetchOutcome | undefined> {
  const { client, signal } = request
  const metadata = await unlessAborted(client.metadata({ topics: request.topics }), signal)
  if (metadata === undefined) return undefined
  const topicNames = new Map<string, string>()
  const byLeader = new Map<number, Map<string, FetchRequestPartition[]>>()
  for (const position of request.positions.values()) {
    const topic = metadata.topics.get(position.topic)
    const leader = topic?.partitions[position.partition]?.leader
    if (topic === undefined || leader === undefined) continue
    topicNames.set(topic.id, position.topic)
    const byTopic = byLeader.get(leader) ?? new Map<string, FetchRequestPartition[]>()
    byLeader.set(leader, byTopic)
    const partitions = byTopic.get(topic.id) ?? []
    byTopic.set(topic.id, partitions)
    partitions.push({
      partition: position.partition,
      fetchOffset: BigInt(position.nextFetch),
      currentLeaderEpoch: -1,
      lastFetchedEpoch: -1,
      partitionMaxBytes: request.maxBytes,
    })
  }
  const outcome: FetchOutcome = { records: [], nextFetch: new Map(), outOfRange: [], logEnds: new Map() }
  const rounds = [...byLeader].map(([node, byTopic]) =>
    request.client.fetch({
      node,
      maxBytes: request.maxBytes,
      topics: [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
      connectionPool: request.pool,
    }),
  )
  let responses: Awaited<(typeof rounds)[number]>[] | undefined
  try {
    responses = await unlessAborted(Promise.all(rounds), signal)
  } catch (error) {
    outcome.outOfRange = findOutOfRange(error, topicNames)
    if (outcome.outOfRange.length === 0) throw error
    return outcome
  }
  if (responses === undefined) return undefined
  for (const response of responses) {
    for (const topicResponse of response.responses) {
      const topic = topicNames.get(topicResponse.topicId)
      if (topic === undefined) continue
      for (const { partitionIndex, records, errorCode, highWatermark } of topicResponse.partitions) {
        const key = `${topic}:${partitionIndex}`
        // A fetch session may return partitions this request did not ask for (KIP-227): skip them.
        const from = request.positions.get(key)?.nextFetch
        if (from === undefined) continue
        if (errorCode === 0 && highWatermark >= 0n) outcome.logEnds.set(key, Number(highWatermark))
        if (!records) continue
        outcome.nextFetch.set(key, appendRawRecords(topic, partitionIndex, records, from, outcome.records))
      }
    }
  }
  return outcome
}

interface ErrorResponse {
  responses: {
    topicId: string
    partitions: { partitionIndex: number; errorCode: number; logStartOffset: bigint }[]
  }[]
}

/** The partitions a failed fetch reports as out of range, with the log start offset to restart at. */
function findOutOfRange(error: unknown, topicNames: ReadonlyMap<string, string>): PartitionOffset[] {
  if (!hasKafkaApiId(error, 'OFFSET_OUT_OF_RANGE')) return []
  const found: PartitionOffset[] = []
  const visit = (e: unknown, depth: number): void => {
    if (depth > 4 || e === null || typeof e !== 'object') return
    const response = (e as { response?: ErrorResponse }).response
    for (const topicResponse of Array.isArray(response?.responses) ? response.responses : []) {
      const topic = topicNames.get(topicResponse.topicId)
      if (topic === undefined) continue
      for (const p of topicResponse.partitions) {
        if (p.errorCode === OFFSET_OUT_OF_RANGE && p.logStartOffset >= 0n) {
          found.push({ topic, partition: p.partitionIndex, offset: Number(p.logStartOffset) })
        }
      }
    }
    for (const inner of (e as { errors?: unknown[] }).errors ?? []) visit(inner, depth + 1)
  }
  visit(error, 0)
  return found
}

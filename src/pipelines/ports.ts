// The ports: small interfaces the pipelines need from the outside world. Adapters implement them
// (src/adapters/*); cores never see them. Each interface states its lifecycle and who acknowledges.
import type { RecordSource } from '../contracts/events.ts'

export interface TopicPartition {
  topic: string
  partition: number
}

export interface PartitionOffset extends TopicPartition {
  /** the next offset to read (Kafka's convention: last processed + 1) */
  offset: number
}

/** Bytes plus where they came from: what a consumer reads, before any cleaning. */
export interface RawRecord extends RecordSource {
  key: Uint8Array | null
  value: Uint8Array | null
  /** the record's timestamp on the bus (producer create time), UTC epoch milliseconds */
  timestampMs: number
  headers: ReadonlyArray<readonly [string, Uint8Array]>
}

export interface RecordBatch {
  /** records of one or more partitions; within a partition, in offset order with no gaps skipped by us */
  records: RawRecord[]
  /** per partition in this batch, the offset after its last record: what to commit once the batch is durable */
  nextOffsets: PartitionOffset[]
  /**
   * Per owned partition whose log end the bus has reported: how many of its records the consumer
   * has not handed out yet, counting up to that log end (the high watermark) and what the
   * consumer holds. 0 means caught up, which tells a quiet partition from one the consumer is
   * behind on (a backlog after an outage, a slow fetch); wall time alone cannot. Empty when the
   * bus could not be asked (a failed fetch, a rebalance); undefined when the bus cannot tell.
   */
  lag?: PartitionLag[]
}

export interface PartitionLag extends TopicPartition {
  records: number
}

/** Where a partition's log stands: what is still kept and where the next record goes. */
export interface PartitionRange extends TopicPartition {
  /** the first offset still in the log (older records were removed by retention) */
  start: number
  /** the log end: the offset the next record will get (Kafka's high watermark) */
  end: number
}

export interface OutgoingRecord {
  topic: string
  /** records with one key go to one partition, in publish order */
  key: string | Uint8Array | null
  value: string | Uint8Array
  /** defaults to now */
  timestampMs?: number
  headers?: Record<string, string>
}

export interface BusProducer {
  /**
   * Publishes a batch. Resolves once every record is durably stored by the bus (Kafka: acks=all,
   * idempotent producer, so a retry never doubles a record); rejects with a StreamwatchError
   * (retriable when a retry can help) otherwise. Order per key is preserved.
   */
  publish(records: readonly OutgoingRecord[]): Promise<void>
  close(): Promise<void>
}

export interface ConsumerOptions {
  groupId: string
  /** full topic names */
  topics: string[]
  /** upper bounds of one batch; a batch is yielded as soon as records are there, or after maxWaitMs */
  maxBatchRecords?: number
  maxBatchBytes?: number
  maxWaitMs?: number
  /**
   * Called when partitions are assigned to this consumer, before any of their records is yielded.
   * It may return where to start reading some of them (e.g. offsets stored with the data in
   * PostgreSQL); a partition it leaves out starts at the group's committed offset, else the earliest.
   */
  onAssign?: (partitions: TopicPartition[]) => Promise<PartitionOffset[] | undefined>
  /** Called when partitions are taken away; no record of them is yielded after it returns. */
  onRevoke?: (partitions: TopicPartition[]) => Promise<void>
}

export interface BusConsumer {
  /**
   * Pull-based: the next batch is fetched only when the loop asks for it, so at most one batch
   * is in flight and a slow store slows the fetching. Ends when `signal` aborts or on close().
   */
  batches(signal: AbortSignal): AsyncIterable<RecordBatch>
  /** Commits the group's offsets. Call it only for batches whose effects are durable. */
  commit(offsets: readonly PartitionOffset[]): Promise<void>
  /** The partitions this consumer owns now. */
  assignment(): TopicPartition[]
  /** Leaves the group (its partitions go to the others) and releases the client. */
  close(): Promise<void>
}

export interface Bus {
  /** Creates the topics that are missing, with `partitions` partitions; existing topics are left alone. */
  ensureTopics(topics: readonly string[], partitions: number): Promise<void>
  createProducer(): BusProducer
  createConsumer(options: ConsumerOptions): BusConsumer
  /**
   * Each partition's range of offsets, for the topics that exist (a missing topic is left out).
   * For lag seen from outside the consumers: the API compares it with the stored positions.
   */
  offsetRanges(topics: readonly string[]): Promise<PartitionRange[]>
  /** Closes every producer and consumer made by this bus. */
  close(): Promise<void>
}

export interface StoredObject {
  /** relative to the store's root */
  key: string
  sizeBytes: number
}

/**
 * An object store (S3, or a directory): the lake's storage. Keys are `/`-separated paths relative
 * to the store's root (the LAKE_URL). Every method rejects with a StreamwatchError
 * `store_unavailable`, `retriable` when a retry can help (network, 5xx, throttling).
 */
export interface ObjectStore {
  /** the root, for people and logs: `s3://bucket/prefix` or `file:///path` */
  readonly url: string
  /**
   * Stores `bytes` under `key`, replacing any object there. Atomic: a reader sees the old object
   * (or none) until it sees the whole new one, never a part, even if the writer dies mid-put.
   * Resolves once the object is durable.
   */
  put(key: string, bytes: Uint8Array): Promise<void>
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>
  /** The object's size, or undefined when there is none. */
  head(key: string): Promise<StoredObject | undefined>
  /**
   * Objects whose key starts with `prefix`, in ascending key order (UTF-8 bytes), fetched page by
   * page as the caller iterates; with `startAfter`, only keys after it. Some S3-compatible servers
   * also list an upload in progress under a temporary key of their own (S3Proxy: `<key>-<uuid>`):
   * readers act only on keys they recognise.
   */
  list(prefix: string, options?: { startAfter?: string }): AsyncIterable<StoredObject>
  /** Releases the client; in-flight calls finish first. */
  close(): Promise<void>
}

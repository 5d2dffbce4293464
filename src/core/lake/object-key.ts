// Where things live in the lake. Keys are relative to the lake's root (the path of LAKE_URL, which
// is the `{prefix}` of the layout):
//
//   topic={t}/dt={YYYY-MM-DD}/hour={HH}/{t}+{partition}+{firstOffset}+{lastOffset}.jsonl.gz
//   _checkpoints/{t}+{partition}.json
//
// `t` is the full topic name; dt and hour are the UTC hour of the object's first record's
// timestamp (an object never spans an hour: see lake-batcher.ts). The offsets make the name a
// function of the records it holds, so writing the same records twice writes the same object.
// Kafka topic names are [A-Za-z0-9._-], so `+` cannot occur in one and the name parses back.

export const OBJECT_SUFFIX = '.jsonl.gz'
export const CHECKPOINT_DIR = '_checkpoints/'
export const HOUR_MS = 3_600_000

/** An object's content, as named by its key: one partition's records firstOffset..lastOffset. */
export interface ObjectRange {
  topic: string
  partition: number
  firstOffset: number
  lastOffset: number
}

export interface ParsedObjectKey extends ObjectRange {
  /** start of the UTC hour the key is filed under */
  hourStartMs: number
}

const TOPIC = /^[A-Za-z0-9._-]+$/
// JS dates reach ±8.64e15 ms; a timestamp beyond (no real clock makes one) is filed at the edge.
const MAX_DATE_MS = 8.64e15

/** The start of the UTC hour `timestampMs` falls in. */
export function hourStartOf(timestampMs: number): number {
  const clamped = Math.min(MAX_DATE_MS, Math.max(-MAX_DATE_MS, timestampMs))
  return Math.floor(clamped / HOUR_MS) * HOUR_MS
}

function pad(value: number, width: number): string {
  return value < 0 ? `-${String(-value).padStart(width, '0')}` : String(value).padStart(width, '0')
}

/** `dt=2025-01-31/hour=07` for the hour `timestampMs` falls in. */
export function formatHourPath(timestampMs: number): string {
  const date = new Date(hourStartOf(timestampMs))
  const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`
  return `dt=${day}/hour=${pad(date.getUTCHours(), 2)}`
}

/** `topic={t}/`: every object of one topic starts with it. */
export function topicKeyPrefix(topic: string): string {
  return `topic=${topic}/`
}

/** The key of the object holding `range`, filed under the hour of `firstTimestampMs`. */
export function formatObjectKey(range: ObjectRange, firstTimestampMs: number): string {
  const { topic, partition, firstOffset, lastOffset } = range
  return `${topicKeyPrefix(topic)}${formatHourPath(firstTimestampMs)}/${topic}+${partition}+${firstOffset}+${lastOffset}${OBJECT_SUFFIX}`
}

const OBJECT_KEY =
  /^topic=([A-Za-z0-9._-]+)\/dt=(-?\d{4,})-(\d{2})-(\d{2})\/hour=(\d{2})\/([A-Za-z0-9._-]+)\+(\d+)\+(\d+)\+(\d+)\.jsonl\.gz$/

/**
 * The parts of an object key, or undefined for any other key (checkpoints, a store's temporary
 * files, foreign objects): only what this layout writes is ever read as lake data.
 */
export function parseObjectKey(key: string): ParsedObjectKey | undefined {
  const match = OBJECT_KEY.exec(key)
  if (!match) return undefined
  const [, dirTopic, year, month, day, hour, topic, partition, first, last] = match
  if (dirTopic !== topic) return undefined
  const firstOffset = Number(first)
  const lastOffset = Number(last)
  const partitionNumber = Number(partition)
  if (![firstOffset, lastOffset, partitionNumber].every(Number.isSafeInteger) || firstOffset > lastOffset) {
    return undefined
  }
  // setUTCFullYear, not Date.UTC: the latter reads years 0..99 as 1900..1999.
  const date = new Date(0)
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day))
  const hourStartMs = date.setUTCHours(Number(hour))
  if (
    !Number.isFinite(hourStartMs) ||
    formatHourPath(hourStartMs) !== `dt=${year}-${month}-${day}/hour=${hour}`
  ) {
    return undefined
  }
  return { topic: topic!, partition: partitionNumber, firstOffset, lastOffset, hourStartMs }
}

/** The key of a partition's checkpoint (see checkpoint.ts). */
export function checkpointKey(topic: string, partition: number): string {
  return `${CHECKPOINT_DIR}${topic}+${partition}.json`
}

/** Whether `topic` can be part of a key (Kafka's own rule for topic names). */
export function isKeyableTopic(topic: string): boolean {
  return TOPIC.test(topic) && topic !== '.' && topic !== '..'
}

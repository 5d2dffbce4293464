// What the lake holds of each partition, from object keys alone, and which objects a replay
// reads. Pure.
import { HOUR_MS, type ObjectRange, type ParsedObjectKey, parseObjectKey } from './object-key.ts'

export interface PartitionCoverage {
  topic: string
  partition: number
  /** objects in offset order; an object wholly inside the ranges before it is left out (see overlaps) */
  objects: Array<ParsedObjectKey & { key: string }>
  /** offset ranges between objects that no object holds, [from, to] inclusive */
  gaps: Array<[number, number]>
  /** keys of objects whose range overlaps the ones before them (a correct sink never writes one) */
  overlaps: string[]
}

export interface CoverageFilter {
  /** full topic names; all when absent */
  topics?: ReadonlySet<string>
  /** keep objects whose hour overlaps [sinceMs, untilMs) */
  sinceMs?: number
  untilMs?: number
}

/** Groups object keys by partition, in (topic, partition) order; keys that are not objects are ignored. */
export function summarizeCoverage(keys: Iterable<string>, filter: CoverageFilter = {}): PartitionCoverage[] {
  const byPartition = new Map<string, Array<ParsedObjectKey & { key: string }>>()
  for (const key of keys) {
    const parsed = parseObjectKey(key)
    if (!parsed) continue
    if (filter.topics && !filter.topics.has(parsed.topic)) continue
    if (filter.sinceMs !== undefined && parsed.hourStartMs + HOUR_MS <= filter.sinceMs) continue
    if (filter.untilMs !== undefined && parsed.hourStartMs >= filter.untilMs) continue
    const id = `${parsed.topic}+${parsed.partition}`
    const list = byPartition.get(id)
    if (list) list.push({ ...parsed, key })
    else byPartition.set(id, [{ ...parsed, key }])
  }
  const result: PartitionCoverage[] = []
  for (const list of byPartition.values()) {
    list.sort((a, b) => a.firstOffset - b.firstOffset || a.lastOffset - b.lastOffset)
    const coverage: PartitionCoverage = {
      topic: list[0]!.topic,
      partition: list[0]!.partition,
      objects: [],
      gaps: [],
      overlaps: [],
    }
    let end = -1
    for (const object of list) {
      if (coverage.objects.length > 0 && object.firstOffset <= end) {
        coverage.overlaps.push(object.key)
        if (object.lastOffset <= end) continue
      } else if (coverage.objects.length > 0 && object.firstOffset > end + 1) {
        coverage.gaps.push([end + 1, object.firstOffset - 1])
      }
      coverage.objects.push(object)
      end = Math.max(end, object.lastOffset)
    }
    result.push(coverage)
  }
  return result.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
}

/** Whether a record's timestamp falls in [sinceMs, untilMs) (an open end when absent). */
export function isInTimeRange(timestampMs: number, sinceMs?: number, untilMs?: number): boolean {
  return (sinceMs === undefined || timestampMs >= sinceMs) && (untilMs === undefined || timestampMs < untilMs)
}

/** Total offsets an object range spans. */
export function rangeLength(range: ObjectRange): number {
  return range.lastOffset - range.firstOffset + 1
}

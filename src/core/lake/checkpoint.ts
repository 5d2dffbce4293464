// Where a partition's archive ends, and how the sink finds it again after a restart. Pure.
//
// The lake itself is the record of what is archived; the checkpoint is a small per-partition
// object that makes finding the end O(1) instead of a listing. It is written BEFORE each object,
// as an intent:
//
//   1. put checkpoint { nextOffset: N, pending: K = [f..l] }   every offset < N is archived; K may be
//   2. put object K                                            deterministic name and content
//   3. commit l+1 to the bus                                   (the next object starts at step 1)
//
// A crash at any point leaves one of: the previous checkpoint (whose pending object is stored, so
// the end is its lastOffset + 1); or this checkpoint with K stored (end l+1); or this checkpoint
// with K missing. In the last case the sink restarts at N and must rewrite exactly K: it cuts its
// next object of the partition at l, whatever its size and time rules say (`expect` below). So a
// put of K that was still in flight when the process died, and lands later, writes the same
// bytes under the same name as the rewrite: never an overlap, never a gap.
// Without a checkpoint (first run, or it was deleted), the end is found by listing the
// partition's objects (`nextOffsetFromKeys`).
import { parseObjectKey } from './object-key.ts'

export interface PendingObject {
  key: string
  firstOffset: number
  lastOffset: number
}

export interface Checkpoint {
  topic: string
  partition: number
  /** every record of the partition below this offset is archived (pending aside) */
  nextOffset: number
  /** the object being written when the checkpoint was: it may or may not be stored */
  pending: PendingObject | null
}

/** Where to resume a partition: read from `nextOffset`; when `expect` is set, its next object must be exactly that range. */
export interface Resume {
  nextOffset: number
  expect: PendingObject | null
}

const VERSION = 1

export function encodeCheckpoint(checkpoint: Checkpoint): string {
  const { topic, partition, nextOffset, pending } = checkpoint
  return `${JSON.stringify({ version: VERSION, topic, partition, nextOffset, pending })}\n`
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** The checkpoint in `text`, or a problem when it is not one of (topic, partition). */
export function decodeCheckpoint(
  text: string,
  topic: string,
  partition: number,
): { ok: true; checkpoint: Checkpoint } | { ok: false; problem: string } {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { ok: false, problem: 'not valid JSON' }
  }
  if (parsed === null || typeof parsed !== 'object') return { ok: false, problem: 'not a JSON object' }
  const o = parsed as Record<string, unknown>
  if (o['version'] !== VERSION)
    return { ok: false, problem: `unknown version ${JSON.stringify(o['version'])}` }
  if (o['topic'] !== topic || o['partition'] !== partition) {
    return { ok: false, problem: `it is the checkpoint of ${String(o['topic'])}+${String(o['partition'])}` }
  }
  if (!isOffset(o['nextOffset'])) return { ok: false, problem: 'nextOffset: expected a whole number >= 0' }
  const pending = o['pending']
  if (pending === null)
    return { ok: true, checkpoint: { topic, partition, nextOffset: o['nextOffset'], pending } }
  const p = pending as Record<string, unknown> | undefined
  const parsedKey = typeof p?.['key'] === 'string' ? parseObjectKey(p['key']) : undefined
  if (
    !parsedKey ||
    parsedKey.topic !== topic ||
    parsedKey.partition !== partition ||
    parsedKey.firstOffset !== p!['firstOffset'] ||
    parsedKey.lastOffset !== p!['lastOffset'] ||
    parsedKey.firstOffset < o['nextOffset']
  ) {
    return { ok: false, problem: 'pending: expected the key and offsets of an object at or after nextOffset' }
  }
  return {
    ok: true,
    checkpoint: {
      topic,
      partition,
      nextOffset: o['nextOffset'],
      pending: {
        key: p!['key'] as string,
        firstOffset: parsedKey.firstOffset,
        lastOffset: parsedKey.lastOffset,
      },
    },
  }
}

/** Where to resume, given the checkpoint and whether its pending object is in the lake. */
export function resumeFromCheckpoint(checkpoint: Checkpoint, pendingStored: boolean): Resume {
  const { pending, nextOffset } = checkpoint
  if (pending === null) return { nextOffset, expect: null }
  if (pendingStored) return { nextOffset: pending.lastOffset + 1, expect: null }
  return { nextOffset, expect: pending }
}

/**
 * The offset after the last archived record of (topic, partition), from the keys of the lake
 * (any keys: those that are not objects of this partition are ignored); undefined when the lake
 * holds nothing of it.
 */
export function nextOffsetFromKeys(
  keys: Iterable<string>,
  topic: string,
  partition: number,
): number | undefined {
  let next: number | undefined
  for (const key of keys) {
    const parsed = parseObjectKey(key)
    if (!parsed || parsed.topic !== topic || parsed.partition !== partition) continue
    if (next === undefined || parsed.lastOffset + 1 > next) next = parsed.lastOffset + 1
  }
  return next
}

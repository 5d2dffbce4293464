// Pending observations as a binary min-heap in (tsMs, eventId) order: arrival adds in O(log n),
// evaluation takes the earliest in O(log n), however far out of order events arrive. The heap is
// a plain array, so it serialises as is; a sorted array is a valid heap.
import type { Observation } from './detector-state.ts'

export function compareObservations(a: Observation, b: Observation): number {
  return a.tsMs - b.tsMs || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0)
}

export function pushObservation(heap: Observation[], observation: Observation): void {
  let index = heap.length
  heap.push(observation)
  while (index > 0) {
    const parent = (index - 1) >> 1
    if (compareObservations(heap[parent]!, observation) <= 0) break
    heap[index] = heap[parent]!
    index = parent
  }
  heap[index] = observation
}

/** Removes and returns the earliest observation; the heap must not be empty. */
export function popObservation(heap: Observation[]): Observation {
  const top = heap[0]!
  const last = heap.pop()!
  const size = heap.length
  if (size === 0) return top
  let index = 0
  for (;;) {
    const left = 2 * index + 1
    if (left >= size) break
    const right = left + 1
    const child = right < size && compareObservations(heap[right]!, heap[left]!) < 0 ? right : left
    if (compareObservations(last, heap[child]!) <= 0) break
    heap[index] = heap[child]!
    index = child
  }
  heap[index] = last
  return top
}

/** Makes any array of observations a valid heap (used on restore), keeping one that already is. */
export function heapify(observations: Observation[]): Observation[] {
  for (let index = 1; index < observations.length; index++) {
    if (compareObservations(observations[(index - 1) >> 1]!, observations[index]!) > 0) {
      return observations.sort(compareObservations)
    }
  }
  return observations
}

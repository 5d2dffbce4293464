// Every malformed message must be rejected by the real cleaner, for the reason its tag names, and
// every other message accepted.
import { describe, expect, it } from 'vitest'
import { KIND_OF_TOPIC } from '../../contracts/topics.ts'
import { cleanRecord, createCleanPolicy } from '../clean/index.ts'
import { createEventStream, type EventStreamOptions, type GeneratedEvent } from './event-stream.ts'
import { EXPECTED_REJECT_REASON, MALFORMED_TAGS } from './malformed.ts'

const START_MS = Date.UTC(2025, 0, 1, 10, 0, 0)
const policy = createCleanPolicy()
const encoder = new TextEncoder()

function clean(event: GeneratedEvent, offset: number, nowMs: number) {
  const value = typeof event.value === 'string' ? encoder.encode(event.value) : event.value
  const record = { topic: event.topic, partition: 0, offset, key: encoder.encode(event.key), value }
  return cleanRecord(KIND_OF_TOPIC[event.topic], record, policy, nowMs)
}

const aStream = (options: Partial<EventStreamOptions>) =>
  createEventStream({ seed: 21, startMs: START_MS, eventRatePerSecond: 1_000, ...options })

describe('malformed messages', () => {
  it.each([
    [0.01, 60_000],
    [0.1, 20_000],
    [0.5, 10_000],
  ])('replace a share of %f of the messages; the cleaner rejects exactly those', (malformedRatio, count) => {
    const stream = aStream({ malformedRatio, anomalyRatio: 0.001, eventIds: true })
    const events = stream.take(count)
    const nowMs = events.at(-1)!.eventTimeMs
    const malformed = events.filter((e) => e.malformed !== undefined)
    // binomial: within 5 standard deviations
    const sd = Math.sqrt(count * malformedRatio * (1 - malformedRatio))
    expect(Math.abs(malformed.length - count * malformedRatio)).toBeLessThan(5 * sd)
    const wrong: string[] = []
    events.forEach((event, offset) => {
      const result = clean(event, offset, nowMs)
      const expected = event.malformed === undefined ? 'accepted' : EXPECTED_REJECT_REASON[event.malformed]
      const got = result.kind === 'rejection' ? result.reason : 'accepted'
      if (got !== expected) wrong.push(`${event.malformed ?? 'valid'} -> ${got}: ${preview(event)}`)
    })
    expect(wrong).toEqual([])
    const counted = stream.manifest().malformed
    expect(Object.values(counted).reduce((a, b) => a + b, 0)).toBe(malformed.length)
  })

  it('cycles through every tag, each rejected, over thousands of messages', () => {
    const events = aStream({ seed: 22, malformedRatio: 1 }).take(3_400)
    const nowMs = events.at(-1)!.eventTimeMs
    const seen = new Map<string, number>()
    const wrong: string[] = []
    events.forEach((event, offset) => {
      const result = clean(event, offset, nowMs)
      const got = result.kind === 'rejection' ? result.reason : 'accepted'
      if (got !== EXPECTED_REJECT_REASON[event.malformed!])
        wrong.push(`${event.malformed} -> ${got}: ${preview(event)}`)
      seen.set(event.malformed!, (seen.get(event.malformed!) ?? 0) + 1)
    })
    expect(wrong).toEqual([])
    expect([...seen.keys()].sort()).toEqual([...MALFORMED_TAGS].sort())
    for (const count of seen.values()) expect(count).toBe(3_400 / MALFORMED_TAGS.length)
  })

  it.each([[['logs'] as const], [['metrics'] as const], [['transactions'] as const]])(
    'stay on the topics asked for: %j',
    (topics) => {
      const events = aStream({ seed: 23, malformedRatio: 0.5, topics }).take(2_000)
      const nowMs = events.at(-1)!.eventTimeMs
      expect(new Set(events.map((e) => e.topic))).toEqual(new Set(topics))
      events.forEach((event, offset) => {
        if (event.malformed === undefined) return
        const result = clean(event, offset, nowMs)
        expect(result.kind === 'rejection' && result.reason).toBe(EXPECTED_REJECT_REASON[event.malformed])
      })
    },
  )

  it('carries invalid UTF-8 as bytes and never counts toward an anomaly', () => {
    const events = aStream({ seed: 24, malformedRatio: 1, anomalyRatio: 0.5 }).take(1_700)
    const bytes = events.filter((e) => typeof e.value !== 'string')
    expect(bytes.length).toBe(100)
    expect(bytes.every((e) => e.malformed === 'invalid_utf8')).toBe(true)
    expect(events.some((e) => e.injected !== undefined)).toBe(false)
  })
})

function preview(event: GeneratedEvent): string {
  return typeof event.value === 'string' ? event.value.slice(0, 200) : `${event.value.byteLength} bytes`
}

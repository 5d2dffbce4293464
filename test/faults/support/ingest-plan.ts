// Requests for the ingest scenario: generated events (a share of them the generator's malformed
// kinds) with a hand-made bad record after every third, packed per topic into POST bodies of
// each shape the API takes (a JSON array, NDJSON, gzip or deflate, one object alone), each record
// with the answer it must get: accepted, or rejected with the cleaner's reason.
import { deflateSync, gzipSync } from 'node:zlib'
import type { RejectReason } from '../../../src/contracts/events.ts'
import type { EventTopic } from '../../../src/contracts/topics.ts'
import { createEventStream } from '../../../src/core/generate/event-stream.ts'
import { EXPECTED_REJECT_REASON, type MalformedTag } from '../../../src/core/generate/malformed.ts'
import { BAD_RECORDS } from './bad-records.ts'

export interface IngestRecord {
  topic: EventTopic
  value: Uint8Array
  /** null: valid, must be accepted and stored */
  reason: RejectReason | null
  /** what it is, for failure messages */
  label: string
  /** the generator's event_id of a valid record */
  eventId?: string
}

export type BodyShape = 'array' | 'ndjson' | 'array-gzip' | 'ndjson-deflate' | 'single'

export interface IngestRequest {
  topic: EventTopic
  shape: BodyShape
  headers: Record<string, string>
  body: Uint8Array
  /** the records in the body, in order: the response's `results` answer them one by one */
  records: IngestRecord[]
}

/** A body the API must refuse whole (400), naming the body; nothing in it may be stored. */
export interface FramingCase {
  name: string
  topic: EventTopic
  headers: Record<string, string>
  body: Uint8Array
  /** event_ids of the valid events inside */
  eventIds: string[]
}

export interface IngestPlan {
  requests: IngestRequest[]
  framing: FramingCase[]
  valid: number
  malformed: number
  /** event_ids of every valid generated record */
  eventIds: Set<string>
  /** how many hand-made bad records */
  crafted: number
}

const JSON_TYPE = { 'content-type': 'application/json' }
const NDJSON_TYPE = { 'content-type': 'application/x-ndjson' }
const MAX_RECORDS_PER_REQUEST = 600
const MAX_BODY_BYTES = 3 * 1024 * 1024
/** one record in this many (that can be) goes alone in its own request */
const SINGLE_EVERY = 60
export const SHAPES: readonly BodyShape[] = ['array', 'ndjson', 'array-gzip', 'ndjson-deflate']

const bytesOf = (value: string | Uint8Array) =>
  typeof value === 'string' ? new TextEncoder().encode(value) : value

/**
 * Whether the record can sit in a JSON array without breaking the array's framing. A truncated
 * record leaves a string or an object open and would take the rest of the body with it (the API
 * then refuses the whole body, as it should); those go in NDJSON, where a line ends them.
 */
function fitsInArray(label: string): boolean {
  return !/^(generated truncated_json|truncated)/.test(label)
}

/** An empty record is no event in any shape: alone it is an empty body (400), in NDJSON a blank line. */
const isEmpty = (r: IngestRecord) => r.value.length === 0

const isObject = (r: IngestRecord) => {
  const start = r.value[0] === 0xef ? 3 : 0
  return r.value[start] === 0x7b
}

export function planIngest(malformedTarget: number, nowMs: number, seed: number): IngestPlan {
  const stream = createEventStream({
    seed,
    startMs: nowMs - 60_000,
    eventRatePerSecond: 500,
    malformedRatio: 0.25,
    eventIds: true,
  })
  const nowIso = new Date(nowMs).toISOString()
  const byTopic: Record<EventTopic, IngestRecord[]> = { logs: [], metrics: [], transactions: [] }
  const eventIds = new Set<string>()
  let valid = 0
  let malformed = 0
  let crafted = 0
  for (let i = 0; malformed < malformedTarget; i++) {
    const event = stream.next()
    const value = bytesOf(event.value)
    if (event.malformed) {
      const tag = event.malformed as MalformedTag
      byTopic[event.topic].push({
        topic: event.topic,
        value,
        reason: EXPECTED_REJECT_REASON[tag],
        label: `generated ${tag}`,
      })
      malformed++
    } else {
      const eventId = (JSON.parse(event.value as string) as { event_id: string }).event_id
      eventIds.add(eventId)
      byTopic[event.topic].push({
        topic: event.topic,
        value,
        reason: null,
        label: 'generated valid',
        eventId,
      })
      valid++
    }
    if (i % 3 === 2) {
      const bad = BAD_RECORDS[((i / 3) % BAD_RECORDS.length) | 0]!
      byTopic[bad.topic].push({
        topic: bad.topic,
        value: bytesOf(bad.value(nowIso)),
        reason: bad.reason,
        label: bad.name,
      })
      if (bad.reason === null) valid++
      else {
        malformed++
        crafted++
      }
    }
  }
  const requests = (Object.keys(byTopic) as EventTopic[]).flatMap((topic) => pack(topic, byTopic[topic]))
  return { requests, framing: framingCases(nowMs), valid, malformed, eventIds, crafted }
}

/** Packs one topic's records into requests, cycling through the shapes. */
function pack(topic: EventTopic, records: readonly IngestRecord[]): IngestRequest[] {
  const requests: IngestRequest[] = []
  /** records that cannot go in the array being filled: first into the next NDJSON body */
  let deferred: IngestRecord[] = []
  let current: IngestRecord[] = []
  let bytes = 0
  let shapeIndex = 0
  let objects = 0
  const flush = () => {
    if (current.length > 0) requests.push(build(topic, SHAPES[shapeIndex % SHAPES.length]!, current))
    current = []
    bytes = 0
    shapeIndex++
    if (!SHAPES[shapeIndex % SHAPES.length]!.startsWith('array')) {
      current = deferred
      bytes = deferred.reduce((n, r) => n + r.value.length, 0)
      deferred = []
    }
  }
  for (const record of records) {
    if (isEmpty(record)) {
      // alone, it is an empty body: refused whole (400); see checkEmpty in the scenario
      requests.push(build(topic, 'single', [record]))
      continue
    }
    if (isObject(record) && ++objects % SINGLE_EVERY === 0) {
      requests.push(build(topic, 'single', [record]))
      continue
    }
    const inArray = SHAPES[shapeIndex % SHAPES.length]!.startsWith('array')
    if (inArray && !fitsInArray(record.label)) deferred.push(record)
    else {
      current.push(record)
      bytes += record.value.length
    }
    if (current.length >= MAX_RECORDS_PER_REQUEST || bytes >= MAX_BODY_BYTES) flush()
  }
  flush()
  // what is still deferred goes in one last NDJSON body
  if (deferred.length > 0 || current.length > 0) {
    requests.push(build(topic, 'ndjson', [...current, ...deferred]))
  }
  return requests
}

function build(topic: EventTopic, shape: BodyShape, records: IngestRecord[]): IngestRequest {
  const join = (separator: string, open = '', close = '') => {
    const parts: Uint8Array[] = [bytesOf(open)]
    records.forEach((r, i) => {
      if (i > 0) parts.push(bytesOf(separator))
      parts.push(r.value)
    })
    parts.push(bytesOf(close))
    return Buffer.concat(parts)
  }
  switch (shape) {
    case 'single':
      return { topic, shape, headers: JSON_TYPE, body: records[0]!.value, records }
    case 'array':
      return { topic, shape, headers: JSON_TYPE, body: join(',\n', '[', ']'), records }
    case 'array-gzip':
      return {
        topic,
        shape,
        headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
        body: gzipSync(join(',', '[', ']')),
        records,
      }
    case 'ndjson':
      return { topic, shape, headers: NDJSON_TYPE, body: join('\n', '', '\n'), records }
    case 'ndjson-deflate':
      return {
        topic,
        shape,
        headers: { ...NDJSON_TYPE, 'content-encoding': 'deflate' },
        body: deflateSync(join('\r\n')),
        records,
      }
  }
}

/** Bodies whose framing is broken: two valid events in each, but the API cannot tell where they end. */
const FRAMINGS: ReadonlyArray<{
  name: string
  headers: Record<string, string>
  body: (a: string, b: string) => string
}> = [
  { name: 'unclosed array', headers: JSON_TYPE, body: (a, b) => `[${a},${b}` },
  { name: 'empty array element', headers: JSON_TYPE, body: (a, b) => `[${a},,${b}]` },
  { name: 'trailing data after the array', headers: JSON_TYPE, body: (a, b) => `[${a},${b}] {"more":1}` },
  { name: 'stray closing brace', headers: JSON_TYPE, body: (a, b) => `[${a}},${b}]` },
  { name: 'blank NDJSON', headers: NDJSON_TYPE, body: () => '\n\r\n  \n' },
  { name: 'empty body', headers: JSON_TYPE, body: () => '' },
  { name: 'empty array', headers: JSON_TYPE, body: () => '[]' },
]

export const FRAMING_CASE_NAMES: readonly string[] = FRAMINGS.map((f) => f.name)

export function framingCases(nowMs: number): FramingCase[] {
  const ts = new Date(nowMs).toISOString()
  const log = (id: string) =>
    `{"timestamp":"${ts}","service":"checkout","level":"INFO","message":"framing","event_id":"${id}"}`
  return FRAMINGS.map(({ name, headers, body }) => {
    const ids = [1, 2].map((n) => `framing-${name.replaceAll(' ', '-')}-${n}`)
    const text = body(log(ids[0]!), log(ids[1]!))
    return {
      name,
      topic: 'logs',
      headers,
      body: bytesOf(text),
      eventIds: ids.filter((id) => text.includes(id)),
    }
  })
}

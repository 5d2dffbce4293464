import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AlertAnomaly } from './alert-anomaly.ts'
import { buildNotification, type Notification, type NotificationOptions } from './build-notification.ts'
import { validateSlackMessage } from './slack-message.ts'
import { anAnomaly, idsInMessage, T0 } from './test-builders.ts'

const PUBLIC_URL = 'https://streamwatch.example.com'
const options: NotificationOptions = { publicUrl: PUBLIC_URL, collectedOverMs: 5_000 }
const EVIL = '<!channel> <https://evil|click>'

function build(
  anomalies: AlertAnomaly[],
  kind: 'firing' | 'resolved' = 'firing',
  extra: Partial<NotificationOptions> = {},
) {
  const { notification, rest } = buildNotification(
    { kind, rule: anomalies[0]?.rule ?? 'r', anomalies },
    { ...options, ...extra },
  )
  return { n: notification!, rest }
}

/** Every message a group becomes when sent message after message. */
function buildAll(anomalies: AlertAnomaly[], extra: Partial<NotificationOptions> = {}): Notification[] {
  const out: Notification[] = []
  let left = anomalies
  while (left.length > 0) {
    const { notification, rest } = buildNotification(
      { kind: 'firing', rule: 'r', anomalies: left },
      { ...options, ...extra, groupSize: left.length },
    )
    out.push(notification!)
    expect(rest.length).toBeLessThan(left.length)
    left = rest
  }
  return out
}

const texts = (n: Notification): string[] => [
  n.message.text,
  ...n.message.blocks.flatMap((b) =>
    b.type === 'header' || b.type === 'section'
      ? [b.text.text]
      : b.type === 'context'
        ? b.elements.map((e) => e.text)
        : [],
  ),
]

describe('buildNotification, firing', () => {
  it('says everything about one anomaly, with a link to it', () => {
    const a = anAnomaly({ key: 'tx-42', firstSeenMs: T0, lastSeenMs: T0 + 4_000 })
    const { n, rest } = build([a])
    expect(rest).toEqual([])
    expect(n.anomalyIds).toEqual([a.id])
    expect(n.alsoResolvedIds).toEqual([])
    expect(n.message.blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: '🟠 large_transaction: 1 new anomaly', emoji: true },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: [
            `*<${PUBLIC_URL}/anomalies/${a.id}|tx-42>* · warning`,
            'value *15,000* &gt; threshold 10,000 · 1 event',
            'first seen 2025-01-01 10:00:00 UTC · last seen 2025-01-01 10:00:04 UTC',
          ].join('\n'),
        },
      },
      { type: 'context', block_id: 'anomaly-ids-1', elements: [{ type: 'mrkdwn', text: `ids: ${a.id}` }] },
    ])
    expect(n.message.text).toBe('large_transaction: 1 new anomaly: tx-42 15,000 &gt; 10,000 (warning)')
  })

  it('gives a count rule its window and count, and a critical header', () => {
    const a = anAnomaly({
      rule: 'error_burst',
      key: 'auth',
      severity: 'critical',
      value: 25,
      threshold: 20,
      eventCount: 25,
      windowMs: 60_000,
    })
    const { n } = build([a])
    expect(n.message.blocks[0]).toMatchObject({ text: { text: '🔴 error_burst: 1 new anomaly' } })
    expect(texts(n)[2]).toContain('value *25* &gt; threshold 20 · 25 events in 60 s')
  })

  it('digests a burst: the largest listed, the rest counted, every id carried', () => {
    const anomalies = Array.from({ length: 12 }, (_, i) =>
      anAnomaly({ key: `tx-${i}`, value: 11_000 + i * 100 }),
    )
    const { n } = build(anomalies)
    const blocks = n.message.blocks
    expect(blocks[0]).toMatchObject({
      text: { text: '🟠 large_transaction: 12 new anomalies in the last 5 s' },
    })
    expect(blocks[1]).toMatchObject({
      text: { text: '*12* new anomalies of rule *large_transaction* in the last 5 s, the 10 largest below.' },
    })
    const listed = blocks
      .slice(2, 12)
      .map((b) => (b.type === 'section' ? /\|(tx-\d+)>/.exec(b.text.text)?.[1] : undefined))
    expect(listed).toEqual(['tx-11', 'tx-10', 'tx-9', 'tx-8', 'tx-7', 'tx-6', 'tx-5', 'tx-4', 'tx-3', 'tx-2'])
    expect(blocks[12]).toMatchObject({ text: { text: expect.stringContaining('…and *2* more') } })
    expect(idsInMessage(blocks)).toEqual(anomalies.map((a) => a.id))
    expect(n.message.text).toMatch(
      /^large_transaction: 12 new anomalies: tx-11 12,100 &gt; 10,000 \(warning\); .*; and 2 more$/,
    )
  })

  it('lists "below a threshold" rules by how far below they went', () => {
    const anomalies = [5, 1, 3].map((value) =>
      anAnomaly({ rule: 'low_cpu', comparator: '<', threshold: 10, value, key: `k${value}` }),
    )
    const { n } = build(anomalies, 'firing', { listedMax: 1 })
    expect(texts(n)[3]).toContain('|k1>')
  })

  it('says when it carries part of a larger group', () => {
    const anomalies = Array.from({ length: 3 }, () => anAnomaly())
    const { n } = build(anomalies, 'firing', { groupSize: 500 })
    expect(texts(n)[2]).toContain('This message carries 3 of 500; the rest follow.')
  })

  it('marks anomalies that already resolved, and settles their resolved notification', () => {
    const open = anAnomaly()
    const ended = anAnomaly({ status: 'resolved', resolvedAtMs: T0 + 300_000 })
    const { n } = build([open, ended])
    expect(n.alsoResolvedIds).toEqual([ended.id])
    expect(texts(n).join('\n')).toContain('*resolved* 2025-01-01 10:05:00 UTC')
  })

  it('shows an event that tries to ping the channel or forge a link as text', () => {
    const a = anAnomaly({ key: EVIL, details: { message: EVIL, [EVIL]: 1 } })
    const { n } = build([a])
    const all = texts(n).join('\n')
    expect(all).not.toContain('<!channel>')
    expect(all).not.toContain('<https://evil')
    expect(all).toContain('&lt;!channel&gt; &lt;https://evil|click&gt;')
    expect(n.message.text).toContain('&lt;!channel&gt;')
    expect(onlyOurLinks(n)).toBe(true)
  })
})

describe('buildNotification, resolved', () => {
  it('names the firing notification it ends', () => {
    const a = anAnomaly({ status: 'resolved', resolvedAtMs: T0 + 300_000, notifiedAtMs: T0 + 2_000 })
    const { n } = build([a], 'resolved')
    expect(n.message.blocks[0]).toMatchObject({ text: { text: '✅ large_transaction: 1 resolved' } })
    const body = texts(n)[2]!
    expect(body).toContain('resolved 2025-01-01 10:05:00 UTC')
    expect(body).toContain(
      `fired 2025-01-01 10:00:00 UTC, notified 2025-01-01 10:00:02 UTC as anomaly ${a.id}`,
    )
    expect(idsInMessage(n.message.blocks, 'resolved-ids-')).toEqual([a.id])
    expect(idsInMessage(n.message.blocks)).toEqual([])
    expect(n.alsoResolvedIds).toEqual([])
  })
})

describe('buildNotification within Slack limits', () => {
  it('returns nothing for nothing', () => {
    expect(buildNotification({ kind: 'firing', rule: 'r', anomalies: [] }, options)).toEqual({
      notification: undefined,
      rest: [],
    })
  })

  it('splits thousands of anomalies into valid messages, each id in exactly one', () => {
    const anomalies = Array.from({ length: 40_000 }, () => anAnomaly())
    const messages = buildAll(anomalies)
    expect(messages.length).toBeGreaterThan(1)
    for (const m of messages) expect(validateSlackMessage(m.message)).toEqual([])
    expect(messages.flatMap((m) => m.anomalyIds)).toEqual(anomalies.map((a) => a.id))
    expect(messages.flatMap((m) => idsInMessage(m.message.blocks))).toEqual(anomalies.map((a) => a.id))
  })

  const hostile = fc.string({ unit: 'binary', maxLength: 4_000 })
  const anomalyArb = fc.record({
    key: fc.oneof(hostile, fc.constant(EVIL), fc.constant('')),
    rule: fc.oneof(fc.constant('large_transaction'), hostile),
    severity: fc.constantFrom('info', 'warning', 'critical', 'odd<>&'),
    status: fc.constantFrom('open', 'resolved', 'acknowledged'),
    value: fc.double(),
    threshold: fc.double(),
    comparator: fc.constantFrom('>', '>=', '<', '<='),
    eventCount: fc.integer({ min: 0, max: 1e9 }),
    windowMs: fc.option(fc.integer({ min: 0, max: 1e9 })),
    firstSeenMs: fc.integer({ min: -1e15, max: 1e15 }),
    details: fc.dictionary(
      fc.string({ maxLength: 100 }),
      fc.oneof(hostile, fc.double(), fc.boolean(), fc.object()),
    ),
  })

  it('keeps every message valid and every id once, whatever the anomalies say', () => {
    fc.assert(
      fc.property(
        fc.array(anomalyArb, { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom('firing', 'resolved'),
        (fields, listedMax, kind) => {
          const anomalies = fields.map((f) =>
            anAnomaly({ ...f, lastSeenMs: f.firstSeenMs, notifiedAtMs: f.firstSeenMs }),
          )
          let left = anomalies
          const carried: string[] = []
          while (left.length > 0) {
            const { notification, rest } = buildNotification(
              { kind: kind as 'firing' | 'resolved', rule: left[0]!.rule, anomalies: left },
              { ...options, listedMax, groupSize: left.length },
            )
            const n = notification!
            expect(validateSlackMessage(n.message)).toEqual([])
            expect(onlyOurLinks(n)).toBe(true)
            const prefix = kind === 'firing' ? 'anomaly-ids-' : 'resolved-ids-'
            expect(idsInMessage(n.message.blocks, prefix)).toEqual(n.anomalyIds)
            carried.push(...n.anomalyIds)
            left = rest
          }
          expect(carried).toEqual(anomalies.map((a) => a.id))
        },
      ),
      { numRuns: 60 },
    )
  })
})

/** Every `<` in the message opens one of our own links to the dashboard. */
function onlyOurLinks(n: Notification): boolean {
  return texts(n).every((text) => {
    const opens = [...text.matchAll(/</g)].length
    const ours = [...text.matchAll(new RegExp(`<${PUBLIC_URL}/anomalies/[^|<>\\s]+\\|`, 'g'))].length
    return opens === ours
  })
}

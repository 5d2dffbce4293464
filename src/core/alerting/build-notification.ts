// Anomalies of one rule -> one Slack message (Block Kit, with a plain-text fallback), within
// Slack's limits whatever the input. The largest anomalies are listed, the rest counted, and every
// anomaly id the message is about is in its id context blocks (block_id `anomaly-ids-N` for firing
// messages, `resolved-ids-N` for resolved ones), so delivery can be checked id by id.
import type { AlertAnomaly, NotificationKind } from './alert-anomaly.ts'
import { escapeMrkdwn, flatten, truncate, untrustedLine } from './escape-mrkdwn.ts'
import { formatDuration, formatNumber, formatTime } from './format-values.ts'
import { SLACK_LIMITS, type SlackBlock, type SlackMessage } from './slack-message.ts'

export interface NotificationOptions {
  /** the dashboard's base URL, without a trailing slash: links go to `${publicUrl}/anomalies/${id}` */
  publicUrl: string
  /** how long the group collected anomalies before this message: "in the last 5 s" */
  collectedOverMs: number
  /** anomalies listed one by one, the largest first; the others are counted (default 10) */
  listedMax?: number
  /** how many the group held when this message took its share, when more than the message carries */
  groupSize?: number
}

/** One Slack delivery about one or more anomalies of one rule. */
export interface Notification {
  kind: NotificationKind
  rule: string
  /** every anomaly the message is about, in arrival order; each is in the id context blocks */
  anomalyIds: string[]
  /**
   * Firing messages only: anomalies that had already resolved when the message was built. The
   * message says so, and its delivery settles their resolved notification too.
   */
  alsoResolvedIds: string[]
  message: SlackMessage
}

export interface BuildResult {
  /** undefined when there was nothing to notify */
  notification: Notification | undefined
  /** anomalies that did not fit in the message, in their order: for the next one */
  rest: AlertAnomaly[]
}

const DEFAULT_LISTED_MAX = 10
/** ids are the etl's UUIDs (36 characters); anything longer is shown cut */
const MAX_ID_CHARS = 100
const MAX_KEY_CHARS = 80
const MAX_RULE_CHARS = 80
const MAX_DETAILS_CHARS = 600
const MAX_URL_CHARS = 1_000
const IDS_LABEL = 'ids:'

const SEVERITY_RANK: Readonly<Record<string, number>> = { info: 0, warning: 1, critical: 2 }
const SEVERITY_EMOJI: Readonly<Record<string, string>> = { info: '🔵', warning: '🟠', critical: '🔴' }

export function buildNotification(
  group: { kind: NotificationKind; rule: string; anomalies: readonly AlertAnomaly[] },
  options: NotificationOptions,
): BuildResult {
  const { kind, rule, anomalies } = group
  if (anomalies.length === 0) return { notification: undefined, rest: [] }
  const listedMax = Math.max(1, Math.min(options.listedMax ?? DEFAULT_LISTED_MAX, 40))
  // header, summary, the listed ones and the "and N more" line; the remaining blocks carry ids
  const fixedBlocks = 2 + Math.min(listedMax, anomalies.length) + 1
  const idBlocks = packIds(
    anomalies.map((a) => displayId(a.id)),
    SLACK_LIMITS.blocksPerMessage - fixedBlocks,
  )
  const carried = anomalies.slice(0, idBlocks.count)
  const rest = anomalies.slice(idBlocks.count)
  const groupSize = Math.max(options.groupSize ?? 0, anomalies.length)
  const listed = [...carried].sort(bySize).slice(0, listedMax)
  const more = carried.length - listed.length
  const context = { kind, rule, total: carried.length, groupSize, options }

  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: headerText(context, carried), emoji: true } },
  ]
  if (carried.length > 1) blocks.push(mrkdwnSection(summaryText(context, listed.length)))
  for (const anomaly of listed) {
    const lines =
      kind === 'firing' ? firingLines(anomaly, options.publicUrl) : resolvedLines(anomaly, options.publicUrl)
    blocks.push(mrkdwnSection(joinWithin(lines, SLACK_LIMITS.sectionTextChars)))
  }
  if (more > 0)
    blocks.push(
      mrkdwnSection(`…and *${formatNumber(more)}* more: their ids are below, each in the dashboard.`),
    )
  const idPrefix = kind === 'firing' ? 'anomaly-ids' : 'resolved-ids'
  idBlocks.blocks.forEach((elements, index) => {
    blocks.push({
      type: 'context',
      block_id: `${idPrefix}-${index + 1}`,
      elements: elements.map((text) => ({ type: 'mrkdwn' as const, text })),
    })
  })

  return {
    notification: {
      kind,
      rule,
      anomalyIds: carried.map((a) => a.id),
      alsoResolvedIds: kind === 'firing' ? carried.filter(isResolved).map((a) => a.id) : [],
      message: { text: fallbackText(context, listed, more), blocks },
    },
    rest,
  }
}

interface MessageContext {
  kind: NotificationKind
  rule: string
  total: number
  groupSize: number
  options: NotificationOptions
}

function headerText(
  { kind, rule, total, options }: MessageContext,
  carried: readonly AlertAnomaly[],
): string {
  const name = truncate(flatten(rule), MAX_RULE_CHARS)
  if (kind === 'resolved')
    return truncate(`✅ ${name}: ${formatNumber(total)} resolved`, SLACK_LIMITS.headerChars)
  const emoji = SEVERITY_EMOJI[topSeverity(carried)] ?? '⚪'
  const noun = total === 1 ? 'new anomaly' : 'new anomalies'
  const span = total > 1 ? ` in the last ${formatDuration(options.collectedOverMs)}` : ''
  return truncate(`${emoji} ${name}: ${formatNumber(total)} ${noun}${span}`, SLACK_LIMITS.headerChars)
}

function summaryText({ kind, rule, total, groupSize, options }: MessageContext, listedCount: number): string {
  const name = untrustedLine(rule, MAX_RULE_CHARS)
  const what = kind === 'firing' ? 'new anomalies' : 'anomalies resolved'
  const share =
    groupSize > total
      ? ` This message carries ${formatNumber(total)} of ${formatNumber(groupSize)}; the rest follow.`
      : ''
  const shown = listedCount < total ? `the ${listedCount} largest below` : 'all below'
  return `*${formatNumber(total)}* ${what} of rule *${name}* in the last ${formatDuration(options.collectedOverMs)}, ${shown}.${share}`
}

function firingLines(a: AlertAnomaly, publicUrl: string): string[] {
  const ack = a.status === 'acknowledged' ? ' · acknowledged' : ''
  const window = a.windowMs !== null ? ` in ${formatDuration(a.windowMs)}` : ''
  const events = `${formatNumber(a.eventCount)} event${a.eventCount === 1 ? '' : 's'}${window}`
  const resolved = isResolved(a) ? ` · *resolved* ${formatTime(a.resolvedAtMs ?? a.lastSeenMs)}` : ''
  const lines = [
    `${anomalyLink(a, publicUrl)} · ${untrustedLine(a.severity, 20)}${ack}`,
    `value *${formatNumber(a.value)}* ${untrustedLine(a.comparator, 4)} threshold ${formatNumber(a.threshold)} · ${events}`,
    `first seen ${formatTime(a.firstSeenMs)} · last seen ${formatTime(a.lastSeenMs)}${resolved}`,
  ]
  const details = detailsLine(a.details)
  if (details) lines.push(details)
  return lines
}

function resolvedLines(a: AlertAnomaly, publicUrl: string): string[] {
  const notified = a.notifiedAtMs !== null ? `notified ${formatTime(a.notifiedAtMs)}` : 'not notified'
  return [
    `${anomalyLink(a, publicUrl)} resolved ${formatTime(a.resolvedAtMs ?? a.lastSeenMs)}`,
    `peak *${formatNumber(a.value)}* ${untrustedLine(a.comparator, 4)} threshold ${formatNumber(a.threshold)} · ${formatNumber(a.eventCount)} events`,
    `fired ${formatTime(a.firstSeenMs)}, ${notified} as anomaly ${escapeMrkdwn(displayId(a.id))}`,
  ]
}

/** `*<url|key>*` with the key escaped; the key alone when the URL is absurdly long */
function anomalyLink(a: AlertAnomaly, publicUrl: string): string {
  const label = untrustedLine(a.key, MAX_KEY_CHARS) || '(empty key)'
  const url = linkUrl(`${publicUrl}/anomalies/${encodeURIComponent(a.id)}`)
  return url.length <= MAX_URL_CHARS ? `*<${url}|${label}>*` : `*${label}*`
}

/** A URL inside `<url|label>`: the characters that would end it are percent-encoded, `&` escaped. */
function linkUrl(url: string): string {
  return url.replace(/[|<>\s]/g, (c) => encodeURIComponent(c)).replaceAll('&', '&amp;')
}

function detailsLine(details: Readonly<Record<string, unknown>>): string | undefined {
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return undefined
  const parts: string[] = []
  let length = 0
  for (const [name, value] of Object.entries(details)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue
    const part = `${untrustedLine(name, 40)}: ${untrustedLine(String(value), 200)}`
    if (length + part.length > MAX_DETAILS_CHARS) break
    parts.push(part)
    length += part.length + 3
    if (parts.length === 3) break
  }
  return parts.length > 0 ? `_${parts.join(' · ')}_` : undefined
}

function fallbackText(context: MessageContext, listed: readonly AlertAnomaly[], more: number): string {
  const { kind, rule, total } = context
  const name = untrustedLine(rule, MAX_RULE_CHARS)
  const head =
    kind === 'firing'
      ? `${name}: ${formatNumber(total)} new anomal${total === 1 ? 'y' : 'ies'}`
      : `${name}: ${formatNumber(total)} resolved`
  const items = listed.map((a) => {
    const key = untrustedLine(a.key, MAX_KEY_CHARS) || '(empty key)'
    return kind === 'firing'
      ? `${key} ${formatNumber(a.value)} ${untrustedLine(a.comparator, 4)} ${formatNumber(a.threshold)} (${untrustedLine(a.severity, 20)})`
      : key
  })
  const tail = more > 0 ? `; and ${formatNumber(more)} more` : ''
  let text = `${head}: `
  for (const [index, item] of items.entries()) {
    const next = `${index === 0 ? '' : '; '}${item}`
    if (text.length + next.length + tail.length > SLACK_LIMITS.fallbackTextChars - 40) {
      return `${text}; and ${formatNumber(total - index)} more`
    }
    text += next
  }
  return text + tail
}

function mrkdwnSection(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } }
}

/** Lines joined with newlines, dropping trailing lines that would not fit; the first is cut if need be. */
function joinWithin(lines: readonly string[], maxChars: number): string {
  let text = ''
  for (const line of lines) {
    const next = text ? `${text}\n${line}` : line
    if (next.length > maxChars) break
    text = next
  }
  // only reachable with a first line over the limit, which the bounded parts above rule out
  return text || truncate(lines[0] ?? '', maxChars)
}

/**
 * Packs ids into context blocks of at most 10 elements of at most 3,000 characters, within
 * `maxBlocks` blocks; says how many of the ids (from the first) fit. At least one always does.
 */
function packIds(ids: readonly string[], maxBlocks: number): { blocks: string[][]; count: number } {
  const blocks: string[][] = []
  let elements: string[] = []
  let current = IDS_LABEL
  let count = 0
  const flushElement = (): boolean => {
    elements.push(current)
    current = ''
    if (elements.length === SLACK_LIMITS.contextElements) {
      blocks.push(elements)
      elements = []
    }
    return blocks.length < maxBlocks
  }
  for (const id of ids) {
    const escaped = escapeMrkdwn(id)
    if (current.length + 1 + escaped.length > SLACK_LIMITS.textObjectChars) {
      if (!flushElement()) break
    }
    current = current ? `${current} ${escaped}` : escaped
    count += 1
  }
  if (current) elements.push(current)
  if (elements.length > 0 && blocks.length < maxBlocks) blocks.push(elements)
  return { blocks, count }
}

function displayId(id: string): string {
  return truncate(flatten(id), MAX_ID_CHARS) || '(empty id)'
}

function isResolved(a: AlertAnomaly): boolean {
  return a.status === 'resolved'
}

function topSeverity(anomalies: readonly AlertAnomaly[]): string {
  let top = anomalies[0]?.severity ?? 'info'
  for (const a of anomalies)
    if ((SEVERITY_RANK[a.severity] ?? -1) > (SEVERITY_RANK[top] ?? -1)) top = a.severity
  return top
}

/** Most severe first, then furthest past the threshold (in the comparator's direction), then oldest. */
function bySize(a: AlertAnomaly, b: AlertAnomaly): number {
  return (
    (SEVERITY_RANK[b.severity] ?? -1) - (SEVERITY_RANK[a.severity] ?? -1) ||
    excess(b) - excess(a) ||
    a.firstSeenMs - b.firstSeenMs ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  )
}

function excess(a: AlertAnomaly): number {
  const signed = a.comparator.startsWith('<') ? a.threshold - a.value : a.value - a.threshold
  return Number.isFinite(signed) ? signed : 0
}

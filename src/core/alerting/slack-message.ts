// The subset of Slack's Block Kit that notifications use, and Slack's documented limits on it
// (https://api.slack.com/reference/block-kit/blocks, .../composition-objects#text,
// https://api.slack.com/methods/chat.postMessage#truncating). A message that breaks a limit is
// refused by Slack (400 invalid_blocks) or truncated: every message is checked before it is sent.

export interface PlainText {
  type: 'plain_text'
  text: string
  emoji?: boolean
}

export interface MrkdwnText {
  type: 'mrkdwn'
  text: string
}

export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text: MrkdwnText | PlainText }
  | { type: 'context'; elements: Array<MrkdwnText | PlainText>; block_id?: string }
  | { type: 'divider' }

/** An incoming webhook's JSON body: blocks, and `text` as the fallback (notifications, screen readers). */
export interface SlackMessage {
  text: string
  blocks: SlackBlock[]
}

export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  headerChars: 150,
  sectionTextChars: 3_000,
  contextElements: 10,
  textObjectChars: 3_000,
  /** Slack truncates `text` past 40,000 characters and advises at most 4,000 */
  fallbackTextChars: 4_000,
  blockIdChars: 255,
} as const

/** Every way the message breaks a limit, one line each; empty when it is within all of them. */
export function validateSlackMessage(message: SlackMessage): string[] {
  const problems: string[] = []
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem)
  }
  check(typeof message.text === 'string' && message.text.length > 0, 'text: the fallback text is empty')
  check(
    message.text.length <= SLACK_LIMITS.fallbackTextChars,
    `text: ${message.text.length} characters (at most ${SLACK_LIMITS.fallbackTextChars})`,
  )
  check(message.blocks.length > 0, 'blocks: none')
  check(
    message.blocks.length <= SLACK_LIMITS.blocksPerMessage,
    `blocks: ${message.blocks.length} (at most ${SLACK_LIMITS.blocksPerMessage})`,
  )
  const blockIds = new Set<string>()
  message.blocks.forEach((block, index) => {
    const at = `blocks[${index}] (${block.type})`
    const textWithin = (text: MrkdwnText | PlainText, max: number, where: string) => {
      check(text.text.length > 0, `${where}: empty text`)
      check(text.text.length <= max, `${where}: ${text.text.length} characters (at most ${max})`)
    }
    switch (block.type) {
      case 'header':
        check(block.text.type === 'plain_text', `${at}: a header's text must be plain_text`)
        textWithin(block.text, SLACK_LIMITS.headerChars, at)
        return
      case 'section':
        textWithin(block.text, SLACK_LIMITS.sectionTextChars, at)
        return
      case 'context':
        check(block.elements.length > 0, `${at}: no elements`)
        check(
          block.elements.length <= SLACK_LIMITS.contextElements,
          `${at}: ${block.elements.length} elements (at most ${SLACK_LIMITS.contextElements})`,
        )
        if (block.block_id !== undefined) {
          check(!blockIds.has(block.block_id), `${at}: block_id ${JSON.stringify(block.block_id)} used twice`)
          blockIds.add(block.block_id)
          check(
            block.block_id.length > 0 && block.block_id.length <= SLACK_LIMITS.blockIdChars,
            `${at}: block_id of ${block.block_id.length} characters (1 to ${SLACK_LIMITS.blockIdChars})`,
          )
        }
        block.elements.forEach((element, i) => {
          textWithin(element, SLACK_LIMITS.textObjectChars, `${at}.elements[${i}]`)
        })
        return
      case 'divider':
        return
      default: {
        const unknown: never = block
        problems.push(`${at}: unknown block type ${JSON.stringify((unknown as { type: unknown }).type)}`)
      }
    }
  })
  return problems
}

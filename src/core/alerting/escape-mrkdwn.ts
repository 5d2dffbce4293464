// Untrusted text into Slack's markup. Slack parses three characters in mrkdwn and in a message's
// fallback text: `&`, `<` and `>` (https://api.slack.com/reference/surfaces/formatting#escaping).
// Escaping them is what keeps `<!channel>` from pinging a channel and `<https://evil|click>` from
// becoming a link: both then show as the text that was sent.

export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/**
 * Untrusted text for one line of mrkdwn: control characters (newlines included, which could forge
 * lines of their own) become spaces, text longer than `maxChars` code points is cut with "…",
 * then it is escaped. Cutting before escaping never splits an entity like `&amp;`.
 */
export function untrustedLine(text: string, maxChars: number): string {
  return escapeMrkdwn(truncate(flatten(text), maxChars))
}

/** Control characters to spaces, runs of whitespace to one space, trimmed. */
export function flatten(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/** At most `maxChars` code points (never half a surrogate pair), "…" marking a cut. */
export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text
  const points = Array.from(text)
  if (points.length <= maxChars) return text
  return `${points.slice(0, Math.max(0, maxChars - 1)).join('')}…`
}

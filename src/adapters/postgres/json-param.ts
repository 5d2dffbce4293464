// JSON text for a `$1::json` / `::jsonb` parameter that PostgreSQL is sure to accept.
//
// PostgreSQL's text and jsonb cannot hold U+0000 nor a lone UTF-16 surrogate ("\ud800" alone):
// one such string anywhere in a batch fails the whole statement (22P05 / 22P02), and a batch that
// fails the same way on every retry stops its partition for good. JS strings can hold both (a
// JSON escape in a message decodes to them), so they are replaced by U+FFFD here. The cleaner
// should reject such records with a reason first; this is the last line, not the policy.

/** `JSON.stringify(value)`, with U+0000 and lone surrogates in strings and keys replaced by U+FFFD. */
export function toJsonParam(value: unknown): string {
  const json = JSON.stringify(value)
  // JSON.stringify writes exactly these two as \u escapes (besides \u00XX control characters):
  // no match, nothing to replace: the cost in the common case is one scan of the text
  if (!json.includes('\\u0000') && !json.includes('\\ud')) return json
  return JSON.stringify(sanitize(value))
}

function sanitize(value: unknown): unknown {
  if (typeof value === 'string') return sanitizeString(value)
  if (Array.isArray(value)) return value.map(sanitize)
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(value)) out[sanitizeString(key)] = sanitize(inner)
    return out
  }
  return value
}

function sanitizeString(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\uFFFD')
}

// Building parameterised SQL: every value a caller gives becomes a `$n` parameter, never text in
// the statement. Only identifiers from fixed allow-lists (column names in this folder) are spliced.

export interface SqlParams {
  readonly values: unknown[]
  /** Adds a parameter and returns its placeholder (`$3`). */
  add(value: unknown): string
}

export function createSqlParams(): SqlParams {
  const values: unknown[] = []
  return {
    values,
    add(value) {
      values.push(value)
      return `$${values.length}`
    },
  }
}

/** A timestamptz as fixed-width ISO 8601 text with microseconds: exact, and sorts as it compares. */
export function microsText(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
}

/** Epoch milliseconds as the ISO text a `$n::timestamptz` parameter takes. */
export function isoOf(ms: number): string {
  return new Date(ms).toISOString()
}

/** `text` for ILIKE '%text%': `%`, `_` and `\` match themselves. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`
}

/** A Date (as both drivers return timestamptz) or null as ISO text or null. */
export function isoOrNull(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null
}

// A batch of rows in ONE statement with ONE parameter: a jsonb object holding one array per
// column, expanded side by side by ROWS FROM (jsonb_array_elements_text(...), ...).
//
// Why this shape (measured, see docs/decisions/0002-postgres-layout.md): the server parses one
// jsonb value once and then walks flat arrays, which for 5,000 log rows takes about half the time
// of json_to_recordset (that builds a hash of keys for every row object) and less than unnest()
// of ten array parameters; it runs the same on pg and PGlite; and it carries jsonb attributes,
// exact decimals (jsonb keeps a JSON number's decimal text as numeric) and bytes (base64) without
// a per-type array encoding in Node. COPY is faster still but cannot skip duplicates and does
// not exist on PGlite.
import { StreamwatchError } from '../../errors.ts'
import type { Queryable } from './database.ts'
import { toJsonParam } from './json-param.ts'

/** How a JSON array element becomes the column's value. */
export type ColumnKind = 'text' | 'double' | 'int' | 'bigint' | 'numeric' | 'epochMs' | 'base64' | 'jsonb'

export interface Column<R> {
  /** the table's column */
  name: string
  kind: ColumnKind
  /** a JSON value: string, finite number, boolean, null, or (jsonb) any JSON */
  value: (row: R) => unknown
}

const CONVERSIONS: Record<ColumnKind, (element: string) => string> = {
  text: (e) => e,
  double: (e) => `${e}::double precision`,
  int: (e) => `${e}::int`,
  bigint: (e) => `${e}::bigint`,
  numeric: (e) => `${e}::numeric`,
  // exact to the millisecond: to_timestamp keeps microseconds
  epochMs: (e) => `to_timestamp(${e}::double precision / 1000)`,
  base64: (e) => `decode(${e}, 'base64')`,
  jsonb: (e) => e,
}

/** `INSERT INTO table (...) SELECT ... FROM ROWS FROM (...)`; add an ON CONFLICT clause after it. */
export function columnarInsertSql<R>(table: string, columns: readonly Column<R>[]): string {
  const quoted = columns.map((c) => `"${c.name}"`)
  const elements = columns.map((c, i) =>
    c.kind === 'jsonb' ? `jsonb_array_elements(d->'${i}')` : `jsonb_array_elements_text(d->'${i}')`,
  )
  const selects = columns.map((c, i) => CONVERSIONS[c.kind](`c${i}`))
  return `INSERT INTO ${table} (${quoted.join(', ')})
SELECT ${selects.join(', ')}
FROM (SELECT $1::jsonb AS d) AS j,
  ROWS FROM (${elements.join(', ')}) AS r(${columns.map((_, i) => `c${i}`).join(', ')})`
}

/** The parameter of columnarInsertSql: {"0": [column 0 of every row], "1": [...], ...}. */
export function encodeColumns<R>(rows: readonly R[], columns: readonly Column<R>[]): string {
  const arrays: Record<number, unknown[]> = {}
  columns.forEach((column, i) => {
    arrays[i] = rows.map(column.value)
  })
  return toJsonParam(arrays)
}

const UNIQUE_VIOLATION = '23505'

/**
 * Runs `insert` as is inside a savepoint, and only if a row is already there (unique_violation)
 * again with `onConflict` appended. Duplicates are rare (the etl's fencing keeps a redelivered
 * batch out; only a producer re-sending an event_id makes one), and a plain INSERT skips the
 * speculative insertion that ON CONFLICT does for every row (10-15% here).
 * Resolves to the number of rows inserted.
 */
export async function insertSkippingDuplicates(
  tx: Queryable,
  insert: string,
  onConflict: string,
  param: string,
): Promise<number> {
  await tx.exec('SAVEPOINT insert_rows')
  try {
    const { rowCount } = await tx.query(insert, [param])
    await tx.exec('RELEASE SAVEPOINT insert_rows')
    return rowCount
  } catch (error) {
    const code =
      error instanceof StreamwatchError ? (error.cause as { code?: unknown } | undefined)?.code : undefined
    if (code !== UNIQUE_VIOLATION) throw error
  }
  await tx.exec('ROLLBACK TO SAVEPOINT insert_rows')
  const { rowCount } = await tx.query(`${insert}\n${onConflict}`, [param])
  await tx.exec('RELEASE SAVEPOINT insert_rows')
  return rowCount
}

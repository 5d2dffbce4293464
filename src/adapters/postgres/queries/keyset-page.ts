// Keyset pagination, newest first, over a table with a time column and a unique id: a page is
// the rows strictly after the previous page's last (time, id), so rows that arrive meanwhile
// never shift a page: newer rows land before the first page, older ones where they belong, and no
// row is skipped or repeated. The position is compared at microsecond precision (the column's).
import type { Queryable } from '../database.ts'
import { countMatches, type Total } from './count-matches.ts'
import { createSqlParams, microsText, type SqlParams } from './sql-params.ts'

export type { Total }

/** The last row of a page: its time (microsecond ISO text) and id. */
export interface Keyset {
  at: string
  id: string
}

export interface PageRequest {
  /** rows per page */
  limit: number
  /** the previous page's last row; null for the first page */
  after: Keyset | null
}

export interface PageRows<T> {
  items: T[]
  /** the last row's position when more rows follow, else null */
  next: Keyset | null
  total: Total
}

export interface PageQuery {
  table: string
  /** the select list, without the keyset column */
  columns: string
  timeColumn: string
  idColumn: string
  /** conditions joined with AND; their parameters are in `params` */
  where: string[]
  params: SqlParams
}

export async function readPage<Row, Item>(
  db: Queryable,
  query: PageQuery,
  page: PageRequest,
  toItem: (row: Row) => Item,
): Promise<PageRows<Item>> {
  const { table, timeColumn: t, idColumn: id } = query
  const filterSql = query.where.length > 0 ? query.where.join(' AND ') : 'true'
  // the count sees the same filters without the position: over the whole range
  const countParams = query.params.values.slice()
  const params = createSqlParams()
  for (const value of query.params.values) params.add(value)
  let positionSql = ''
  if (page.after) {
    const at = params.add(page.after.at)
    const after = params.add(page.after.id)
    // the redundant `t <= at` lets the planner use the time index as a range
    positionSql = ` AND ${t} <= ${at}::timestamptz AND (${t} < ${at}::timestamptz OR ${id} < ${after})`
  }
  const limit = params.add(page.limit + 1)
  const sql = `SELECT ${query.columns}, ${microsText(t)} AS keyset_at, ${id} AS keyset_id FROM ${table}
    WHERE ${filterSql}${positionSql} ORDER BY ${t} DESC, ${id} DESC LIMIT ${limit}`
  const [result, total] = await Promise.all([
    db.query<Row & { keyset_at: string; keyset_id: string }>(sql, params.values),
    countMatches(db, `SELECT 1 FROM ${table} WHERE ${filterSql}`, countParams),
  ])
  const rows = result.rows
  const more = rows.length > page.limit
  const kept = more ? rows.slice(0, page.limit) : rows
  const last = kept[kept.length - 1]
  return {
    items: kept.map(toItem),
    next: more && last ? { at: last.keyset_at, id: last.keyset_id } : null,
    total,
  }
}

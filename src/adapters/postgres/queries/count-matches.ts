// How many rows a filter matches, at a bounded cost: counted exactly up to a cap, estimated by the
// planner beyond it (counting millions of rows for a "1.2M results" label is not worth a scan).
import type { Queryable } from '../database.ts'

export interface Total {
  count: number
  /** false: more than the cap matched and `count` is the planner's estimate (at least cap + 1) */
  exact: boolean
}

export const DEFAULT_COUNT_CAP = 10_000

/** `selectSql` is a `SELECT 1 FROM … WHERE …` with `params`. */
export async function countMatches(
  db: Queryable,
  selectSql: string,
  params: readonly unknown[],
  cap = DEFAULT_COUNT_CAP,
): Promise<Total> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (${selectSql} LIMIT ${cap + 1}) AS capped`,
    params,
  )
  const counted = rows[0]?.n ?? 0
  if (counted <= cap) return { count: counted, exact: true }
  const { rows: plan } = await db.query<{ 'QUERY PLAN': unknown }>(
    `EXPLAIN (FORMAT JSON) ${selectSql}`,
    params,
  )
  return { count: Math.max(cap + 1, planRows(plan[0]?.['QUERY PLAN'])), exact: false }
}

function planRows(plan: unknown): number {
  // pg returns the JSON parsed, PGlite too; a driver handing back text is handled as well
  const parsed = typeof plan === 'string' ? JSON.parse(plan) : plan
  const rows = (parsed as Array<{ Plan?: { 'Plan Rows'?: number } }> | undefined)?.[0]?.Plan?.['Plan Rows']
  return typeof rows === 'number' && Number.isFinite(rows) ? Math.round(rows) : 0
}

// Aggregating reads (stats, series) run in a read-only transaction of their own, with JIT off
// (compiling a plan costs 100-200 ms, more than these queries gain from it) and enough work_mem
// to sort a day of readings in memory for a percentile.
import type { Database, Queryable } from '../database.ts'

export function withAnalytics<T>(db: Database, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.exec(`SET TRANSACTION READ ONLY; SET LOCAL jit = off; SET LOCAL work_mem = '64MB'`)
    return fn(tx)
  })
}

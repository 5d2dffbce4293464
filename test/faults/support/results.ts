// Each scenario appends one result line to a file the report (test/faults/report-setup.ts) reads
// when the run ends. A line is written whether the scenario passed or failed.
import { appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { expect } from 'vitest'

/**
 * One file per run: the faults project's global setup names it (FAULTS_RESULTS_FILE) before the
 * test processes start, so runs side by side never mix their results.
 */
export function resultsFile(): string {
  return process.env['FAULTS_RESULTS_FILE'] ?? join(tmpdir(), 'streamwatch-faults-results.jsonl')
}

export interface ScenarioResult {
  scenario: string
  passed: boolean
  /** e.g. "2,000 ev/s for 60 s" */
  load: string
  /** what was done to the system, e.g. "etl kill -9 x3" */
  faults: string
  /** records produced (valid + malformed) */
  events: number
  /** produced records missing from PostgreSQL (rows + dead letters) */
  lost: number
  /** records stored more than once (PostgreSQL or lake) */
  duplicates: number
  /** lake offsets missing, or null when the scenario does not run the lake sink */
  lakeMissing: number | null
  notes: string
  durationMs: number
  finishedAt: string
  /** the scenario's test file, relative to the checkout */
  file?: string
}

export function recordResult(result: Omit<ScenarioResult, 'finishedAt' | 'file'>): void {
  const testPath = expect.getState().testPath
  const file = testPath ? relative(process.cwd(), testPath) : undefined
  appendFileSync(
    resultsFile(),
    `${JSON.stringify({ ...result, file, finishedAt: new Date().toISOString() })}\n`,
  )
}

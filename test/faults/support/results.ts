// Each scenario appends one result line to a file the report (test/faults/report-setup.ts) reads
// when the run ends. A line is written whether the scenario passed or failed.
import { appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const RESULTS_FILE =
  process.env['FAULTS_RESULTS_FILE'] ?? join(tmpdir(), 'streamwatch-faults-results.jsonl')

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
}

export function recordResult(result: Omit<ScenarioResult, 'finishedAt'>): void {
  appendFileSync(RESULTS_FILE, `${JSON.stringify({ ...result, finishedAt: new Date().toISOString() })}\n`)
}

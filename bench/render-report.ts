// Re-renders a run's Markdown report and SVG chart from its JSON (after a change to the report's
// format), by hand:  node bench/render-report.ts bench/results/full-latest.json
import { readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { BenchResults } from './bench-results.ts'
import { writeResults } from './run-bench.ts'

const file = process.argv[2]
if (!file) throw new Error('usage: render-report.ts <results.json>')
const results = JSON.parse(await readFile(file, 'utf8')) as BenchResults
await writeResults(dirname(file), results)

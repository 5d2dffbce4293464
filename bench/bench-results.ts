// What one benchmark run measured (the JSON in bench/results/), and its headline table.
import type { BaselineRate } from './baselines.ts'
import type { DrainResult, FixedLoadResult, ProduceResult } from './scenarios.ts'

export interface MachineFacts {
  cpus: number
  cpuModel: string
  memoryGb: number
  loadAverage: number[]
  node: string
  kafka: string
  postgres: string
  os: string
}

export interface BenchResults {
  runId: string
  startedAt: string
  quick: boolean
  events: number
  machine: MachineFacts
  produce: ProduceResult
  baselines: {
    kafkaConsumer?: BaselineRate
    rawCopy?: BaselineRate
    naiveConsumer?: BaselineRate
  }
  etl: DrainResult[]
  lake?: DrainResult
  fixedLoad: FixedLoadResult[]
  /** scenarios not run, and why */
  skipped: string[]
  errors: string[]
}

export interface TableRow {
  measure: string
  value: string
  baseline: string
  ratio: string
}

const int = (n: number) => Math.round(n).toLocaleString('en-US')
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : '–'

/** The headline: each figure beside the baseline it is divided by. */
export function headlineRows(r: BenchResults): TableRow[] {
  const rows: TableRow[] = []
  const { kafkaConsumer, rawCopy, naiveConsumer } = r.baselines
  const copy = rawCopy?.eventsPerSecond
  rows.push({
    measure: 'baseline: Kafka consumer perf test (Java)',
    value: kafkaConsumer ? `${int(kafkaConsumer.eventsPerSecond)} ev/s` : '–',
    baseline: '',
    ratio: '',
  })
  rows.push({
    measure: 'baseline: raw COPY into PostgreSQL (psql \\copy)',
    value: copy !== undefined ? `${int(copy)} rows/s` : '–',
    baseline: '',
    ratio: '',
  })
  rows.push({
    measure: 'baseline: naive consumer, one INSERT per event',
    value: naiveConsumer
      ? `${int(naiveConsumer.eventsPerSecond)} ev/s (${int(naiveConsumer.records)} events)`
      : '–',
    baseline: 'raw COPY',
    ratio: ratio(naiveConsumer?.eventsPerSecond, copy),
  })
  rows.push({
    measure: 'produce (as fast as possible, our producer)',
    value: `${int(r.produce.eventsPerSecond)} ev/s`,
    baseline: 'Kafka consumer',
    ratio: ratio(r.produce.eventsPerSecond, kafkaConsumer?.eventsPerSecond),
  })
  for (const etl of r.etl) {
    const name = `etl ×${etl.processes} → PostgreSQL`
    rows.push({
      measure: `${name}`,
      value: `${int(etl.eventsPerSecond)} ev/s`,
      baseline: 'raw COPY',
      ratio: ratio(etl.eventsPerSecond, copy),
    })
    rows.push({
      measure: `${name}`,
      value: '',
      baseline: 'naive consumer',
      ratio: ratio(etl.eventsPerSecond, naiveConsumer?.eventsPerSecond),
    })
    rows.push({
      measure: `${name}`,
      value: '',
      baseline: 'Kafka consumer',
      ratio: ratio(etl.eventsPerSecond, kafkaConsumer?.eventsPerSecond),
    })
    rows.push({
      measure: `${name}: peak RSS per process`,
      value: etl.peakRssMb.map((m) => `${m} MB`).join(', '),
      baseline: 'target 300 MB',
      ratio: ratio(Math.max(...etl.peakRssMb), 300),
    })
  }
  if (r.etl.length >= 2) {
    rows.push({
      measure: `etl ×${r.etl[1]!.processes} vs ×${r.etl[0]!.processes}`,
      value: '',
      baseline: `etl ×${r.etl[0]!.processes}`,
      ratio: ratio(r.etl[1]!.eventsPerSecond, r.etl[0]!.eventsPerSecond),
    })
  }
  if (r.lake) {
    rows.push({
      measure: 'lake sink → S3',
      value: `${int(r.lake.eventsPerSecond)} ev/s`,
      baseline: 'Kafka consumer',
      ratio: ratio(r.lake.eventsPerSecond, kafkaConsumer?.eventsPerSecond),
    })
    rows.push({
      measure: 'lake sink: peak RSS',
      value: `${r.lake.peakRssMb[0]} MB`,
      baseline: 'target 300 MB',
      ratio: ratio(r.lake.peakRssMb[0], 300),
    })
  }
  for (const f of r.fixedLoad) {
    const l = f.latency
    rows.push({
      measure: `latency at ${int(f.ratePerSecond)} ev/s (p50 / p95 / p99 / max)`,
      value: `${int(l.p50Ms)} / ${int(l.p95Ms)} / ${int(l.p99Ms)} / ${int(l.maxMs)} ms`,
      baseline: 'p99 target 500 ms',
      ratio: ratio(l.p99Ms, 500),
    })
    if (f.alerts) {
      const a = f.alerts
      rows.push({
        measure: `  alert: firing event → webhook (p50 / p99 / max)`,
        value: `${int(a.p50Ms)} / ${int(a.p99Ms)} / ${int(a.maxMs)} ms`,
        baseline: `${a.notified} of ${a.anomalies} anomalies, ${a.messages} msgs`,
        ratio: '',
      })
    }
    rows.push({
      measure: `  achieved rate, rows; etl peak RSS`,
      value: `${int(f.produced.eventsPerSecond)} ev/s, ${int(l.rows)} rows; ${f.etlPeakRssMb} MB`,
      baseline: '',
      ratio: '',
    })
  }
  return rows
}

export function formatTable(rows: TableRow[]): string {
  const header: TableRow = { measure: 'measure', value: 'value', baseline: 'against', ratio: 'ratio' }
  const all = [header, ...rows]
  const w = (k: keyof TableRow) => Math.max(...all.map((r) => r[k].length))
  const line = (r: TableRow) =>
    `${r.measure.padEnd(w('measure'))}  ${r.value.padStart(w('value'))}  ${r.baseline.padEnd(w('baseline'))}  ${r.ratio.padStart(w('ratio'))}`
  return `${[line(header), '-'.repeat(line(header).length), ...rows.map(line)].join('\n')}\n`
}

export function formatMarkdown(r: BenchResults, chartFile: string): string {
  const m = r.machine
  const lines = [
    `# streamwatch benchmark ${r.runId}${r.quick ? ' (quick)' : ''}`,
    '',
    `Started ${r.startedAt}; ${int(r.events)} events in the throughput scenarios. Machine: ${m.cpus} cores (${m.cpuModel}), ` +
      `${m.memoryGb} GB, load average at start ${m.loadAverage.map((l) => l.toFixed(2)).join(' ')}; ` +
      `Node ${m.node}, Kafka ${m.kafka}, PostgreSQL ${m.postgres}, ${m.os}. Everything co-located on this ` +
      'machine, shared with other work: read the ratios, not the absolutes.',
    '',
    '| measure | value | against | ratio |',
    '| --- | ---: | --- | ---: |',
    ...headlineRows(r).map((row) => `| ${row.measure} | ${row.value} | ${row.baseline} | ${row.ratio} |`),
    '',
    `![throughput and latency over time](${chartFile})`,
    '',
    '## Details',
    '',
  ]
  for (const etl of r.etl) {
    lines.push(
      `- etl ×${etl.processes}: ${int(etl.events)} events, ${etl.steadySeconds.toFixed(1)} s from the first stored batch to the last ` +
        `(${etl.wallSeconds.toFixed(1)} s from process start, ${int(etl.events / etl.wallSeconds)} ev/s on that basis).`,
    )
  }
  if (r.lake) {
    lines.push(
      `- lake sink: ${int(r.lake.events)} events, ${r.lake.steadySeconds.toFixed(1)} s steady, ${r.lake.wallSeconds.toFixed(1)} s from start (flush after 1 s).`,
    )
  }
  const b = r.baselines
  if (b.kafkaConsumer)
    lines.push(
      `- Kafka consumer perf test: ${int(b.kafkaConsumer.records)} records in ${b.kafkaConsumer.seconds.toFixed(1)} s of fetching, ${b.kafkaConsumer.note ?? ''}.`,
    )
  if (b.rawCopy)
    lines.push(
      `- raw COPY: ${int(b.rawCopy.records)} rows in ${b.rawCopy.seconds.toFixed(1)} s, into tables LIKE the etl's (same keys and indexes).`,
    )
  if (b.naiveConsumer)
    lines.push(
      `- naive consumer: ${int(b.naiveConsumer.records)} events in ${b.naiveConsumer.seconds.toFixed(1)} s, peak RSS ${b.naiveConsumer.peakRssMb} MB.`,
    )
  lines.push(
    `- producer: ${int(r.produce.events)} events in ${r.produce.seconds.toFixed(1)} s, peak RSS ${r.produce.peakRssMb} MB.`,
  )
  for (const f of r.fixedLoad) {
    lines.push(
      `- fixed load ${int(f.ratePerSecond)} ev/s for ${f.durationMs / 1000} s: ${int(f.latency.rows)} rows; latency = ingested_at (start of the inserting transaction) − ts (stamped with its publish time by bench/paced-producer.ts); the producer was at most ${int(f.produced.maxBehindMs ?? 0)} ms behind its schedule.`,
    )
  }
  for (const f of r.fixedLoad) {
    if (!f.alerts) continue
    const a = f.alerts
    lines.push(
      `- alerts at ${int(f.ratePerSecond)} ev/s: ${a.notified} of ${a.anomalies} anomalies notified in ${a.messages} webhook messages; ` +
        `latency from the firing event (first_seen) to the receiver, ALERT_GROUP_INTERVAL 5 s included; alerter peak RSS ${a.alerterPeakRssMb} MB.`,
    )
  }
  for (const s of r.skipped) lines.push(`- not run: ${s}`)
  for (const e of r.errors) lines.push(`- error: ${e}`)
  return `${lines.join('\n')}\n`
}

// API timeseries -> uPlot's aligned columns (x in seconds).
import type uPlot from 'uplot'
import type { Timeseries, TimeseriesPoint } from '../../../src/contracts/api.ts'

export function alignSeries(
  base: Timeseries | null,
  columns: Array<{ from: Timeseries | null; pick: (point: TimeseriesPoint) => number | null }>,
): uPlot.AlignedData {
  if (!base) return [[]]
  const xs = base.points.map((point) => Date.parse(point.t) / 1000)
  return [
    xs,
    ...columns.map(({ from, pick }) => {
      const byTime = new Map((from?.points ?? []).map((point) => [point.t, pick(point)]))
      return base.points.map((point) => byTime.get(point.t) ?? null)
    }),
  ]
}

/** counts per bucket -> per second (or per minute with `perMs` 60_000) */
export function ratePick(bucketMs: number, perMs = 1_000) {
  return (point: TimeseriesPoint) => (point.count * perMs) / bucketMs
}

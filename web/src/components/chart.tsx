// A uPlot time-series chart: created once, fed new data with setData (cheap enough for live
// series of thousands of points), resized with its container, thresholds drawn as dashed lines.
import { useEffect, useRef, useSyncExternalStore } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface ChartSeries {
  label: string
  color: string
  /** bars for counts per bucket, lines otherwise */
  bars?: boolean
  unit?: string
}

export interface ChartProps {
  title: string
  /** data[0]: x in seconds since the epoch; data[i]: series i-1, null for no value */
  data: uPlot.AlignedData
  series: ChartSeries[]
  height?: number
  thresholds?: Array<{ value: number; label: string }>
  yMin?: number
  /** live charts: show the last this many seconds, whatever the data covers */
  xWindowSeconds?: number
}

let firstChartMarked = false

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

/** The theme on <html data-theme>: charts are redrawn with its colours when it changes. */
function subscribeTheme(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange)
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
  return () => observer.disconnect()
}
const readTheme = () => document.documentElement.dataset['theme'] ?? 'dark'

function drawThresholds(thresholds: Array<{ value: number; label: string }>) {
  return (u: uPlot) => {
    const { ctx, bbox } = u
    ctx.save()
    ctx.strokeStyle = cssVar('--danger')
    ctx.fillStyle = cssVar('--danger')
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio])
    ctx.lineWidth = devicePixelRatio
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`
    ctx.textAlign = 'right'
    ctx.textBaseline = 'bottom'
    for (const threshold of thresholds) {
      const y = Math.round(u.valToPos(threshold.value, 'y', true))
      if (y < bbox.top || y > bbox.top + bbox.height) continue
      ctx.beginPath()
      ctx.moveTo(bbox.left, y)
      ctx.lineTo(bbox.left + bbox.width, y)
      ctx.stroke()
      ctx.fillText(threshold.label, bbox.left + bbox.width - 4 * devicePixelRatio, y - 3 * devicePixelRatio)
    }
    ctx.restore()
  }
}

export function Chart({
  title,
  data,
  series,
  height = 200,
  thresholds = [],
  yMin,
  xWindowSeconds,
}: ChartProps) {
  const container = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const theme = useSyncExternalStore(subscribeTheme, readTheme)
  const shape = JSON.stringify([series, thresholds, height, yMin, xWindowSeconds, theme])

  // biome-ignore lint/correctness/useExhaustiveDependencies: recreated only when the shape changes
  useEffect(() => {
    const element = container.current
    if (!element) return
    const axis = {
      stroke: cssVar('--muted'),
      grid: { stroke: cssVar('--grid'), width: 1 },
      ticks: { show: false },
    }
    const maxThreshold = Math.max(0, ...thresholds.map((t) => t.value))
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: xWindowSeconds
          ? {
              time: true,
              range: (_u, _min, max) => [
                (max ?? Date.now() / 1000) - xWindowSeconds,
                max ?? Date.now() / 1000,
              ],
            }
          : { time: true },
        y: {
          range: (_u, min, max) => [
            yMin ?? Math.min(0, min ?? 0),
            Math.max(max ?? 1, maxThreshold * 1.1, (yMin ?? 0) + 1),
          ],
        },
      },
      axes: [axis, { ...axis, size: 56 }],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          fill: s.bars ? `${s.color}88` : `${s.color}1a`,
          points: { show: false },
          spanGaps: false,
          value: (_u: uPlot, v: number | null) =>
            v === null ? '–' : `${Number.isInteger(v) ? v : v.toFixed(2)}${s.unit ?? ''}`,
          ...(s.bars ? { paths: uPlot.paths.bars!({ size: [0.8, 40] }) } : {}),
        })),
      ],
      hooks: thresholds.length > 0 ? { draw: [drawThresholds(thresholds)] } : {},
    }
    const created = new uPlot(options, data, element)
    created.root.dataset['points'] = String(data[0]?.length ?? 0)
    plot.current = created
    const resize = new ResizeObserver(() => {
      created.setSize({ width: Math.max(element.clientWidth, 200), height })
    })
    resize.observe(element)
    return () => {
      resize.disconnect()
      created.destroy()
      plot.current = null
    }
  }, [shape])

  useEffect(() => {
    plot.current?.setData(data)
    if (plot.current) plot.current.root.dataset['points'] = String(data[0]?.length ?? 0)
    if (!firstChartMarked && (data[0]?.length ?? 0) > 0) {
      firstChartMarked = true
      performance.mark('streamwatch:first-chart', { detail: title })
    }
  }, [data, title])

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={container} role="img" aria-label={`${title} chart`} />
    </figure>
  )
}

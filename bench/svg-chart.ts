// A hand-written SVG of the run: throughput over time of each drain (events/s between samples) and
// event-to-row latency (p50, p99) per second of each fixed-load run. No dependencies.

export interface Series {
  label: string
  /** [x, y] */
  points: [number, number][]
}

export interface ChartPanel {
  title: string
  xLabel: string
  yLabel: string
  series: Series[]
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf']
const WIDTH = 760
const PANEL_HEIGHT = 280
const MARGIN = { left: 70, right: 170, top: 34, bottom: 42 }

export function renderChart(panels: ChartPanel[]): string {
  const height = panels.length * PANEL_HEIGHT
  const body = panels.map((p, i) => renderPanel(p, i * PANEL_HEIGHT)).join('\n')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${body}
</svg>
`
}

function renderPanel(panel: ChartPanel, top: number): string {
  const points = panel.series.flatMap((s) => s.points)
  const xMax = niceCeil(Math.max(1, ...points.map((p) => p[0])))
  const yMax = niceCeil(Math.max(1, ...points.map((p) => p[1])))
  // a clock skew between stamping and storing can make a latency negative: show it, below zero
  const lowest = Math.min(0, ...points.map((p) => p[1]))
  const yMin = lowest < 0 ? -niceCeil(-lowest) : 0
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom
  const x = (v: number) => MARGIN.left + (v / xMax) * plotW
  const y = (v: number) => top + MARGIN.top + plotH - ((v - yMin) / (yMax - yMin)) * plotH
  const parts: string[] = [
    `<text x="${MARGIN.left}" y="${top + 20}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`,
  ]
  for (let i = 0; i <= 4; i++) {
    const yv = yMin + ((yMax - yMin) * i) / 4
    const xv = (xMax * i) / 4
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(yv).toFixed(1)}" y2="${y(yv).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${(y(yv) + 4).toFixed(1)}" text-anchor="end">${formatTick(yv)}</text>`,
      `<text x="${x(xv).toFixed(1)}" y="${top + MARGIN.top + plotH + 16}" text-anchor="middle">${formatTick(xv)}</text>`,
    )
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${top + MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${top + PANEL_HEIGHT - 8}" text-anchor="middle">${escapeXml(panel.xLabel)}</text>`,
    `<text transform="translate(14 ${top + MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(panel.yLabel)}</text>`,
  )
  panel.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]
    if (s.points.length > 0) {
      const d = s.points.map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${x(px).toFixed(1)},${y(py).toFixed(1)}`)
      parts.push(`<path d="${d.join(' ')}" fill="none" stroke="${colour}" stroke-width="1.6"/>`)
    }
    const ly = top + MARGIN.top + 10 + i * 16
    const lx = MARGIN.left + plotW + 12
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${lx + 24}" y="${ly + 4}">${escapeXml(s.label)}</text>`,
    )
  })
  return parts.join('\n')
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `v`. */
export function niceCeil(v: number): number {
  const power = 10 ** Math.floor(Math.log10(v))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= v) return step * power
  return 10 * power
}

function formatTick(v: number): string {
  if (v < 0) return `-${formatTick(-v)}`
  if (v >= 1_000_000) return `${+(v / 1_000_000).toFixed(2)}M`
  if (v >= 1000) return `${+(v / 1000).toFixed(1)}k`
  return `${+v.toFixed(1)}`
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** events/s between successive (t, done) samples, plotted at each interval's end */
export function ratesOf(samples: [number, number][]): [number, number][] {
  const rates: [number, number][] = []
  for (let i = 1; i < samples.length; i++) {
    const [t0, n0] = samples[i - 1]!
    const [t1, n1] = samples[i]!
    if (t1 > t0) rates.push([t1, (n1 - n0) / (t1 - t0)])
  }
  return rates
}

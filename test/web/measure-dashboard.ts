// Figures for the dashboard, measured in chromium, not asserted:
//   node test/web/measure-dashboard.ts [rows] [--chart-only]     (rows: default 1_000_000)
// - the production bundle's size, gzipped;
// - the overview's time to first chart (navigation start -> the `streamwatch:first-chart` mark,
//   set when the first chart draws data) with `rows` events stored over the last 15 minutes;
// - uPlot with 10 series of 3,600 points: first draw, and a live update (setData) of all series.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { ensureDashboardBuilt, launchBrowser, ROOT, startPlatform, WEB_DIST } from './dashboard-test-kit.ts'

const rows = Number(process.argv[2] ?? 1_000_000)
const chartOnly = process.argv.includes('--chart-only')

async function bundleSizes(): Promise<Record<string, { bytes: number; gzipBytes: number }>> {
  const sizes: Record<string, { bytes: number; gzipBytes: number }> = {}
  const assets = await readdir(join(WEB_DIST, 'assets'))
  for (const name of [...assets.map((a) => join('assets', a)), 'index.html']) {
    const content = await readFile(join(WEB_DIST, name))
    sizes[name] = { bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length }
  }
  return sizes
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

await ensureDashboardBuilt(true)
const sizes = await bundleSizes()
const total = Object.values(sizes).reduce((sum, s) => sum + s.gzipBytes, 0)
console.info('bundle (gzip -9):', sizes, `total ${(total / 1024).toFixed(1)} KiB`)

const browser = await launchBrowser()
try {
  // uPlot alone, 10 series x 3,600 points
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  await page.addScriptTag({ path: join(ROOT, 'node_modules', 'uplot', 'dist', 'uPlot.iife.min.js') })
  const chart = await page.evaluate(async () => {
    const points = 3_600
    const start = Math.floor(Date.now() / 1000) - points
    const make = (shift: number) => {
      const xs = Array.from({ length: points }, (_, i) => start + i + shift)
      const series = Array.from({ length: 10 }, (_, s) =>
        xs.map((_, i) => 50 + 30 * Math.sin((i + shift) / (60 + s * 7)) + Math.random() * 5),
      )
      return [xs, ...series]
    }
    const element = document.createElement('div')
    document.body.append(element)
    // biome-ignore lint/suspicious/noExplicitAny: uPlot is a global of the IIFE build here
    const U = (window as any).uPlot
    const opts = {
      width: 1200,
      height: 400,
      scales: { x: { time: true } },
      series: [
        {},
        ...Array.from({ length: 10 }, (_, s) => ({ label: `s${s}`, stroke: `hsl(${s * 36} 70% 50%)` })),
      ],
    }
    const t0 = performance.now()
    const plot = new U(opts, make(0), element)
    await Promise.resolve()
    const firstDrawMs = performance.now() - t0
    const updates: number[] = []
    for (let i = 1; i <= 30; i++) {
      const data = make(i)
      const t = performance.now()
      plot.setData(data)
      // uPlot draws in a microtask after setData: wait for it
      await Promise.resolve()
      updates.push(performance.now() - t)
    }
    updates.sort((a, b) => a - b)
    return { firstDrawMs, medianUpdateMs: updates[15], maxUpdateMs: updates[29] }
  })
  console.info('uPlot 10 series x 3,600 points:', chart)
  await page.close()
  if (chartOnly) process.exit(0)

  const started = Date.now()
  const platform = await startPlatform({
    backfillEvents: rows,
    backfillSpanMs: 15 * 60_000 - 30_000,
    liveRatePerSecond: 20,
  })
  console.info(`stored ${platform.storedEvents} events in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  try {
    const times: number[] = []
    const charts = new Set<string>()
    const allCharts: number[] = []
    for (let run = 0; run < 5; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
      const overview = await context.newPage()
      await overview.goto(platform.baseUrl + '/')
      await overview.waitForFunction(
        () => performance.getEntriesByName('streamwatch:first-chart').length > 0,
        null,
        {
          timeout: 60_000,
        },
      )
      const mark = await overview.evaluate(() => {
        const entry = performance.getEntriesByName('streamwatch:first-chart')[0] as PerformanceMark
        return { ms: entry.startTime, chart: String(entry.detail) }
      })
      times.push(mark.ms)
      charts.add(mark.chart)
      // all three range charts (events and errors, anomalies, and the live one) holding data
      await overview.waitForFunction(
        () =>
          [...document.querySelectorAll<HTMLElement>('.uplot')].filter((u) => Number(u.dataset['points']) > 0)
            .length >= 3,
        null,
        { timeout: 60_000, polling: 10 },
      )
      allCharts.push(await overview.evaluate(() => performance.now()))
      await context.close()
    }
    console.info(
      `overview time to first chart, ${rows} rows: runs ${times.map((t) => t.toFixed(0)).join(', ')} ms; median ${median(times).toFixed(0)} ms (drawn first: ${[...charts].join('; ')})`,
    )
    console.info(
      `overview: all three charts with data, runs ${allCharts.map((t) => t.toFixed(0)).join(', ')} ms; median ${median(allCharts).toFixed(0)} ms`,
    )
  } finally {
    await platform.stop()
  }
} finally {
  await browser.close()
}

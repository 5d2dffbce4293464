// What a newcomer meets first: `streamwatch start` with no settings at all, in an empty folder.
// It must serve the dashboard (building it when web/dist is older than its sources) with data, an
// anomaly and dead letters, stop cleanly on Ctrl-C, and find its data again on the next start.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../src/pipelines/etl-test-kit.ts'
import { onEmbeddedDefaults } from './support/embedded-env.ts'
import { freePort } from './support/free-port.ts'
import { launchBrowser, ROOT, saveScreenshot } from './web/dashboard-test-kit.ts'

let folder: string
let port: number

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'streamwatch-start-'))
  port = await freePort()
})
afterAll(async () => {
  await rm(folder, { recursive: true, force: true })
})

interface Started {
  child: ChildProcess
  url: string
  stdout: () => string
}

async function start(): Promise<Started> {
  const env = onEmbeddedDefaults({ ...process.env, API_PORT: String(port), LOG_LEVEL: 'warn' })
  const child = spawn(
    process.execPath,
    [join(ROOT, 'src/cli/main.ts'), 'start', '--rate', '100', '--anomalies', '0.02'],
    {
      cwd: folder,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let stdout = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  await waitFor(
    async () => /dashboard and API: http/.test(stdout) || child.exitCode !== null,
    120_000,
    'the start',
  )
  expect(child.exitCode).toBeNull()
  return { child, url: `http://127.0.0.1:${port}`, stdout: () => stdout }
}

async function stop({ child }: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGINT')
  return exited
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url)
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('streamwatch start on embedded defaults', () => {
  it('shows data and an anomaly on the dashboard, stops cleanly, and keeps its data', async () => {
    const first = await start()
    let anomaly: { id: string; key: string } | undefined
    try {
      // the banner names the dashboard only where one is served
      expect(first.stdout()).toContain(`dashboard and API: ${first.url}`)
      expect(await (await fetch(`${first.url}/`)).text()).toContain('<div id="root">')
      await waitFor(
        async () => {
          const { body } = await getJson(`${first.url}/api/anomalies?limit=1`)
          anomaly = (body['items'] as Array<{ id: string; key: string }>)[0]
          return anomaly !== undefined
        },
        60_000,
        'a first anomaly',
      )
      // the etl's consumer reports its lag with each batch: a number, not "unknown"
      const { body: stats } = await getJson(`${first.url}/api/stats`)
      const etl = (stats['pipeline'] as Array<{ group: string; lag_records: number | null }>).find((g) =>
        g.group.endsWith('etl'),
      )
      expect(etl?.lag_records).toBeTypeOf('number')
      // the default mock producer mixes in malformed messages: a first run shows dead letters
      let deadLetters = 0
      await waitFor(
        async () => {
          const { body } = await getJson(`${first.url}/api/stats`)
          deadLetters = (body['dead_letters'] as Array<{ count: number }>).reduce((n, d) => n + d.count, 0)
          return deadLetters > 0
        },
        30_000,
        'a first dead letter',
      )
      const browser = await launchBrowser()
      try {
        const page = await browser.newPage()
        await page.goto(`${first.url}/anomalies`)
        await page.getByText(anomaly!.key).first().waitFor({ timeout: 15_000 })
        await saveScreenshot(page, 'start-anomalies')
        await page.goto(first.url)
        const tile = page.locator('[data-tile="dead-letters"] .tile-value')
        await page.waitForFunction(
          (element) => Number(element?.textContent?.replace(/\D/g, '') || 0) > 0,
          await tile.elementHandle({ timeout: 15_000 }),
          { timeout: 15_000 },
        )
        await page.goto(`${first.url}/logs`)
        await page.locator('table tbody tr').first().waitFor({ timeout: 15_000 })
      } finally {
        await browser.close()
      }
    } finally {
      expect(await stop(first)).toBe(0)
    }

    const second = await start()
    try {
      const { status, body } = await getJson(`${second.url}/api/anomalies/${anomaly!.id}`)
      expect(status).toBe(200)
      expect(JSON.stringify(body)).toContain(anomaly!.key)
    } finally {
      expect(await stop(second)).toBe(0)
    }
  })
})

// The dashboard in Debian's chromium against the real server with real data: every page renders
// data, filters go to the URL and change the results, an anomaly sent through the ingest API
// shows on the overview and the anomalies page without reload, acknowledge works, and a stopped
// API is explained. Screenshots of each page go to test/web/screenshots/.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ensureDashboardBuilt,
  launchBrowser,
  type Platform,
  saveScreenshot,
  startPlatform,
} from './dashboard-test-kit.ts'

let platform: Platform
let browser: Browser
let context: BrowserContext
const LIVE_DEADLINE_MS = 2_000

beforeAll(async () => {
  await ensureDashboardBuilt()
  platform = await startPlatform({
    backfillEvents: 30_000,
    backfillSpanMs: 10 * 60_000,
    liveRatePerSecond: 30,
  })
  browser = await launchBrowser()
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'dark' })
})

afterAll(async () => {
  await browser?.close()
  await platform?.stop()
})

async function open(path: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(platform.baseUrl + path)
  return page
}

function pathOf(page: Page): string {
  const url = new URL(page.url())
  return url.pathname + url.search
}

/** Polls PostgreSQL every 25 ms; resolves with the wall time an anomaly whose key contains `text` was first seen. */
async function waitForAnomalyRow(text: string): Promise<number> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const { rows } = await platform.db.query("SELECT 1 FROM anomalies WHERE key LIKE '%' || $1 || '%'", [
      text,
    ])
    if (rows.length > 0) return Date.now()
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`no anomaly about ${text} stored within 30 s`)
}

async function rowCount(page: Page, table: string): Promise<number> {
  return page.locator(`table[data-table="${table}"] tbody tr`).count()
}

describe('dashboard', () => {
  it('overview: counters, charts and pipeline health, updated live over SSE', async () => {
    const page = await open('/')
    await page.locator('[data-stream="live"]').waitFor()
    await expect.poll(() => page.locator('[data-tile="logs-rate"] .tile-value').textContent()).not.toBe('–')
    await page.locator('table[data-table="pipeline"] tbody tr').first().waitFor()
    await expect.poll(() => page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(3)
    const openCount = await page.locator('[data-tile="open-anomalies"] .tile-value').textContent()
    expect(Number(openCount?.replace(/\D/g, ''))).toBeGreaterThan(0)
    // the live chart gains a point a second, without reload
    const livePoints = async () =>
      Number(await page.locator('[data-live-points]').getAttribute('data-live-points'))
    const pointsBefore = await livePoints()
    await expect.poll(livePoints, { timeout: 5_000 }).toBeGreaterThanOrEqual(pointsBefore + 2)
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1)
    expect(await rowCount(page, 'anomalies')).toBeGreaterThan(0)
    await saveScreenshot(page, 'overview')
    await page.close()
  })

  it('services: a table of services, CPU and latency with thresholds, the chosen one in the URL', async () => {
    const page = await open('/services')
    await page.locator('table[data-table="services"] tbody tr').first().waitFor()
    expect(await rowCount(page, 'services')).toBeGreaterThan(1)
    const second = page.locator('table[data-table="services"] tbody tr').nth(1)
    const name = await second.getAttribute('data-service')
    await second.locator('button').click()
    await expect.poll(() => pathOf(page)).toContain(`service=${name}`)
    await page.locator(`[data-selected-service="${name}"]`).waitFor()
    await expect.poll(() => page.locator('.chart canvas').count()).toBe(3)
    await page.waitForTimeout(500)
    await saveScreenshot(page, 'services')
    await page.close()
  })

  it('logs: level and text filters change the URL and the rows; the range is shared across pages', async () => {
    const page = await open('/logs')
    await page.locator('table[data-table="logs"] tbody tr').first().waitFor()
    const totalAll = Number(await page.locator('[data-total]').getAttribute('data-total'))
    expect(totalAll).toBeGreaterThan(0)

    await page.getByLabel('Level').selectOption('ERROR')
    await expect.poll(() => pathOf(page)).toContain('level=ERROR')
    await expect
      .poll(async () => {
        const levels = await page
          .locator('table[data-table="logs"] tbody tr')
          .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-level')))
        return levels.length > 0 && levels.every((level) => level === 'ERROR')
      })
      .toBe(true)
    const totalErrors = Number(await page.locator('[data-total]').getAttribute('data-total'))
    expect(totalErrors).toBeLessThan(totalAll)

    // a word of the first error's message, searched for
    const message = await page.locator('table[data-table="logs"] tbody tr td.message').first().textContent()
    const word = (message ?? '').split(/\W+/).find((w) => w.length >= 5)!
    await page.getByLabel('Search messages').fill(word)
    await page.getByLabel('Search messages').press('Enter')
    await expect.poll(() => pathOf(page)).toContain(`q=${encodeURIComponent(word)}`)
    await expect
      .poll(async () => {
        const messages = await page.locator('table[data-table="logs"] tbody tr td.message').allTextContents()
        return messages.length > 0 && messages.every((m) => m.toLowerCase().includes(word.toLowerCase()))
      })
      .toBe(true)

    await page.getByLabel('Time range').selectOption('-1h')
    await expect.poll(() => pathOf(page)).toContain('from=-1h')
    await page.locator('[aria-busy="false"] table[data-table="logs"] tbody tr').first().waitFor()
    await saveScreenshot(page, 'logs')

    await page.getByRole('link', { name: 'Transactions' }).click()
    await expect.poll(() => pathOf(page)).toBe('/transactions?from=-1h')
    await page.close()
  })

  it('transactions: an amount filter and the next page, both in the URL', async () => {
    const page = await open('/transactions?from=-1h')
    await page.locator('table[data-table="transactions"] tbody tr').first().waitFor()
    await page.getByLabel('Min amount').fill('500')
    await page.getByLabel('Min amount').press('Enter')
    await expect.poll(() => pathOf(page)).toContain('min_amount=500')
    await expect
      .poll(async () => {
        const amounts = await page
          .locator('table[data-table="transactions"] tbody tr')
          .evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-amount'))))
        return amounts.length > 0 && amounts.every((amount) => amount >= 500)
      })
      .toBe(true)
    const firstOnPage1 = await page
      .locator('table[data-table="transactions"] tbody tr td')
      .nth(1)
      .textContent()
    await page.locator('[data-action="next-page"]').click()
    await expect.poll(() => pathOf(page)).toContain('cursor=')
    await expect
      .poll(() => page.locator('table[data-table="transactions"] tbody tr td').nth(1).textContent())
      .not.toBe(firstOnPage1)
    await saveScreenshot(page, 'transactions')
    await page.close()
  })

  it('anomalies: a timeline and a table filtered by status and rule', async () => {
    const page = await open('/anomalies?from=-1h')
    await page.locator('table[data-table="anomalies"] tbody tr').first().waitFor()
    await page.getByLabel('Status').selectOption('resolved')
    await expect.poll(() => pathOf(page)).toContain('status=resolved')
    await expect
      .poll(async () => {
        const statuses = await page
          .locator('table[data-table="anomalies"] tbody tr')
          .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status')))
        return statuses.every((status) => status === 'resolved')
      })
      .toBe(true)
    await page.getByLabel('Status').selectOption('')
    await page.getByLabel('Rule').selectOption('high_cpu')
    await expect.poll(() => pathOf(page)).toContain('rule=high_cpu')
    await page.getByLabel('Rule').selectOption('')
    await expect.poll(() => pathOf(page)).not.toContain('rule=')
    await saveScreenshot(page, 'anomalies')
    await page.close()
  })

  it('a large transaction sent through the ingest API shows on the overview and the anomalies page without reload', async () => {
    const overview = await open('/')
    const anomalies = await open('/anomalies')
    await overview.locator('[data-stream="live"]').waitFor()
    await anomalies.locator('[data-stream="live"]').waitFor()
    await anomalies.locator('table[data-table="anomalies"]').waitFor()

    const userId = `u-web-${Date.now()}`
    const sentAtMs = Date.now()
    const response = await fetch(`${platform.baseUrl}/api/ingest/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        timestamp: new Date().toISOString(),
        transaction_id: `tx-${userId}`,
        user_id: userId,
        amount: 250_000,
        currency: 'USD',
        merchant: 'dashboard-test',
      }),
    })
    expect(response.status).toBeLessThan(300)
    const row = (page: Page) => page.locator(`table[data-table="anomalies"] tbody tr:has-text("${userId}")`)
    // The etl opens the anomaly once its watermark passes the event plus ALLOWED_LATENESS (5 s by
    // default): that wait is the pipeline's. The dashboard's part, from the row being committed
    // to both pages showing it, is what must stay under 2 s.
    const storedAt = waitForAnomalyRow(userId)
    const shownAt = Promise.all([
      row(overview).waitFor({ timeout: 30_000 }),
      row(anomalies).waitFor({ timeout: 30_000 }),
    ]).then(() => Date.now())
    const [storedAtMs, shownAtMs] = await Promise.all([storedAt, shownAt])
    console.info(
      `[dashboard] ingested anomaly: stored ${storedAtMs - sentAtMs} ms after the POST, ` +
        `shown on both pages ${shownAtMs - storedAtMs} ms after it was stored`,
    )
    expect(shownAtMs - storedAtMs).toBeLessThanOrEqual(LIVE_DEADLINE_MS)
    expect(await overview.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1)
    await row(overview).scrollIntoViewIfNeeded()
    await saveScreenshot(overview, 'overview-live-anomaly')

    // the detail view: events around it, acknowledge, silence
    await row(anomalies).getByRole('link').click()
    await expect.poll(() => pathOf(anomalies)).toMatch(/^\/anomalies\/[^?]+/)
    await anomalies.locator('table[data-table="events"] tbody tr').first().waitFor()
    expect(await anomalies.locator('table[data-table="events"]').textContent()).toContain(`tx-${userId}`)
    await anomalies.locator('[data-action="ack"]').click()
    await anomalies.locator('[data-anomaly-status="acknowledged"]').waitFor()
    const id = decodeURIComponent(new URL(anomalies.url()).pathname.split('/').pop()!)
    const stored = await platform.db.query<{ status: string }>(
      'SELECT status FROM anomalies WHERE id::text = $1',
      [id],
    )
    expect(stored.rows[0]?.status).toBe('acknowledged')
    await anomalies.locator('[data-action="silence"]').click()
    await anomalies.getByText(/^Silenced until/).waitFor()
    await saveScreenshot(anomalies, 'anomaly-detail')
    await overview.close()
    await anomalies.close()
  })

  it('light theme, narrow screen', async () => {
    const page = await open('/')
    await page.setViewportSize({ width: 420, height: 900 })
    await page.getByRole('button', { name: 'Switch to light theme' }).click()
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('light')
    await page.locator('table[data-table="pipeline"] tbody tr').first().waitFor()
    await expect.poll(() => page.locator('[data-live-points]').getAttribute('data-live-points')).not.toBe('0')
    await page.waitForTimeout(1_500)
    await saveScreenshot(page, 'overview-light-narrow')
    await page.close()
  })

  it('asks for the token when the API requires one, and shows the data once it is given', async () => {
    const guarded = await platform.startApi({ apiToken: 'web-test-token' })
    const page = await context.newPage()
    await page.goto(`${guarded.baseUrl}/logs`)
    await page.locator('[data-kind="unauthorized"]').first().waitFor()
    await page.locator('[data-stream="unauthorized"]').waitFor()
    const tokenBox = page.getByLabel(/bearer token/)
    await saveScreenshot(page, 'token-needed')
    await tokenBox.fill('web-test-token')
    await page.getByRole('button', { name: 'Save token' }).click()
    await page.locator('table[data-table="logs"] tbody tr').first().waitFor()
    await page.locator('[data-stream="live"]').waitFor()
    await page.close()
    await guarded.close()
  })

  it('says so when the API is down, and what to do', async () => {
    const page = await open('/logs')
    await page.locator('table[data-table="logs"] tbody tr').first().waitFor()
    await page.locator('[data-stream="live"]').waitFor()
    await platform.stopApi()
    await page.locator('[data-banner="api-down"]').waitFor({ timeout: 15_000 })
    await page
      .getByRole('button', { name: 'Retry' })
      .waitFor({ state: 'detached' })
      .catch(() => {})
    expect(await page.locator('[data-banner="api-down"]').textContent()).toContain('npm start')
    await saveScreenshot(page, 'api-down')
    await page.close()
  })
})

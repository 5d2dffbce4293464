// One private deployment of streamwatch on the real services, its parts run as separate processes
// the way docs/operations.md describes: a fresh PostgreSQL database, fresh topics (a random
// prefix), a fresh S3 bucket for the lake, a local Slack receiver and a free port for the API.
// Every part gets the same settings, as in production; whatever the developer's shell sets
// beyond them is cleared, so the parts run on the defaults.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createTestDatabase, type TestDatabase } from '../../src/adapters/postgres/test-database.ts'
import type { S3ObjectStoreOptions } from '../../src/adapters/s3/s3-object-store.ts'
import { createTestBucket, deleteTestBuckets, ensureS3Server } from '../../src/adapters/s3/s3-test-server.ts'
import { settingsSchema } from '../../src/config/schema.ts'
import { createTopicNames, type TopicNames } from '../../src/contracts/topics.ts'
import { freePort } from './free-port.ts'
import { type CommandProcess, deleteTopics, startCommand, TEST_BROKERS } from './processes.ts'
import { type SlackReceiver, startSlackReceiver } from './slack-receiver.ts'

export interface PlatformStack {
  names: TopicNames
  database: TestDatabase
  lake: S3ObjectStoreOptions
  receiver: SlackReceiver
  /** where the `api` process listens (and the dashboard, and the links in Slack messages) */
  apiUrl: string
  /** DATA_DIR of every part: nothing of the run lands in the checkout */
  dataDir: string
  /** the settings every part runs with */
  env: Record<string, string | undefined>
  destroy(): Promise<void>
}

export async function createPlatformStack(): Promise<PlatformStack> {
  // undone in reverse, each step whatever became of the others: a half-made stack is cleaned too
  const cleanups: Array<() => unknown> = []
  const destroy = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch((error: unknown) => process.stderr.write(`platform stack cleanup: ${String(error)}\n`))
    }
  }
  try {
    const names = createTopicNames(`e2e-${randomBytes(4).toString('hex')}.`)
    cleanups.push(() => deleteTopics(names))
    const dataDir = await mkdtemp(join(tmpdir(), 'streamwatch-e2e-'))
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
    const database = await createTestDatabase('pg')
    cleanups.push(() => database.destroy())
    cleanups.push(() => deleteTestBuckets())
    const lake = await createTestBucket(ensureS3Server(), 'lake')
    const receiver = await startSlackReceiver()
    cleanups.push(() => receiver.close())
    const port = await freePort()
    // LOG_LEVEL stays as startCommand sets it; every other setting is ours or its default
    const cleared = Object.fromEntries(
      [...Object.keys(settingsSchema.shape), 'CONFIG_FILE']
        .filter((name) => name !== 'LOG_LEVEL')
        .map((name) => [name, undefined]),
    )
    const env = {
      ...cleared,
      KAFKA_BROKERS: TEST_BROKERS,
      TOPIC_PREFIX: names.prefix,
      DATABASE_URL: database.options.url,
      DATA_DIR: dataDir,
      LAKE_URL: lake.url,
      S3_ENDPOINT: lake.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: lake.region,
      AWS_ACCESS_KEY_ID: lake.accessKeyId,
      AWS_SECRET_ACCESS_KEY: lake.secretAccessKey,
      SLACK_WEBHOOK_URL: receiver.url,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
    }
    return { names, database, lake, receiver, apiUrl: `http://127.0.0.1:${port}`, dataDir, env, destroy }
  } catch (error) {
    await destroy()
    throw error
  }
}

export interface Part extends CommandProcess {
  name: string
  /** ends by itself when its work is done (produce with --count): exit 0 is then no failure */
  bounded: boolean
}

/** A part that runs until it is stopped: `node src/cli/main.ts <command>` (startCommand). */
export function startPart(command: string, env: Record<string, string | undefined>): Part {
  return { name: command, bounded: false, ...startCommand(command, env) }
}

/** A part that ends by itself: `node src/cli/main.ts <command> <args>`. */
export function startBoundedPart(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
): Part {
  return { name: command, bounded: true, ...startCommand(command, env, args) }
}

/** Fails with the part's logs when a part died, or ended other than cleanly when it is bounded. */
export function expectParts(parts: readonly Part[]): void {
  for (const part of parts) {
    const { exitCode, signalCode } = part.child
    if (exitCode === null && signalCode === null) continue
    if (part.bounded && exitCode === 0) continue
    throw new Error(`${part.name} exited (${exitCode ?? signalCode}):\n${part.stderr().slice(-3_000)}`)
  }
}

/**
 * Polls `probe` until it returns a value, checking every round that the parts still run. A probe
 * that throws (a server not listening yet, a listing while the sink writes) counts as not yet.
 */
export async function pollFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  parts: readonly Part[],
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    expectParts(parts)
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError })
    }
    await sleep(500)
  }
}

/** Resolves with the part's exit code, or 'still running' after `timeoutMs` (then kills it). */
export async function waitForExit(part: Part, timeoutMs: number): Promise<number | string> {
  const { child } = part
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? String(child.signalCode)
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? String(signal))),
  )
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('still running'), timeoutMs)
  })
  const outcome = await Promise.race([exited, timedOut])
  clearTimeout(timer)
  if (outcome === 'still running') child.kill('SIGKILL')
  return outcome
}

/** SIGTERM to every part at once; each part's exit code by name ('still running' after `timeoutMs`). */
export async function stopParts(
  parts: readonly Part[],
  timeoutMs: number,
): Promise<Record<string, number | string>> {
  for (const part of parts) {
    if (part.child.exitCode === null && part.child.signalCode === null) part.child.kill('SIGTERM')
  }
  const codes = await Promise.all(parts.map((part) => waitForExit(part, timeoutMs)))
  return Object.fromEntries(parts.map((part, i) => [part.name, codes[i]!]))
}

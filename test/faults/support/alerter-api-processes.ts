// `streamwatch alerter` and `streamwatch api` as child processes for the fault scenarios, on the
// same stack settings as the etl (load-run.ts).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from '../../../src/pipelines/etl-test-kit.ts'
import { type CommandProcess, startCommand, TEST_BROKERS } from '../../support/processes.ts'
import { expectAlive, PARTITIONS, type StackEnv } from './load-run.ts'

export interface AlerterSettings {
  webhookUrl: string
  /** ALERT_LEASE; the webhook request timeout is (lease - 1 s) / 2, at most 10 s */
  leaseMs: number
  groupIntervalMs: number
}

export function alerterEnv(stack: StackEnv, settings: AlerterSettings): Record<string, string> {
  return {
    CONFIG_FILE: '',
    DATABASE_URL: stack.databaseUrl,
    SLACK_WEBHOOK_URL: settings.webhookUrl,
    PUBLIC_URL: 'http://dashboard.test',
    ALERT_GROUP_INTERVAL: `${settings.groupIntervalMs}ms`,
    ALERT_LEASE: `${settings.leaseMs}ms`,
    ALERT_SILENCES: '',
  }
}

export const startAlerter = (stack: StackEnv, settings: AlerterSettings): CommandProcess =>
  startCommand('alerter', alerterEnv(stack, settings))

export interface ApiSettings {
  port: number
  /** API_RATE_LIMIT per minute; 0: none */
  rateLimitPerMinute?: number
}

/** A private data dir and file lake: the API checks the lake in /readyz, and must not touch ./data. */
let apiDataDir: string | undefined

export function apiEnv(stack: StackEnv, settings: ApiSettings): Record<string, string> {
  apiDataDir ??= mkdtempSync(join(tmpdir(), 'streamwatch-faults-api-'))
  return {
    CONFIG_FILE: '',
    DATABASE_URL: stack.databaseUrl,
    KAFKA_BROKERS: stack.brokers ?? TEST_BROKERS,
    TOPIC_PREFIX: stack.topicPrefix,
    KAFKA_PARTITIONS: String(PARTITIONS),
    API_PORT: String(settings.port),
    API_RATE_LIMIT: String(settings.rateLimitPerMinute ?? 0),
    DATA_DIR: apiDataDir,
    LAKE_URL: `file://${join(apiDataDir, 'lake')}`,
  }
}

/** Starts `streamwatch api` and resolves once /healthz answers. */
export async function startApi(stack: StackEnv, settings: ApiSettings): Promise<CommandProcess> {
  const api = startCommand('api', apiEnv(stack, settings))
  await waitFor(
    async () => {
      expectAlive(api, 'the API')
      const answer = await fetch(`http://127.0.0.1:${settings.port}/healthz`).catch(() => undefined)
      return answer?.ok === true
    },
    60_000,
    'the API to answer /healthz',
  )
  return api
}

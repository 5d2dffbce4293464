// The webhook client against a real local HTTP server answering as Slack does (and as it fails):
// each answer -> the outcome the client reports -> retry or not (decideDelivery).
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ReceiverAnswer,
  type SlackReceiver,
  startSlackReceiver,
} from '../../../test/support/slack-receiver.ts'
import { buildNotification, DEFAULT_RETRY_POLICY, decideDelivery } from '../../core/alerting/index.ts'
import { anAnomaly } from '../../core/alerting/test-builders.ts'
import { createSlackWebhook } from './slack-webhook.ts'

const notification = buildNotification(
  { kind: 'firing', rule: 'large_transaction', anomalies: [anAnomaly()] },
  { publicUrl: 'http://dash', collectedOverMs: 5_000 },
).notification!

describe('Slack webhook client', () => {
  let receiver: SlackReceiver
  let answer: ReceiverAnswer = { status: 200, body: 'ok' }
  beforeAll(async () => {
    receiver = await startSlackReceiver(() => answer)
  })
  afterAll(async () => {
    await receiver.close()
  })

  it.each<[string, ReceiverAnswer, object, string]>([
    ['200 ok', { status: 200, body: 'ok' }, { kind: 'response', status: 200, body: 'ok' }, 'delivered'],
    [
      '429 with Retry-After',
      { status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } },
      { kind: 'response', status: 429, retryAfter: '2' },
      'pause',
    ],
    ['500', { status: 500, body: 'internal_error' }, { kind: 'response', status: 500 }, 'retry'],
    ['503', { status: 503 }, { kind: 'response', status: 503 }, 'retry'],
    [
      '403 invalid_token',
      { status: 403, body: 'invalid_token' },
      { kind: 'response', status: 403, body: 'invalid_token' },
      'park',
    ],
    ['404 no_service', { status: 404, body: 'no_service' }, { kind: 'response', status: 404 }, 'park'],
    [
      '400 invalid_payload',
      { status: 400, body: 'invalid_payload' },
      { kind: 'response', status: 400 },
      'park',
    ],
    [
      'a redirect',
      { status: 302, headers: { location: 'http://127.0.0.1:1/' } },
      { kind: 'response', status: 302 },
      'park',
    ],
    ['a hang past the timeout', { hang: true }, { kind: 'timeout', timeoutMs: 300 }, 'retry'],
    ['an answer slower than the timeout', { status: 200, delayMs: 600 }, { kind: 'timeout' }, 'retry'],
    ['a reset connection', { reset: true }, { kind: 'network' }, 'retry'],
  ])('%s', async (_, scripted, outcome, action) => {
    answer = scripted
    const webhook = createSlackWebhook({ url: receiver.url, timeoutMs: 300 })
    const before = receiver.requests.length
    const got = await webhook.send(notification)
    expect(got).toMatchObject(outcome)
    expect(decideDelivery(got, 0, Date.now(), 0.5, DEFAULT_RETRY_POLICY).action).toBe(action)
    // the receiver got the message as built
    expect(receiver.requests[before]?.message).toEqual(notification.message)
  })

  it('reports a refused connection as a network failure', async () => {
    const port = await freePort()
    const got = await createSlackWebhook({ url: `http://127.0.0.1:${port}/hook`, timeoutMs: 1_000 }).send(
      notification,
    )
    expect(got).toMatchObject({ kind: 'network', code: 'ECONNREFUSED' })
  })

  it('names its rate-limit gate after the URL without revealing it', () => {
    const a = createSlackWebhook({ url: 'https://hooks.slack.com/services/T/B/secret1' })
    const b = createSlackWebhook({ url: 'https://hooks.slack.com/services/T/B/secret2' })
    expect(a.gate).not.toBe(b.gate)
    expect(a.gate).not.toContain('secret')
  })
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

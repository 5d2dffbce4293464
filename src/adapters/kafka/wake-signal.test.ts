import { describe, expect, it } from 'vitest'
import { createWakeSignal, unlessAborted } from './wake-signal.ts'

describe('wake signal', () => {
  it('ends a wait on wake(), on abort, or at the timeout, whichever comes first', async () => {
    const signal = createWakeSignal()
    const controller = new AbortController()
    const started = performance.now()
    const woken = signal.wait(60_000, controller.signal)
    signal.wake()
    await woken
    const aborted = signal.wait(60_000, controller.signal)
    controller.abort()
    await aborted
    await signal.wait(20, new AbortController().signal)
    expect(performance.now() - started).toBeLessThan(5_000)
  })
})

describe('unlessAborted', () => {
  it('resolves with the result, or with undefined once aborted while the operation runs on', async () => {
    expect(await unlessAborted(Promise.resolve(7), new AbortController().signal)).toBe(7)
    const controller = new AbortController()
    const never = new Promise<number>(() => undefined)
    const pending = unlessAborted(never, controller.signal)
    controller.abort()
    expect(await pending).toBeUndefined()
  })

  it('passes the rejection on, and swallows a rejection that comes after the abort', async () => {
    await expect(
      unlessAborted(Promise.reject(new Error('boom')), new AbortController().signal),
    ).rejects.toThrow('boom')
    const controller = new AbortController()
    controller.abort()
    expect(await unlessAborted(Promise.reject(new Error('late')), controller.signal)).toBeUndefined()
  })
})

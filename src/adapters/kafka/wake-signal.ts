// Small waiting helpers for the consumer loop: sleep until woken, a timeout or an abort; and stop
// awaiting an operation once aborted (the operation itself runs on, its outcome ignored).

export interface WakeSignal {
  /** Resolves every pending wait now. */
  wake(): void
  /** Resolves on wake(), after `timeoutMs`, or when `signal` aborts, whichever comes first; never rejects. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void>
}

export function createWakeSignal(): WakeSignal {
  let waiting: (() => void)[] = []
  return {
    wake() {
      const resolvers = waiting
      waiting = []
      for (const resolve of resolvers) resolve()
    },
    wait(timeoutMs, signal) {
      if (signal.aborted) return Promise.resolve()
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer)
          signal.removeEventListener('abort', done)
          resolve()
        }
        const timer = setTimeout(done, timeoutMs)
        signal.addEventListener('abort', done, { once: true })
        waiting.push(done)
      })
    },
  }
}

/** The operation's result, or undefined as soon as `signal` aborts. */
export function unlessAborted<T>(operation: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  operation.catch(() => undefined) // an abandoned operation must not become an unhandled rejection
  if (signal.aborted) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined)
    signal.addEventListener('abort', onAbort, { once: true })
    operation.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

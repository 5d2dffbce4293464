// Runs long-lived parts side by side in one process: each with its own stop signal, started in
// order and stopped in reverse (docs/conventions.md: stop pulling, drain, flush, commit, close). If one part
// fails, the others are stopped too and the failure is rethrown.
import type { Logger } from '../observability/logger.ts'

export interface Part {
  name: string
  /** runs until `signal` aborts; resolves once the part has drained and committed */
  run(signal: AbortSignal): Promise<unknown>
}

export async function runParts(parts: readonly Part[], signal: AbortSignal, logger: Logger): Promise<void> {
  const running = parts.map((part) => {
    const controller = new AbortController()
    const done = Promise.resolve()
      .then(() => part.run(controller.signal))
      .then(
        () => ({ part, error: undefined as unknown }),
        (error: unknown) => ({ part, error }),
      )
    return { part, controller, done }
  })
  // the first part to end (a failure, or a stop) ends them all
  const first = await Promise.race([
    new Promise<undefined>((resolve) => {
      if (signal.aborted) resolve(undefined)
      signal.addEventListener('abort', () => resolve(undefined), { once: true })
    }),
    ...running.map((r) => r.done),
  ])
  if (first && first.error !== undefined) {
    logger.error({ part: first.part.name, err: first.error }, 'a part failed: stopping the others')
  }
  let failure: unknown = first?.error
  for (const { part, controller, done } of [...running].reverse()) {
    controller.abort()
    const outcome = await done
    if (outcome.error !== undefined && failure === undefined) failure = outcome.error
    logger.debug({ part: part.name }, 'stopped')
  }
  if (failure !== undefined) throw failure
}

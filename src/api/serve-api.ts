// Listening: buildApp() on an address, refusing to expose data without a token.
import { StreamwatchError } from '../errors.ts'
import type { ApiInstance } from './api-context.ts'
import { isLoopbackHost } from './auth.ts'
import { type BuildAppOptions, buildApp } from './build-app.ts'

export interface ServeApiOptions extends BuildAppOptions {
  host: string
  /** 0: any free port */
  port: number
}

export interface RunningApi {
  app: ApiInstance
  /** http://host:port, with the port actually bound */
  url: string
  /** Ends live streams, stops accepting requests, waits for those in flight. */
  close(): Promise<void>
}

/** Throws config_invalid when `host` is reachable from other machines and there is no token. */
export function checkListenSafety(host: string, token: string | undefined): void {
  if (token || isLoopbackHost(host)) return
  throw new StreamwatchError(
    'config_invalid',
    `config: API_TOKEN is required when API_HOST=${JSON.stringify(host)} is not a loopback address ` +
      '(anyone who can reach it could read the data and send events); set API_TOKEN, or API_HOST=127.0.0.1',
  )
}

export async function startApi(options: ServeApiOptions): Promise<RunningApi> {
  checkListenSafety(options.host, options.token)
  const app = await buildApp(options)
  try {
    await app.listen({ host: options.host, port: options.port })
  } catch (error) {
    await app.close()
    throw new StreamwatchError(
      'config_invalid',
      `api: cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return { app, url: `http://${host}:${port}`, close: () => app.close() }
}

// The real API (startApi from src/api) on a free port of 127.0.0.1, serving the built dashboard.
import type { Database } from '../../src/adapters/postgres/database.ts'
import { startApi } from '../../src/api/index.ts'
import type { TopicNames } from '../../src/contracts/topics.ts'
import type { Bus } from '../../src/pipelines/ports.ts'

export interface DashboardApi {
  baseUrl: string
  close(): Promise<void>
}

export async function startDashboardApi(options: {
  db: Database
  bus: Bus
  names: TopicNames
  webRoot: string
  apiToken?: string
}): Promise<DashboardApi> {
  const api = await startApi({
    host: '127.0.0.1',
    port: 0,
    db: options.db,
    bus: options.bus,
    topicNames: options.names,
    webRoot: options.webRoot,
    ...(options.apiToken ? { token: options.apiToken } : {}),
  })
  let closing: Promise<void> | undefined
  // idempotent: a test may stop the API early, and the cleanup closes it again
  return { baseUrl: api.url, close: () => (closing ??= api.close()) }
}

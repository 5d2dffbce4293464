// The HTTP API: buildApp() (routes, live stream, ingest, health, /metrics, OpenAPI, the
// dashboard's files) and startApi() (listening). See docs/api.md.
export type { ApiInstance, ApiLimits, ConsumerLagSample, HealthCheck, StreamSettings } from './api-context.ts'
export { isLoopbackHost } from './auth.ts'
export { type BuildAppOptions, buildApp } from './build-app.ts'
export { lagFromStoredPositions } from './consumer-lag.ts'
export { checkListenSafety, type RunningApi, type ServeApiOptions, startApi } from './serve-api.ts'

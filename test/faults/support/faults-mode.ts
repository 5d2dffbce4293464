// The suite's two sizes: `bounded` (CI, the default: minutes on a 2-core machine) and `full` (on
// demand: the load figures). Chosen with FAULTS_MODE=bounded|full.
export type FaultsMode = 'bounded' | 'full'

export interface FaultsSizes {
  mode: FaultsMode
  /** steady load of the crash and outage scenarios, events per second of wall time */
  loadRatePerSecond: number
  loadDurationMs: number
  /** how long PostgreSQL and the S3 server stay down */
  outageMs: number
  /** malformed records sent through Kafka (each with valid neighbours) */
  malformedRecords: number
  soakRatePerSecond: number
  soakDurationMs: number
  /** rebalance storm: how long etl processes keep joining and leaving */
  stormDurationMs: number
}

export function faultsMode(env: NodeJS.ProcessEnv = process.env): FaultsMode {
  const mode = env['FAULTS_MODE'] ?? 'bounded'
  if (mode !== 'bounded' && mode !== 'full')
    throw new Error(`FAULTS_MODE must be bounded or full, not ${mode}`)
  return mode
}

export function faultsSizes(mode: FaultsMode = faultsMode()): FaultsSizes {
  return mode === 'full'
    ? {
        mode,
        loadRatePerSecond: 10_000,
        loadDurationMs: 120_000,
        outageMs: 30_000,
        malformedRecords: 20_000,
        soakRatePerSecond: 5_000,
        soakDurationMs: 600_000,
        stormDurationMs: 90_000,
      }
    : {
        mode,
        loadRatePerSecond: 2_000,
        loadDurationMs: 60_000,
        outageMs: 30_000,
        malformedRecords: 10_000,
        soakRatePerSecond: 2_000,
        soakDurationMs: 60_000,
        stormDurationMs: 45_000,
      }
}

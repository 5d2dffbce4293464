// Starts the real services the integration tests need, when they are not already running, and
// stops at the end only what it started. PostgreSQL is expected on TEST_DATABASE_URL
// (default postgres://postgres@127.0.0.1:5432/postgres), as on the development machines.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const services = [
  { name: 'kafka', script: 'scripts/kafka.sh' },
  { name: 's3', script: 'scripts/s3.sh' },
]
const started: string[] = []

function isRunning(script: string): boolean {
  return spawnSync('bash', [script, 'status'], { stdio: 'ignore' }).status === 0
}

export function setup(): void {
  for (const { name, script } of services) {
    if (!existsSync(script) || isRunning(script)) continue
    process.stderr.write(`[global-setup] starting ${name}\n`)
    execFileSync('bash', [script, 'start'], { stdio: ['ignore', 'inherit', 'inherit'] })
    started.push(script)
  }
}

export function teardown(): void {
  for (const script of started.reverse()) {
    spawnSync('bash', [script, 'stop'], { stdio: 'inherit' })
  }
}
